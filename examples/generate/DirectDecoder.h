//===- DirectDecoder.h - A decoder stack as plain loops ---------*- C++ -*-===//
//
// The pre-LayerNorm decoder block of ir/nn/DecoderBlock.h written again from
// its definition, in double, position by position and without a cache: the
// independent computation the generation example and the decoder tests
// check the compiled graphs against. Every tensor is a flat row-major
// std::vector<double>; nothing of the library is used, so a mistake would
// have to be made twice to go unnoticed.
//
//   y   = x + attention(LN1(x)) Wo + bo
//   out = y + gelu_tanh(LN2(y) W1 + b1) W2 + b2
//
// Attention is causal with ALiBi's slopes in closed form (Press et al., any
// head count), grouped-query heads reading kv head h / (H / G), and the
// fused projection's heads ordered q heads, k heads, v heads.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_EXAMPLES_GENERATE_DIRECTDECODER_H
#define EINSUM_EXAMPLES_GENERATE_DIRECTDECODER_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace direct {

using Vec = std::vector<double>;

/// Sizes of a block: D, H, G, F.
struct BlockDims {
  int64_t hidden, heads, kvHeads, ffn;
  int64_t headDim() const { return hidden / heads; }
};

/// One block's weights, shaped as createDecoderBlockWeights declares them:
/// wqkv [D, H + 2G, hd], bqkv [H + 2G, hd], wo [H, hd, D], w1 [D, F],
/// w2 [F, D], the rest [D] or [F].
struct BlockWeights {
  Vec ln1Gamma, ln1Beta, wqkv, bqkv, wo, bo, ln2Gamma, ln2Beta, w1, b1, w2,
      b2;
};

/// With p the largest power of two <= n: 2^(-8(h+1)/p) for h < p, then
/// 2^(-4(2(h-p)+1)/p).
inline Vec alibiSlopes(int64_t n) {
  int64_t p = 1;
  while (2 * p <= n)
    p *= 2;
  Vec m(n);
  for (int64_t h = 0; h < n; ++h)
    m[h] = h < p ? std::exp2(-8.0 * double(h + 1) / double(p))
                 : std::exp2(-4.0 * double(2 * (h - p) + 1) / double(p));
  return m;
}

/// (x - mean) / sqrt(var + 1e-5) * gamma + beta for each row of `rows` x d,
/// with the biased variance, as torch.nn.LayerNorm.
inline Vec layerNorm(const Vec &x, int64_t rows, int64_t d, const Vec &gamma,
                     const Vec &beta) {
  Vec y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t i = 0; i < d; ++i)
      sum += x[r * d + i];
    double mean = sum / double(d), sq = 0;
    for (int64_t i = 0; i < d; ++i)
      sq += (x[r * d + i] - mean) * (x[r * d + i] - mean);
    double inv = 1 / std::sqrt(sq / double(d) + 1e-5);
    for (int64_t i = 0; i < d; ++i)
      y[r * d + i] = (x[r * d + i] - mean) * inv * gamma[i] + beta[i];
  }
  return y;
}

/// One block over x [batch, S, D], positions 0 .. S - 1.
inline Vec block(const BlockDims &c, const BlockWeights &w, const Vec &x,
                 int64_t batch, int64_t seq) {
  const int64_t B = batch, S = seq, D = c.hidden, H = c.heads, G = c.kvHeads,
                F = c.ffn, hd = c.headDim(), N = H + 2 * G;
  Vec slopes = alibiSlopes(H);
  Vec h1 = layerNorm(x, B * S, D, w.ln1Gamma, w.ln1Beta);
  // proj[b][s][n][e]: position-major, unlike the graph's head-major layout.
  Vec proj(B * S * N * hd, 0.0);
  for (int64_t r = 0; r < B * S; ++r)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t e = 0; e < hd; ++e) {
        double acc = w.bqkv[n * hd + e];
        for (int64_t i = 0; i < D; ++i)
          acc += h1[r * D + i] * w.wqkv[(i * N + n) * hd + e];
        proj[(r * N + n) * hd + e] = acc;
      }
  auto at = [&](int64_t b, int64_t s, int64_t n, int64_t e) {
    return proj[((b * S + s) * N + n) * hd + e];
  };
  Vec y(B * S * D);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < S; ++i) {
      Vec heads(H * hd, 0.0);
      for (int64_t h = 0; h < H; ++h) {
        int64_t kvh = h / (H / G);
        // Causal: keys 0..i only; ALiBi -m (i - j).
        Vec logit(i + 1);
        double mx = -INFINITY;
        for (int64_t j = 0; j <= i; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < hd; ++e)
            dot += at(b, i, h, e) * at(b, j, H + kvh, e);
          logit[j] = dot / std::sqrt(double(hd)) - slopes[h] * double(i - j);
          mx = std::max(mx, logit[j]);
        }
        double z = 0;
        for (double &l : logit)
          z += (l = std::exp(l - mx));
        for (int64_t j = 0; j <= i; ++j)
          for (int64_t e = 0; e < hd; ++e)
            heads[h * hd + e] += logit[j] / z * at(b, j, H + G + kvh, e);
      }
      for (int64_t o = 0; o < D; ++o) {
        double acc = w.bo[o];
        for (int64_t he = 0; he < H * hd; ++he)
          acc += heads[he] * w.wo[he * D + o];
        y[(b * S + i) * D + o] = x[(b * S + i) * D + o] + acc;
      }
    }
  Vec h2 = layerNorm(y, B * S, D, w.ln2Gamma, w.ln2Beta);
  Vec out(B * S * D);
  const double pi = std::acos(-1.0);
  for (int64_t r = 0; r < B * S; ++r) {
    Vec act(F);
    for (int64_t f = 0; f < F; ++f) {
      double u = w.b1[f];
      for (int64_t i = 0; i < D; ++i)
        u += h2[r * D + i] * w.w1[i * F + f];
      act[f] = 0.5 * u *
               (1 + std::tanh(std::sqrt(2 / pi) * (u + 0.044715 * u * u * u)));
    }
    for (int64_t o = 0; o < D; ++o) {
      double acc = w.b2[o];
      for (int64_t f = 0; f < F; ++f)
        acc += act[f] * w.w2[f * D + o];
      out[r * D + o] = y[r * D + o] + acc;
    }
  }
  return out;
}

/// A language model around a stack of blocks: token embeddings E [V, D], the
/// blocks, a final LayerNorm and logits h W^T against an output matrix W
/// [V, D] (BLOOM ties W to E).
struct Model {
  BlockDims dims;
  int64_t vocab;
  Vec embedding, lnfGamma, lnfBeta, head;
  std::vector<BlockWeights> layers;

  /// Logits [S, V] of every position of `tokens`, recomputed from scratch.
  Vec logits(const std::vector<int64_t> &tokens) const {
    const int64_t S = int64_t(tokens.size()), D = dims.hidden;
    Vec x(S * D);
    for (int64_t s = 0; s < S; ++s)
      for (int64_t i = 0; i < D; ++i)
        x[s * D + i] = embedding[tokens[s] * D + i];
    for (const BlockWeights &w : layers)
      x = block(dims, w, x, 1, S);
    Vec h = layerNorm(x, S, D, lnfGamma, lnfBeta);
    Vec out(S * vocab, 0.0);
    for (int64_t s = 0; s < S; ++s)
      for (int64_t t = 0; t < vocab; ++t)
        for (int64_t i = 0; i < D; ++i)
          out[s * vocab + t] += h[s * D + i] * head[t * D + i];
    return out;
  }
};

} // namespace direct

#endif // EINSUM_EXAMPLES_GENERATE_DIRECTDECODER_H
