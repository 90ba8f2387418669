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

/// A subexpression of the epilogue whose value the caller has computed.
struct PrecomputedTerm {
  /// A node of the epilogue tree being emitted.
  const EpilogueExpr *expr;
  /// Its value, a vector in the vector form.
  mlir::Value value;
};

struct EpilogueEnv {
  /// The sum, of type `computeType`.
  mlir::Value acc;
  /// labels[p] has index value labelValues[p].
  llvm::StringRef labels;
  llvm::ArrayRef<mlir::Value> labelValues;
  /// Memrefs of $0, $1, ... and their types.
  llvm::ArrayRef<mlir::Value> operands;
  llvm::ArrayRef<TensorType> operandTypes;
  /// The scalar compute type; with `lanes`, values are vectors of it.
  mlir::Type computeType;
  /// Vector form: `acc` is a vector of `lanes` sums and label `laneLabel`'s
  /// value is the index of lane 0, lane l standing for that index + l.
  char laneLabel = 0;
  int64_t lanes = 0;
  /// Vector form of an epilogue whose operand indices depend on the lane
  /// label (needsLaneLoop): a memref<lanes x computeType> to go through.
  mlir::Value laneScratch;
  /// Nodes not to evaluate (their value is given). The lane-by-lane form
  /// evaluates them anyway: their values there would be vectors.
  llvm::ArrayRef<PrecomputedTerm> precomputed;
};

mlir::FailureOr<mlir::Value> emitEpilogue(const NodeLowering &n,
                                          mlir::OpBuilder &b,
                                          mlir::Location loc, const Epilogue &e,
                                          const EpilogueEnv &env);

/// Whether the vector form must evaluate lane by lane: an operand index or
/// rel_bucket depends on `laneLabel` (a gather, not a broadcast) outside
/// the `precomputed` nodes.
bool needsLaneLoop(const Epilogue &e, char laneLabel,
                   llvm::ArrayRef<PrecomputedTerm> precomputed = {});

/// T5's bucket of `rel` (an i64) as ir/RelativeBuckets.cpp computes it,
/// including its float32 logarithm; returns an i64.
mlir::Value emitRelativeBucket(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value rel, int64_t numBuckets,
                               int64_t maxDistance, bool bidirectional);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_LOWEREPILOGUE_H
