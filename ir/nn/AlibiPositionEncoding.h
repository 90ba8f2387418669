//===- AlibiPositionEncoding.h - ALiBi bias graphs --------------*- C++ -*-===//
//
// Attention with Linear Biases (Press, Smith, Lewis, ICLR 2022): a bias
// -m_h * f(i, j) added to the attention scores, with a fixed slope m_h per
// head. See docs/position-encodings.md for the forms and the slope recipes.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NN_ALIBIPOSITIONENCODING_H
#define EINSUM_IR_NN_ALIBIPOSITIONENCODING_H

#include "ir/AlibiSlopes.h"
#include "ir/Graph.h"
#include "ir/nn/PositionEncoding.h"

#include <vector>

namespace einsum::nn {

enum class AlibiForm {
  /// -m |i' - j| (encoders; the original's form).
  Symmetric,
  /// -m (i' - j) for j <= i', -inf above the diagonal (decoders).
  Causal,
  /// +m j (BLOOM's form): equal to Causal after a softmax only because each
  /// row shifts by a constant; valid only under a causal mask.
  KeyOnly,
};

llvm::StringRef alibiFormName(AlibiForm f);

struct AlibiOptions {
  SlopeRecipe recipe = SlopeRecipe::Paper;
  double maxBias = 8.0;
  /// Tensor parallelism: this shard holds heads [headOffset, headOffset +
  /// nHeads) of a model with totalHeads heads (0: nHeads).
  int64_t headOffset = 0;
  int64_t totalHeads = 0;
  AlibiForm form = AlibiForm::Symmetric;
  /// Decoding with a KV cache: query row r sits at position r + queryOffset;
  /// -1 means Sk - Sq, taken from the scores' shape.
  int64_t queryOffset = -1;
};

class AlibiPositionEncoding {
public:
  /// Validates `config` and refuses one of another encoding type.
  static llvm::Expected<AlibiPositionEncoding>
  create(PositionEncodingConfig config, AlibiOptions options = {});

  const PositionEncodingConfig &config() const { return cfg; }
  const AlibiOptions &options() const { return opts; }
  int64_t nHeads() const { return cfg.nHeads; }

  /// The slopes of this encoding's heads, by its recipe and head range.
  std::vector<double> computeSlopes() const;

  /// The original's convention: graph tensors 0, 1, 2 are the scores
  /// [batch, heads, Sq, Sk], the slopes [heads] and the distance matrix
  /// [Sq, Sk]. Appends expand_dims -> mul -> neg -> add and returns the
  /// output tensor. The tensors must exist and be typed.
  llvm::Expected<TensorId> buildBiasGraph(Graph &g) const;
  /// The same four nodes over explicit tensor ids.
  llvm::Expected<TensorId> buildBiasGraph(Graph &g, TensorId scores,
                                          TensorId slopes,
                                          TensorId distance) const;
  /// Creates its own `alibi_slopes` and `distance` (or key positions, for
  /// KeyOnly) generators for the form in options(), and adds the bias to
  /// `scores` [batch, heads, Sq, Sk]. Returns the biased scores. KeyOnly
  /// adds no mask: the caller must mask keys after the query.
  llvm::Expected<TensorId> buildBias(Graph &g, TensorId scores) const;

private:
  AlibiPositionEncoding(PositionEncodingConfig c, AlibiOptions o)
      : cfg(c), opts(o) {}
  PositionEncodingConfig cfg;
  AlibiOptions opts;
};

} // namespace einsum::nn

#endif // EINSUM_IR_NN_ALIBIPOSITIONENCODING_H
