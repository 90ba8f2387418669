//===- Jit.h - From the lowered module to native code -----------*- C++ -*-===//
#ifndef EINSUM_BACKENDS_CPU_JIT_H
#define EINSUM_BACKENDS_CPU_JIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>

namespace einsum::cpu {

/// The dialects the lowering emits, the ones its passes produce, and the
/// LLVM IR translations: nothing more, so this stays cheap to compile.
void registerCpuDialects(mlir::DialectRegistry &registry);

/// Loads every dialect the lowering emits into the context.
void loadCpuDialects(mlir::MLIRContext &ctx);

/// What the lowered code allocates heap buffers with.
enum class Allocation {
  /// malloc and free: what an object compiled ahead of time links against.
  Libc,
  /// The memref lowering's generic functions, which the JIT binds to the
  /// buffer cache (BufferCache.h).
  Cached,
};

/// linalg/scf/vector/memref/arith/math on memrefs down to the LLVM dialect;
/// parallel loops run on `threads` OpenMP threads (0: the OpenMP default,
/// OMP_NUM_THREADS or one per core).
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module, unsigned threads,
                                       Allocation allocation);

/// The code generator's optimization level, JIT and AOT alike.
inline constexpr llvm::CodeGenOptLevel kCodeGenOptLevel =
    llvm::CodeGenOptLevel::Aggressive;

/// The LLVM IR optimization both the JIT and ahead-of-time compilation
/// apply: O3 tuned for `tm`.
std::function<llvm::Error(llvm::Module *)>
makeLLVMOptimizer(llvm::TargetMachine *tm);

/// JIT-compiles an LLVM-dialect module at O3 for `target`, a machine that
/// runs on the host (Target.h), its allocation functions bound to the
/// buffer cache.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitCompile(mlir::ModuleOp module, llvm::orc::JITTargetMachineBuilder target);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_JIT_H
