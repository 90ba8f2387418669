//===- CompileSession.cpp - The stages the JIT and AOT share --------------===//
#include "backends/cpu/CompileSession.h"
#include "backends/cpu/Jit.h"

#include "ir/Diagnostic.h"
#include "ir/Verifier.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"

#include <fmt/format.h>

namespace einsum::cpu {

static mlir::DialectRegistry cpuRegistry() {
  mlir::DialectRegistry registry;
  registerCpuDialects(registry);
  return registry;
}

CompileSession::CompileSession(const KernelOptions &options)
    : options(options),
      ctx(cpuRegistry(), mlir::MLIRContext::Threading::DISABLED),
      handler(&ctx, [this](mlir::Diagnostic &d) {
        if (d.getSeverity() == mlir::DiagnosticSeverity::Error &&
            firstError.empty())
          firstError = d.str();
        return mlir::success();
      }) {
  loadCpuDialects(ctx);
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
CompileSession::lowerGraph(const Graph &g, EntrySignature &signature,
                           llvm::StringRef entryName) {
  if (llvm::Error err = verify(g))
    return err;
  firstError.clear();
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      cpu::lowerGraph(ctx, g, options, signature);
  if (mlir::failed(module))
    return makeError(firstError.empty() ? "cpu backend: lowering failed"
                                        : firstError);
  // Nothing refers to the entry by name, so renaming it is safe; the
  // lowering itself knows only the default. The lowering's other symbols
  // (constants) are private, but must still differ from it.
  if (entryName != kEntryName) {
    if ((*module)->lookupSymbol(entryName))
      return makeError(fmt::format("entry name '{}' is taken by a symbol of "
                                   "the lowered module; choose another",
                                   entryName.str()));
    (*module)
        ->lookupSymbol<mlir::func::FuncOp>(kEntryName)
        .setSymName(entryName);
  }
  if (mlir::failed(mlir::verify(**module)))
    return internalError("invalid module");
  return std::move(*module);
}

llvm::Error CompileSession::lowerToLLVMDialect(mlir::ModuleOp module,
                                               Allocation allocation) {
  firstError.clear();
  if (mlir::failed(
          cpu::lowerToLLVMDialect(module, options.threads, allocation)))
    return internalError("lowering to LLVM");
  return llvm::Error::success();
}

llvm::Error CompileSession::internalError(llvm::StringRef stage) const {
  std::string message = "cpu backend: internal error: " + stage.str();
  if (!firstError.empty())
    message += ": " + firstError;
  return makeError(message);
}

} // namespace einsum::cpu
