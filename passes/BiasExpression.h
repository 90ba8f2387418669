//===- BiasExpression.h - Tensors as epilogue expressions -------*- C++ -*-===//
//
// Epilogue fusion needs the value a contraction's consumer adds (or
// multiplies, ...) as a scalar expression of the output element's loop
// indices: a distance generator becomes `abs(i - j)`, a scale `0.125`, the
// slopes `$0[h]`, a T5 relative bias (a table gathered at relative_buckets)
// `$0[rel_bucket(j - i, 32, 128, 1), h]`. This file does that translation,
// and says why when it cannot.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_PASSES_BIASEXPRESSION_H
#define EINSUM_PASSES_BIASEXPRESSION_H

#include "ir/Epilogue.h"
#include "ir/Graph.h"

#include <optional>

namespace einsum {

/// Builds expressions over the output labels of one contraction, collecting
/// the small tensors they read as epilogue operands.
class BiasExpressionBuilder {
public:
  /// `labels` names the output dimensions, whose sizes are `shape`.
  /// Tensors of at most `maxOperandElements` elements may be read as
  /// operands; larger ones (a materialized [S,S] matrix) are refused.
  BiasExpressionBuilder(const Graph &g, std::string labels,
                        std::vector<int64_t> shape, DType dtype,
                        int64_t maxOperandElements);

  /// Starts from a contraction that already has operands, so new ones are
  /// numbered after them and equal tensors are shared.
  void addExistingOperands(llvm::ArrayRef<TensorId> operands);

  /// `t` (which must broadcast to the output shape) as an expression, or an
  /// error whose message is the reason it cannot be one.
  llvm::Expected<Epilogue> express(TensorId t);

  /// The operands the expressions read, `$0` first.
  const std::vector<TensorId> &operands() const { return ops; }

private:
  /// `labelsOf[d]`: the output label that dimension d of `t` runs along.
  llvm::Expected<Epilogue> express(TensorId t, std::string labelsOf,
                                   unsigned depth);
  llvm::Expected<Epilogue> asOperand(TensorId t, llvm::StringRef labelsOf,
                                     llvm::StringRef why);
  /// The table of a gather read at its indices' closed form.
  llvm::Expected<Epilogue> expressGather(TensorId t, llvm::StringRef labelsOf,
                                         unsigned depth);
  /// Gather indices as an integer expression: only relative_buckets,
  /// possibly relabelled.
  llvm::Expected<Epilogue> expressIndices(TensorId t, std::string labelsOf,
                                          unsigned depth);
  /// For ops that only move dimensions around (expand_dims, transpose,
  /// reshapes adding or dropping unit dimensions), the labels of the input's
  /// dimensions; nullopt for a reshape that merges or splits dimensions.
  std::optional<std::string> inputLabels(const Node &n, TensorId t,
                                         llvm::StringRef labelsOf) const;
  /// The registered index of operand `t`, or why it cannot be one.
  llvm::Expected<unsigned> operandIndex(TensorId t, llvm::StringRef why);
  /// The index along dimension d as an expression: its label, or 0 where
  /// the tensor has size 1 there (a broadcast).
  Epilogue position(TensorId t, llvm::StringRef labelsOf, unsigned d) const;

  const Graph &g;
  std::string outLabels;
  std::vector<int64_t> outShape;
  DType dtype;
  int64_t maxOperandElements;
  std::vector<TensorId> ops;
};

} // namespace einsum

#endif // EINSUM_PASSES_BIASEXPRESSION_H
