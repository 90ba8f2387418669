//===- CompileSession.h - The stages the JIT and AOT share ------*- C++ -*-===//
//
// One compile of one graph, in an MLIR context of its own so that compiles
// share no MLIR state. The JIT (CpuBackend.cpp) and ahead-of-time
// compilation (Aot.cpp) both go through these stages, so the code they run
// comes from the same lowering and the same pass pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_COMPILESESSION_H
#define EINSUM_BACKENDS_CPU_COMPILESESSION_H

#include "backends/cpu/Jit.h"
#include "backends/cpu/Lowering.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/Error.h"

#include <string>

namespace einsum::cpu {

class CompileSession {
public:
  explicit CompileSession(const KernelOptions &options);
  CompileSession(const CompileSession &) = delete;
  CompileSession &operator=(const CompileSession &) = delete;

  mlir::MLIRContext &context() { return ctx; }

  /// Verifies `g` and lowers it to one function called `entryName`
  /// (Lowering.h), then verifies the module. A graph the backend cannot
  /// lower gives the backend's diagnostic naming the node.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  lowerGraph(const Graph &g, EntrySignature &signature,
             llvm::StringRef entryName = kEntryName);

  /// The pass pipeline down to the LLVM dialect (Jit.h); a failure is an
  /// internal error.
  llvm::Error lowerToLLVMDialect(mlir::ModuleOp module, Allocation allocation);

  /// "cpu backend: internal error: <stage>", then the first error
  /// diagnostic since the last stage began, if any: for failures that are
  /// our bug, not the user's.
  llvm::Error internalError(llvm::StringRef stage) const;

  /// The first error diagnostic since the last stage began, for messages.
  const std::string &lastError() const { return firstError; }

private:
  KernelOptions options;
  std::string firstError;

  mlir::MLIRContext ctx;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_COMPILESESSION_H
