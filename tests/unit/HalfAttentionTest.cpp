//===- HalfAttentionTest.cpp - f16 and bf16 attention on both backends ----===//
//
// nn::buildAttention over f16 and bf16 q, k and v, run unpassed (-O0) and
// after -O2 and -O3 on the reference and the cpu backend, against
// DirectAttention.h's loops in double on the same rounded inputs.
//
// Tolerances (docs/mixed-precision.md): inputs are exact in both
// computations, so the error is the backend's arithmetic. The reference
// computes in double and rounds the f32 result once: 2^-24 relative. The cpu
// backend computes in f32 (dot products of at most 128 terms of magnitude
// below 1 and polynomial exp within 2 ulp: well below 1e-5 here), and on a
// host with AVX512-BF16 rounds the softmax weights to bf16 inside the bf16
// value product, which moves an output by at most 2^-9 max|v|: the bound
// used for bf16 is twice that plus the f32 term, for f16 the f32 term.
//
//===----------------------------------------------------------------------===//
#include "CpuTestUtil.h"
#include "DirectAttention.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace einsum;
using namespace einsum::testing;

namespace {

struct HalfCase {
  AttnCase attn;
  unsigned level;
};

void PrintTo(const HalfCase &c, std::ostream *os) {
  *os << c.attn.name << "_" << dtypeName(c.attn.dtype).str() << "_O" << c.level;
}

AttnCase attnCase(const char *name, int64_t heads, int64_t kvHeads, int64_t sq,
                  int64_t sk, int64_t d, bool causal,
                  nn::PositionBias position = nn::PositionBias::Alibi) {
  AttnCase c;
  c.name = name;
  c.batch = 1;
  c.heads = heads;
  c.kvHeads = kvHeads;
  c.sq = sq;
  c.sk = sk;
  c.d = d;
  c.dv = d;
  c.causal = causal;
  c.position = position;
  return c;
}

std::vector<HalfCase> cases() {
  std::vector<AttnCase> shapes = {
      attnCase("symmetric", 4, 4, 40, 40, 64, false),
      attnCase("causal", 6, 6, 33, 33, 80, true),
      attnCase("decode", 8, 8, 1, 57, 128, true),
      attnCase("decode_offset", 6, 6, 5, 70, 64, true),
      attnCase("gqa", 8, 2, 24, 24, 64, true),
      attnCase("mqa", 6, 1, 19, 19, 80, false),
      attnCase("plain", 3, 3, 17, 29, 64, false, nn::PositionBias::None),
  };
  std::vector<HalfCase> all;
  for (DType t : {DType::BF16, DType::F16})
    for (AttnCase c : shapes)
      for (unsigned level : {0u, 2u, 3u}) {
        c.dtype = t;
        all.push_back({c, level});
      }
  return all;
}

Graph buildGraph(const AttnCase &c) {
  Graph g("attention");
  Builder b(g);
  TensorId q = b.input("q", TensorType(c.dtype, {c.batch, c.heads, c.sq, c.d}));
  TensorId k =
      b.input("k", TensorType(c.dtype, {c.batch, c.kvHeads, c.sk, c.d}));
  TensorId v =
      b.input("v", TensorType(c.dtype, {c.batch, c.kvHeads, c.sk, c.dv}));
  llvm::cantFail(b.takeError());
  TensorId out = llvm::cantFail(nn::buildAttention(g, q, k, v, c.options()));
  g.addOutput(out);
  return g;
}

class HalfAttention : public ::testing::TestWithParam<HalfCase> {};

TEST_P(HalfAttention, MatchesDirectLoopsOnBothBackends) {
  const HalfCase &hc = GetParam();
  const AttnCase &c = hc.attn;
  Graph g = buildGraph(c);
  EXPECT_EQ(g.type(g.outputs()[0]).elementType(), DType::F32)
      << "16-bit attention returns f32";
  registerAllPasses();
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(hc.level))));
  llvm::Error err = pm.run(g);
  ASSERT_FALSE(bool(err)) << firstMessage(std::move(err));
  if (hc.level == 3) {
    int attentions = 0;
    for (NodeId id : g.liveNodes())
      if (g.node(id).op == OpKind::Attention) {
        ++attentions;
        EXPECT_EQ(g.type(g.node(id).inputs[2]).elementType(), c.dtype)
            << "the attention node reads v as stored\n"
            << printGraph(g);
      }
    EXPECT_EQ(attentions, 1) << printGraph(g);
  }

  // Values in [-2, 2), rounded once to the storage type by TensorData.
  std::vector<TensorData> in = randomInputs(g, 11 + hc.level, -2, 2);
  std::vector<double> want = directAttention(c, in[0], in[1], in[2], nullptr);
  double maxV = 0;
  for (int64_t i = 0; i < in[2].numElements(); ++i)
    maxV = std::max(maxV, std::abs(in[2].get(i)));
  double f32Term = 1e-5 * maxV;
  double bound =
      c.dtype == DType::BF16 ? 2 * std::ldexp(maxV, -9) + f32Term : f32Term;

  std::unique_ptr<Backend> ref = createReferenceBackend();
  std::unique_ptr<Backend> cpu = cpuBackend();
  for (Backend *backend : {ref.get(), cpu.get()}) {
    if (!backend)
      continue;
    SCOPED_TRACE(backend->name().str());
    std::vector<TensorData> got = runOn(*backend, g, in);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].numElements(), int64_t(want.size()));
    double tolerance = backend == ref.get() ? 1e-6 * maxV : bound;
    double worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < got[0].numElements(); ++i) {
      double e = std::abs(got[0].get(i) - want[i]);
      if (!(e <= worst)) {
        worst = e;
        at = i;
      }
    }
    EXPECT_LE(worst, tolerance)
        << "at " << at << ": got " << got[0].get(at) << ", want " << want[at];
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, HalfAttention, ::testing::ValuesIn(cases()),
                         [](const auto &info) {
                           const HalfCase &c = info.param;
                           return std::string(c.attn.name) + "_" +
                                  dtypeName(c.attn.dtype).str() + "_O" +
                                  std::to_string(c.level);
                         });

