//===- Aot.cpp - Ahead-of-time compilation with the cpu backend -----------===//
//
// 1. Lower the graph in a compile session of its own (CompileSession.h),
//    as the JIT does, with the entry renamed; the C header is read off
//    the entry function now, since its type is the C interface's.
// 2. Down to the LLVM dialect with the JIT's pass pipeline, translate to
//    LLVM IR, give it the target's triple and data layout and run the JIT's
//    O3 optimization (Jit.h), as ExecutionEngine::create does.
// 3. Code generation for the target's triple, CPU and features (the host's
//    unless EmitOptions::target names another, Target.h) at the JIT's
//    optimization level. Only the relocation and code models differ: the
//    JIT's static relocations and large code model suit code placed anywhere
//    in memory by the JIT itself; an object that a linker puts into a
//    position-independent executable or a shared library needs PIC and the
//    small code model, as a C compiler emits by default.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Aot.h"
#include "backends/cpu/CHeader.h"
#include "backends/cpu/CompileSession.h"
#include "backends/cpu/Jit.h"
#include "backends/cpu/Target.h"
#include "backends/cpu/Tuning.h"
#include "backends/cpu/WidenHalfFloats.h"

#include "ir/Diagnostic.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <fmt/format.h>

namespace einsum::cpu {

llvm::Error checkEntryName(llvm::StringRef name) {
  std::string problem = cIdentifierProblem(name);
  if (problem.empty())
    return llvm::Error::success();
  return makeError(fmt::format("entry name '{}' is not usable as a C "
                               "identifier: {}",
                               name.str(), problem));
}

/// Step 3's target machine.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
objectTargetMachine(const llvm::orc::JITTargetMachineBuilder &spec) {
  std::string triple = spec.getTargetTriple().str(), error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError(
        fmt::format("cpu backend: no target for {}: {}", triple, error));
  llvm::TargetOptions options = spec.getOptions();
  // The JIT builder turns emulated TLS on for its own loader; objects for
  // the system linker use the platform's TLS, as a C compiler's do.
  options.EmulatedTLS = false;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, spec.getCPU(), spec.getFeatures().getString(), options,
      llvm::Reloc::PIC_, llvm::CodeModel::Small, kCodeGenOptLevel,
      /*JIT=*/false));
  if (!tm)
    return makeError(fmt::format("cpu backend: cannot create a target "
                                 "machine for {}",
                                 triple));
  return tm;
}

llvm::Expected<AotResult> compileAheadOfTime(const Graph &source,
                                             AotArtifact artifact,
                                             const AotOptions &options) {
  if (llvm::Error err = checkEntryName(options.entryName))
    return err;
  llvm::Expected<Graph> widened = widenHalfFloats(source);
  if (!widened)
    return widened.takeError();
  const Graph &g = *widened;
  // 1.
  llvm::Expected<ResolvedTarget> target =
      resolveTarget(options.target, options.threads);
  if (!target)
    return target.takeError();
  applyTuning(g, options.target, *target, options.tuning);
  CompileSession session(target->kernels);
  EntrySignature signature;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      session.lowerGraph(g, signature, options.entryName);
  if (!module)
    return module.takeError();

  AotResult result;
  if (options.header || artifact == AotArtifact::CHeader) {
    auto entry = (*module)->lookupSymbol<mlir::func::FuncOp>(options.entryName);
    llvm::Expected<std::string> header = emitCHeader(
        entry, g, signature, describeTarget(*target, options.target));
    if (!header)
      return header.takeError();
    (artifact == AotArtifact::CHeader ? result.output : result.header) =
        std::move(*header);
  }
  llvm::raw_string_ostream os(result.output);
  switch (artifact) {
  case AotArtifact::CHeader:
    return result;
  case AotArtifact::Mlir:
    (*module)->print(os);
    return result;
  case AotArtifact::LLVMIR:
  case AotArtifact::Assembly:
  case AotArtifact::Object:
    break;
  }

  // 2.
  if (llvm::Error err = session.lowerToLLVMDialect(**module, Allocation::Libc))
    return err;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(**module, llvmContext, options.entryName);
  if (!llvmModule)
    return session.internalError("translation to LLVM IR");
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      objectTargetMachine(target->builder);
  if (!tm)
    return tm.takeError();
  mlir::ExecutionEngine::setupTargetTripleAndDataLayout(llvmModule.get(),
                                                        tm->get());
  if (llvm::Error err = makeLLVMOptimizer(tm->get())(llvmModule.get()))
    return makeError("cpu backend: internal error: LLVM optimization: " +
                     llvm::toString(std::move(err)));
  if (artifact == AotArtifact::LLVMIR) {
    llvmModule->print(os, nullptr);
    return result;
  }

  // 3.
  llvm::SmallString<0> code;
  llvm::raw_svector_ostream codeStream(code);
  llvm::legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, codeStream, nullptr,
                                 artifact == AotArtifact::Assembly
                                     ? llvm::CodeGenFileType::AssemblyFile
                                     : llvm::CodeGenFileType::ObjectFile))
    return makeError("cpu backend: internal error: target " +
                     (*tm)->getTargetTriple().str() +
                     " cannot emit this file type");
  codegen.run(*llvmModule);
  result.output.assign(code.begin(), code.end());
  return result;
}

} // namespace einsum::cpu
