//===- LowerEpilogue.h - Epilogue expressions as arith/math -----*- C++ -*-===//
//
// Emits one element's epilogue value inside a loop body. Float arithmetic
// runs in the node's element type (the reference runs it in double);
// operand indices and rel_bucket run in integers, so they pick exactly the
// element the reference picks.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_LOWEREPILOGUE_H
#define EINSUM_BACKENDS_CPU_LOWEREPILOGUE_H

#include "backends/cpu/Lowering.h"
#include "ir/Epilogue.h"

namespace einsum::cpu {

struct EpilogueEnv {
  /// The sum, of type `computeType`.
  mlir::Value acc;
  /// labels[p] has index value labelValues[p].
  llvm::StringRef labels;
  llvm::ArrayRef<mlir::Value> labelValues;
  /// Memrefs of $0, $1, ... and their types.
  llvm::ArrayRef<mlir::Value> operands;
  llvm::ArrayRef<TensorType> operandTypes;
  mlir::Type computeType;
};

/// Parses and checks `text` for a node as the reference does, so the
/// backend refuses what the interpreter would reject.
mlir::FailureOr<Epilogue>
parseNodeEpilogue(const NodeLowering &n, llvm::StringRef text,
                  llvm::StringRef labels, llvm::ArrayRef<TensorType> operands,
                  const std::map<char, int64_t> &sizes);

mlir::FailureOr<mlir::Value> emitEpilogue(const NodeLowering &n,
                                          mlir::OpBuilder &b,
                                          mlir::Location loc, const Epilogue &e,
                                          const EpilogueEnv &env);

/// T5's bucket of `rel` (an i64) as ir/RelativeBuckets.cpp computes it,
/// including its float32 logarithm; returns an i64.
mlir::Value emitRelativeBucket(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value rel, int64_t numBuckets,
                               int64_t maxDistance, bool bidirectional);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_LOWEREPILOGUE_H
