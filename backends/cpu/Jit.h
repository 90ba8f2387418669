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

/// linalg/scf/vector/memref/arith/math on memrefs down to the LLVM dialect;
/// parallel loops run on `threads` OpenMP threads (0: the OpenMP default,
/// OMP_NUM_THREADS or one per core).
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       unsigned threads = 0);

/// The code generator's optimization level, JIT and AOT alike.
inline constexpr llvm::CodeGenOptLevel kCodeGenOptLevel =
    llvm::CodeGenOptLevel::Aggressive;

/// The LLVM IR optimization both the JIT and ahead-of-time compilation
/// apply: O3 tuned for `tm`.
std::function<llvm::Error(llvm::Module *)>
makeLLVMOptimizer(llvm::TargetMachine *tm);

/// JIT-compiles an LLVM-dialect module at O3 for `target`, a machine that
/// runs on the host (Target.h).
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
jitCompile(mlir::ModuleOp module, llvm::orc::JITTargetMachineBuilder target);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_JIT_H
