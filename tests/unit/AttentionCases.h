//===- AttentionCases.h - Attention graphs the pipeline tests share -*- C++
//-*-===//
#ifndef EINSUM_TESTS_UNIT_ATTENTIONCASES_H
#define EINSUM_TESTS_UNIT_ATTENTIONCASES_H

#include "ir/Builder.h"
#include "ir/Diagnostic.h"
#include "ir/nn/Attention.h"

#include <gtest/gtest.h>

#include <ostream>

namespace einsum::testing {

/// One attention configuration: batch 2, value width d + 1 (so it is never
/// the head dimension).
struct AttentionCase {
  const char *name;
  int64_t heads, kvHeads, sq, sk, d;
  nn::PositionBias position;
  nn::AlibiForm form;
  bool causal;
  SlopeRecipe recipe = SlopeRecipe::Paper;
  bool scaleBias = false;
};

inline void PrintTo(const AttentionCase &c, std::ostream *os) { *os << c.name; }

/// The unpassed graph nn::buildAttention makes for `c`.
inline Graph buildAttentionCase(const AttentionCase &c) {
  Graph g("attention");
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({2, c.heads, c.sq, c.d}));
  TensorId k = b.input("k", TensorType::f32({2, c.kvHeads, c.sk, c.d}));
  TensorId v = b.input("v", TensorType::f32({2, c.kvHeads, c.sk, c.d + 1}));
  llvm::cantFail(b.takeError());
  nn::AttentionOptions options;
  options.position = c.position;
  options.alibi.form = c.form;
  options.alibi.recipe = c.recipe;
  options.causal = c.causal;
  options.scaleBias = c.scaleBias;
  llvm::Expected<TensorId> out = nn::buildAttention(g, q, k, v, options);
  EXPECT_TRUE(bool(out)) << firstMessage(out.takeError());
  g.addOutput(*out);
  return g;
}

} // namespace einsum::testing

#endif // EINSUM_TESTS_UNIT_ATTENTIONCASES_H
