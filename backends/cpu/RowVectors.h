//===- RowVectors.h - Loops over a tensor in vectors along its last dim -*- C++
//-*-===//
//
// The loop structure of the cpu backend's memory-bound kernels (elementwise
// ops, reductions, softmax along an inner axis): the dimensions but the
// last are flattened into rows, the last is walked in vectors with a masked
// tail, and the work is split into items run in parallel: runs of rows, and
// parts of each row when rows are too few for the threads. Items are at
// least kMinItemElements elements, so a small tensor costs no thread
// start-up.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_ROWVECTORS_H
#define EINSUM_BACKENDS_CPU_ROWVECTORS_H

#include "backends/cpu/KernelBuilder.h"

namespace einsum::cpu {

class RowVectors : public KernelBuilder {
public:
  /// Elements an item has at least (a few microseconds of memory traffic).
  static constexpr int64_t kMinItemElements = 16384;

  explicit RowVectors(NodeLowering &n);

  /// For each row of a tensor of `shape` (rank >= 1; an index value per
  /// dimension) and each vector of it: body(row index, one value per
  /// dimension but the last; first column; lanes inside, idx(lanes) for a
  /// whole vector). `work` is the elements the body touches per element
  /// of `shape` (an inner loop's length), for the item sizes.
  void emit(llvm::ArrayRef<mlir::Value> shape, mlir::Value work,
            llvm::function_ref<void(llvm::ArrayRef<mlir::Value>, mlir::Value,
                                    mlir::Value)>
                body);

  /// Indices into an operand of type `operand` broadcast against a result
  /// of type `result` (right-aligned; a dimension of 1 under a larger one
  /// reads 0) at the result's `outer` indices and column `column`; the last
  /// index is `column` only if the operand's last dimension runs with the
  /// result's. `broadcastLast` says it does not.
  static llvm::SmallVector<mlir::Value, 4>
  operandIndices(const TensorType &operand, const TensorType &result,
                 llvm::ArrayRef<mlir::Value> outer, mlir::Value column,
                 mlir::Value zero, bool &broadcastLast);

  /// A vector of `operand` at the result's (outer, column), its first
  /// `count` lanes loaded, or the broadcast of one element when the
  /// operand's last dimension (or the operand, rank 0) is broadcast.
  mlir::Value loadOperand(mlir::Value operand, const TensorType &operandType,
                          const TensorType &result,
                          llvm::ArrayRef<mlir::Value> outer, mlir::Value column,
                          mlir::Value count);

private:
  NodeLowering &n;
};

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_ROWVECTORS_H
