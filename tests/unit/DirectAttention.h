//===- DirectAttention.h - Attention written as plain loops -----*- C++ -*-===//
//
// The attention the nn tests and the dynamic-shape tests check against, from
// the definitions and nothing of the library's: positions i' = i + Sk - Sq,
// query head h reads kv head h / (H / Hkv), slopes by Press et al.'s
// recursion (NnTestUtil.h), every sum in double.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_TESTS_UNIT_DIRECTATTENTION_H
#define EINSUM_TESTS_UNIT_DIRECTATTENTION_H

#include "ir/nn/Attention.h"

#include "NnTestUtil.h"

#include <cmath>
#include <limits>
#include <optional>
#include <ostream>
#include <vector>

namespace einsum::testing {

struct AttnCase {
  const char *name = "";
  int64_t batch = 1, heads = 1, kvHeads = 1, sq = 1, sk = 1, d = 1, dv = 1;
  nn::PositionBias position = nn::PositionBias::None;
  bool causal = false;
  SlopeRecipe recipe = SlopeRecipe::Paper;
  nn::AlibiForm form = nn::AlibiForm::Symmetric;
  bool scaleBias = false;
  std::optional<double> scale;
  DType dtype = DType::F32;

  nn::AttentionOptions options() const {
    nn::AttentionOptions o;
    o.position = position;
    o.causal = causal;
    o.alibi.recipe = recipe;
    o.alibi.form = form;
    o.scaleBias = scaleBias;
    o.scale = scale;
    // Small tables so that short sequences reach the logarithmic buckets.
    o.relativeBuckets = 8;
    o.relativeMaxDistance = 12;
    return o;
  }
};

inline void PrintTo(const AttnCase &c, std::ostream *os) { *os << c.name; }

/// Attention as loops, from the definitions: positions i' = i + Sk - Sq,
/// query head h reads kv head h / (H / Hkv).
inline std::vector<double>
directAttention(const AttnCase &c, const TensorData &q, const TensorData &k,
                const TensorData &v, const TensorData *relTable) {
  const double kInf = std::numeric_limits<double>::infinity();
  int64_t groups = c.heads / c.kvHeads, offset = c.sk - c.sq;
  double scale = c.scale.value_or(1.0 / std::sqrt(double(c.d)));
  std::vector<double> slopes =
      c.recipe == SlopeRecipe::Paper ? paperSlopes(c.heads) : [&] {
        std::vector<double> s;
        for (int64_t h = 1; h <= c.heads; ++h)
          s.push_back(std::pow(2.0, -8.0 * double(h) / double(c.heads)));
        return s;
      }();
  nn::AlibiForm form = c.causal && c.form == nn::AlibiForm::Symmetric
                           ? nn::AlibiForm::Causal
                           : c.form;
  auto vecOf = [](const TensorData &t, int64_t row, int64_t n) {
    std::vector<double> out(n);
    for (int64_t e = 0; e < n; ++e)
      out[e] = t.get(row * n + e);
    return out;
  };
  std::vector<double> out;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h) {
      int64_t kvh = h / groups;
      for (int64_t i = 0; i < c.sq; ++i) {
        int64_t pos = i + offset;
        std::vector<double> qi = vecOf(q, (b * c.heads + h) * c.sq + i, c.d);
        if (c.position == nn::PositionBias::Rotary)
          qi = ropeRotate(qi, double(pos));
        std::vector<double> logits(c.sk);
        for (int64_t j = 0; j < c.sk; ++j) {
          std::vector<double> kj =
              vecOf(k, (b * c.kvHeads + kvh) * c.sk + j, c.d);
          if (c.position == nn::PositionBias::Rotary)
            kj = ropeRotate(kj, double(j));
          double dot = 0;
          for (int64_t e = 0; e < c.d; ++e)
            dot += qi[e] * kj[e];
          double bias = 0;
          if (c.position == nn::PositionBias::Alibi) {
            double m = slopes[h], dist = double(pos - j);
            if (form == nn::AlibiForm::Symmetric)
              bias = -m * std::abs(dist);
            else if (form == nn::AlibiForm::Causal)
              bias = j > pos ? -kInf : -m * dist;
            else
              bias = m * double(j);
          } else if (c.position == nn::PositionBias::Relative) {
            int64_t bucket = t5Bucket(pos, j, 8, 12, !c.causal);
            bias = relTable->get(bucket * c.heads + h);
          }
          logits[j] = c.scaleBias ? (dot + bias) * scale : dot * scale + bias;
          if (c.causal && j > pos)
            logits[j] = -kInf;
        }
        double mx = -kInf, total = 0;
        for (double l : logits)
          mx = std::max(mx, l);
        for (double &l : logits)
          total += l = std::exp(l - mx);
        for (int64_t e = 0; e < c.dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < c.sk; ++j)
            acc += logits[j] / total *
                   v.get(((b * c.kvHeads + kvh) * c.sk + j) * c.dv + e);
          out.push_back(acc);
        }
      }
    }
  return out;
}

} // namespace einsum::testing

#endif // EINSUM_TESTS_UNIT_DIRECTATTENTION_H
