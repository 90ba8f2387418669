//===- DecoderBlock.h - A pre-LayerNorm transformer decoder block -*- C++
//-*-===//
//
// The block BLOOM and MPT stack, built from primitive ops:
//
//   y   = x + attention(LN1(x)) Wo + bo
//   out = y + gelu_tanh(LN2(y) W1 + b1) W2 + b2
//
// with x [b, S, D], LayerNorm over D as PyTorch computes it ((x - mean) /
// sqrt(var + eps) * gamma + beta, biased variance), one fused QKV
// projection split by head, and GELU in its tanh form
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Attention is
// buildAttention's, so ALiBi, causal masks and grouped-query heads come from
// AttentionOptions.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NN_DECODERBLOCK_H
#define EINSUM_IR_NN_DECODERBLOCK_H

#include "ir/Graph.h"
#include "ir/nn/Attention.h"

#include <optional>

namespace einsum::nn {

/// Causal attention with the paper's ALiBi slopes, as BLOOM and MPT use.
AttentionOptions defaultDecoderAttention();

struct DecoderBlockOptions {
  /// D; head_dim is D / heads, which must be exact.
  int64_t hidden = 0;
  /// H query heads.
  int64_t heads = 0;
  /// G key/value heads, a divisor of H: G = H is multi-head, 1 < G < H
  /// grouped-query, G = 1 multi-query attention. Unset: H.
  std::optional<int64_t> kvHeads;
  /// F, the width of the feed-forward layer. Unset: 4 D.
  std::optional<int64_t> ffn;
  double layerNormEpsilon = 1e-5;
  AttentionOptions attention = defaultDecoderAttention();
  /// The element type of the weights createDecoderBlockWeights declares.
  DType dtype = DType::F32;

  int64_t kvHeadCount() const { return kvHeads.value_or(heads); }
  int64_t ffnWidth() const { return ffn.value_or(4 * hidden); }
  int64_t headDim() const { return heads > 0 ? hidden / heads : 0; }
  /// Refuses sizes below 1, D not divisible by H and H not divisible by G.
  llvm::Error validate() const;
};

/// The weights of one block, tensors the caller owns. With N = H + 2G the
/// fused projection's heads are q heads 0..H-1, then G k heads, then G v
/// heads (BLOOM interleaves q, k, v per head: permute its rows to load it).
struct DecoderBlockWeights {
  TensorId ln1Gamma, ln1Beta; // [D]
  TensorId wqkv;              // [D, N, head_dim]
  TensorId bqkv;              // [N, head_dim]
  TensorId wo;                // [H, head_dim, D]
  TensorId bo;                // [D]
  TensorId ln2Gamma, ln2Beta; // [D]
  TensorId w1;                // [D, F]
  TensorId b1;                // [F]
  TensorId w2;                // [F, D]
  TensorId b2;                // [D]
};

/// The weights' names without a prefix, in the order of the struct.
llvm::ArrayRef<llvm::StringLiteral> decoderBlockWeightNames();

/// Declares the weights as graph parameters called `<prefix>ln1_gamma`,
/// `<prefix>ln1_beta`, `<prefix>wqkv`, `<prefix>bqkv`, `<prefix>wo`,
/// `<prefix>bo`, `<prefix>ln2_gamma`, `<prefix>ln2_beta`, `<prefix>w1`,
/// `<prefix>b1`, `<prefix>w2`, `<prefix>b2`, so that a run binds them by name
/// (`--input wqkv=wqkv.npy`). A name already taken is an error: the weights
/// of two layers need two prefixes.
llvm::Expected<DecoderBlockWeights>
createDecoderBlockWeights(Graph &g, const DecoderBlockOptions &options,
                          llvm::StringRef prefix = "");

/// The keys and values of the positions before a block's new tokens, each
/// [b, G, P, head_dim] (P may be a size known only at run time, ?p): what
/// a block with a key/value cache reads.
struct KvCache {
  TensorId keys, values;
};

/// The tensors of a built block.
struct DecoderBlock {
  /// [b, S, D].
  TensorId out;
  /// y, the residual stream after attention: [b, S, D].
  TensorId residual;
  /// The attention's result before the output projection: [b, H, S, hd].
  TensorId attention;
  /// The keys and values the block attended over, [b, G, P + S, hd] with a
  /// cache (the past, then the new tokens'), [b, G, S, hd] without: the
  /// cache of the next step.
  TensorId keys, values;
};

/// (x - mean) / sqrt(var + epsilon) * gamma + beta over the last axis of x,
/// with the biased variance, as torch.nn.LayerNorm; gamma and beta are
/// [D]. A model's final LayerNorm.
llvm::Expected<TensorId> buildLayerNorm(Graph &g, TensorId x, TensorId gamma,
                                        TensorId beta, double epsilon = 1e-5);

/// Appends one block over x [b, S, D]. With `past`, the S new tokens sit at
/// positions P .. P + S - 1 after the P cached ones and attend over all P +
/// S (causally, with ALiBi's distances from those positions); without, at
/// 0 .. S - 1. Refuses, before the graph changes, invalid options, an x, a
/// cache or a weight of the wrong shape or element type.
llvm::Expected<DecoderBlock>
buildDecoderBlock(Graph &g, TensorId x, const DecoderBlockWeights &weights,
                  const DecoderBlockOptions &options,
                  std::optional<KvCache> past = std::nullopt);

} // namespace einsum::nn

#endif // EINSUM_IR_NN_DECODERBLOCK_H