/// Rotary: q and k are rotated in f32 and rounded back to their type
/// before the product, on both backends; a rotated element may round to
/// the neighbouring 16-bit value on one backend and not the other (f32 and
/// double sums of the rotation), which moves a score by about one ulp of
/// one product term: the bound is a few ulps of the type times max|v|.
TEST(HalfAttentionRotary, BothBackendsRoundTheRotationAlike) {
  for (DType t : {DType::BF16, DType::F16}) {
    SCOPED_TRACE(dtypeName(t).str());
    AttnCase c =
        attnCase("rotary", 4, 2, 21, 21, 64, true, nn::PositionBias::Rotary);
    c.dtype = t;
    Graph g = buildGraph(c);
    registerAllPasses();
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
    llvm::Error err = pm.run(g);
    ASSERT_FALSE(bool(err)) << firstMessage(std::move(err));
    std::vector<TensorData> in = randomInputs(g, 5, -1, 1);
    double ulp = t == DType::BF16 ? 0x1p-8 : 0x1p-11;
    expectCpuMatches(g, in, 0, 4 * ulp);
  }
}

/// A bf16 result: the attention rounds its f32 sums once when it stores
/// them; both backends agree within half a bf16 ulp of the result plus the
/// f32 arithmetic.
TEST(HalfAttentionResult, DeclaredBF16ResultIsRoundedOnce) {
  const char *text =
      R"eg(graph @g(%q: bf16[1,2,9,64], %k: bf16[1,2,13,64], %v: bf16[1,2,13,64]) {
  %m = alibi_slopes : f32[2]
  %o = attention %q, %k, %v, %m {score_epilogue = "acc * 0.125 - $0[h] * abs(i + 4 - j)"} : bf16[1,2,9,64]
  return %o
}
)eg";
  Graph g = llvm::cantFail(parseGraph(text, "bf16.eg"));
  std::vector<TensorData> in = randomInputs(g, 3, -1, 1);
  // The bf16 result's rounding is at most half an ulp of the result
  // (2^-9 relative) on either side of the two backends' f32 difference.
  expectCpuMatches(g, in, std::ldexp(1.0, -7), std::ldexp(1.0, -8));
}

} // namespace
