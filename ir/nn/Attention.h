//===- Attention.h - The unfused attention graph ----------------*- C++ -*-===//
//
// Emits attention as a user would write it, op by op: the form the fusion
// passes take as input and are measured on.
//
//   scores = einsum("bhid,bhjd->bhij", q, k) * scale
//   scores = scores + position bias        (after the scale, by default)
//   scores = scores + causal mask          (if causal)
//   out    = einsum("bhij,bhjd->bhid", softmax(scores), v)
//
// Grouped-query and multi-query attention: k and v may have fewer heads
// than q (a divisor of them); q head h reads kv head h / (H / Hkv).
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NN_ATTENTION_H
#define EINSUM_IR_NN_ATTENTION_H

#include "ir/Graph.h"
#include "ir/nn/AlibiPositionEncoding.h"

#include <optional>

namespace einsum::nn {

enum class PositionBias { None, Alibi, Relative, Rotary };

llvm::StringRef positionBiasName(PositionBias p);

struct AttentionOptions {
  /// Default 1/sqrt(head_dim).
  std::optional<double> scale;
  PositionBias position = PositionBias::None;
  /// For PositionBias::Alibi. Its form defaults to Causal when `causal` is
  /// set and the form was left Symmetric.
  AlibiOptions alibi;
  /// For PositionBias::Relative: T5 buckets.
  int64_t relativeBuckets = 32;
  int64_t relativeMaxDistance = 128;
  /// For PositionBias::Rotary.
  double ropeBase = 10000.0;
  double ropeScaling = 1.0;
  /// Multiply the bias by the scale too (one model family does; the paper
  /// does not).
  bool scaleBias = false;
  /// Mask keys after the query's position (with the decode offset Sk - Sq).
  bool causal = false;
};

/// q [b, H, Sq, d], k [b, Hkv, Sk, d], v [b, Hkv, Sk, dv] -> [b, H, Sq, dv].
/// Refuses mismatched shapes, dtypes, and head counts that do not divide.
llvm::Expected<TensorId> buildAttention(Graph &g, TensorId q, TensorId k,
                                        TensorId v,
                                        const AttentionOptions &options = {});

} // namespace einsum::nn

#endif // EINSUM_IR_NN_ATTENTION_H
