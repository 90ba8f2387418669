//===- Jit.cpp - Dialects, the pass pipeline and the JIT ------------------===//
//
// The only translation unit that registers dialects and passes: each one
// named here, never InitAll* (41 s and 2.7 GB to compile).
//
// Pipeline, in stages:
// 1. structured ops to loops: convert-linalg-to-loops (the hot kernels are
//    emitted as vector loop nests already);
// 2. exp, tanh, erf and logarithms of f32 vectors to MLIR's polynomial
//    approximations, exp of f64 vectors to our own (VectorMath.h): LLVM
//    would scalarise them into libm calls; scalars keep libm's precision;
//    bf16 conversions to integer code (arith's bf16 expansion);
// 3. scf.parallel to OpenMP (parallel + worksharing loop);
// 4. loops to a CFG: lower-affine, convert-scf-to-cf, canonicalize, cse;
// 5. memref metadata: expand-strided-metadata, lower-affine;
// 6. to the LLVM dialect: math (intrinsics, then libm calls for what has
//    no intrinsic: tanh, erf), vector, arith, memref (through the buffer
//    cache's functions in the JIT), OpenMP, cf, func (with the C wrappers),
//    reconcile-unrealized-casts.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Jit.h"
#include "backends/cpu/BufferCache.h"
#include "backends/cpu/VectorMath.h"

#include "ir/Diagnostic.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"

using namespace mlir;

namespace einsum::cpu {

void registerCpuDialects(DialectRegistry &registry) {
  registry
      .insert<affine::AffineDialect, arith::ArithDialect,
              cf::ControlFlowDialect, func::FuncDialect, linalg::LinalgDialect,
              LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
              omp::OpenMPDialect, scf::SCFDialect, vector::VectorDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void loadCpuDialects(MLIRContext &ctx) {
  ctx.loadDialect<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  scf::SCFDialect, vector::VectorDialect>();
}

/// 2. bf16 conversions as integer code (a shift to widen, round to nearest
/// even by adding a bias to narrow): LLVM would call a runtime function,
/// __truncsfbf2, which no library here provides, for a truncation to
/// bfloat on a host without AVX512-BF16.
static LogicalResult expandBFloat16(ModuleOp module) {
  RewritePatternSet patterns(module.getContext());
  arith::populateExpandBFloat16Patterns(patterns);
  return applyPatternsAndFoldGreedily(module, std::move(patterns));
}

/// 3. convert-scf-to-openmp wraps each parallel body in an alloca_scope,
/// which must stay one block, and so breaks convert-scf-to-cf on a body
/// with loops. The kernels allocate on the heap: a scope with no alloca in
/// it is dropped.
static void dropEmptyAllocaScopes(ModuleOp module) {
  llvm::SmallVector<memref::AllocaScopeOp> scopes;
  module.walk([&](memref::AllocaScopeOp scope) {
    bool allocates = false;
    scope.walk([&](memref::AllocaOp) { allocates = true; });
    if (!allocates && scope.getNumResults() == 0)
      scopes.push_back(scope);
  });
  IRRewriter rewriter(module.getContext());
  for (memref::AllocaScopeOp scope : scopes) {
    Block &body = scope.getBodyRegion().front();
    rewriter.eraseOp(body.getTerminator());
    rewriter.inlineBlockBefore(&body, scope);
    rewriter.eraseOp(scope);
  }
}

LogicalResult lowerToLLVMDialect(ModuleOp module, unsigned threads,
                                 Allocation allocation) {
  // 1.
  PassManager loops(module.getContext());
  loops.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (failed(loops.run(module)))
    return failure();
  // 2.
  if (failed(approximateVectorMath(module)))
    return failure();
  if (failed(expandBFloat16(module)))
    return failure();
  // 3.
  PassManager parallel(module.getContext());
  ConvertSCFToOpenMPPassOptions openmp;
  openmp.numThreads = threads;
  parallel.addPass(createConvertSCFToOpenMPPass(openmp));
  if (failed(parallel.run(module)))
    return failure();
  dropEmptyAllocaScopes(module);
  PassManager pm(module.getContext());
  // 4.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // 5.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // 6.
  // Math before vector: the libm conversion unrolls a vector of tanh or erf
  // (f64 here; f32's are polynomials by now) into vector.extract, calls and
  // vector.insert, which the vector conversion then lowers.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  pm.addPass(createArithToLLVMConversionPass());
  // Memrefs before OpenMP: the OpenMP conversion lowers the memref ops it
  // meets with the default options (malloc and free).
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = allocation == Allocation::Cached;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  return pm.run(module);
}

std::function<llvm::Error(llvm::Module *)>
makeLLVMOptimizer(llvm::TargetMachine *tm) {
  return makeOptimizingTransformer(3, 0, tm);
}

llvm::Expected<std::unique_ptr<ExecutionEngine>>
jitCompile(ModuleOp module, llvm::orc::JITTargetMachineBuilder target) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      target.createTargetMachine();
  if (!tm)
    return tm.takeError();

  // ExecutionEngineOptions::transformer is a function_ref: the function it
  // refers to must outlive create().
  std::function<llvm::Error(llvm::Module *)> optimizer =
      makeLLVMOptimizer(tm->get());
  ExecutionEngineOptions options;
  options.transformer = optimizer;
  options.jitCodeGenOptLevel = kCodeGenOptLevel;
  // No debugger or profiler registration: a process may compile many graphs.
  options.enableGDBNotificationListener = false;
  options.enablePerfNotificationListener = false;
  llvm::Expected<std::unique_ptr<ExecutionEngine>> engine =
      ExecutionEngine::create(module, options, std::move(*tm));
  if (engine)
    (*engine)->registerSymbols(bufferCacheSymbols);
  return engine;
}

} // namespace einsum::cpu
