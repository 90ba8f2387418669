//===- Jit.cpp - Dialects, the pass pipeline and the JIT ------------------===//
//
// The only translation unit that registers dialects and passes: each one
// named here, never InitAll* (41 s and 2.7 GB to compile).
//
// Pipeline, in stages:
// 1. structured ops to loops: convert-linalg-to-loops (tiling and
//    vectorization will run before this stage);
// 2. loops to a CFG: lower-affine, convert-scf-to-cf, canonicalize, cse;
// 3. memref metadata: expand-strided-metadata, lower-affine;
// 4. to the LLVM dialect: math (intrinsics, then libm calls for what has no
//    intrinsic: tanh, erf), arith, memref, cf, func (with the C wrappers),
//    reconcile-unrealized-casts.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Jit.h"

#include "ir/Diagnostic.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"

#include <mutex>

using namespace mlir;

namespace einsum::cpu {

void registerCpuDialects(DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  cf::ControlFlowDialect, func::FuncDialect,
                  linalg::LinalgDialect, LLVM::LLVMDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

void loadCpuDialects(MLIRContext &ctx) {
  ctx.loadDialect<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  scf::SCFDialect>();
}

LogicalResult lowerToLLVMDialect(ModuleOp module) {
  PassManager pm(module.getContext());
  // 1.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // 2.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // 3.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // 4.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  return pm.run(module);
}

llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostTarget() {
  static std::once_flag targetsReady;
  std::call_once(targetsReady, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> builder =
      llvm::orc::JITTargetMachineBuilder::detectHost();
  if (builder)
    builder->setCodeGenOptLevel(kCodeGenOptLevel);
  return builder;
}

std::function<llvm::Error(llvm::Module *)>
makeLLVMOptimizer(llvm::TargetMachine *tm) {
  return makeOptimizingTransformer(3, 0, tm);
}

llvm::Expected<std::unique_ptr<ExecutionEngine>> jitCompile(ModuleOp module) {
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> builder = hostTarget();
  if (!builder)
    return builder.takeError();
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      builder->createTargetMachine();
  if (!tm)
    return tm.takeError();

  ExecutionEngineOptions options;
  options.transformer = makeLLVMOptimizer(tm->get());
  options.jitCodeGenOptLevel = kCodeGenOptLevel;
  // No debugger or profiler registration: a process may compile many graphs.
  options.enableGDBNotificationListener = false;
  options.enablePerfNotificationListener = false;
  return ExecutionEngine::create(module, options, std::move(*tm));
}

} // namespace einsum::cpu
