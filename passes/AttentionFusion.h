//===- AttentionFusion.h - scores -> softmax -> values ----------*- C++ -*-===//
#ifndef EINSUM_PASSES_ATTENTIONFUSION_H
#define EINSUM_PASSES_ATTENTIONFUSION_H

#include "ir/Epilogue.h"
#include "ir/Graph.h"

#include <functional>

namespace einsum {

/// A matched attention: scores = q.k (an einsum or a contraction with an
/// epilogue), probs = softmax over keys, out = probs . v.
struct AttentionMatch {
  NodeId scores, softmax, values;
  TensorId q, k, v;
  /// The scores' epilogue with its labels renamed to b, h, i, j.
  Epilogue epilogue;
  std::vector<TensorId> operands;
  /// The value product's output labels and the epilogue fuse-epilogue gave
  /// it (acc when none), with its operands.
  std::string valueSpec;
  Epilogue valueEpilogue;
  std::vector<TensorId> valueOperands;
};

/// The match around `softmax`, or an error whose message says which part
/// of the pattern is missing.
llvm::Expected<AttentionMatch> matchAttention(const Graph &g, NodeId softmax);

/// Replaces the three nodes by one `attention` node defining the values'
/// result tensor. Returns it.
NodeId applyAttentionFusion(Graph &g, const AttentionMatch &match);

using AttentionFusionPolicy = std::function<std::optional<std::string>(
    const Graph &, const AttentionMatch &)>;

} // namespace einsum

#endif // EINSUM_PASSES_ATTENTIONFUSION_H
