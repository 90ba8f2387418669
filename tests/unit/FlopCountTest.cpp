//===- FlopCountTest.cpp - contractionFlops against counted loops ---------===//
//
// The expected counts are written another way than FlopCount.cpp computes
// them: output elements times the summed extent, twice, or the attention
// convention 4*b*h*Sq*Sk*d. Named pipelines must not change a graph's count.
//
//===----------------------------------------------------------------------===//
#include "ir/FlopCount.h"

#include "ir/Builder.h"
#include "ir/Verifier.h"
#include "ir/nn/Attention.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

uint64_t flopsOf(const Graph &g) {
  llvm::Expected<uint64_t> flops = contractionFlops(g);
  EXPECT_TRUE(bool(flops)) << firstMessage(flops.takeError());
  return flops ? *flops : 0;
}

TEST(FlopCount, MatmulIsTwiceOutputTimesSummedExtent) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({3, 4}));
  TensorId w = b.input("w", TensorType::f32({4, 5}));
  TensorId y = b.einsum("ij,jk->ik", {x, w});
  b.output(b.add(y, y));
  ASSERT_FALSE(bool(b.takeError()));
  // A multiply-add per (output element, summed index); the add counts 0.
  uint64_t multiplyAdds = 0;
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 5; ++k)
      for (int j = 0; j < 4; ++j)
        ++multiplyAdds;
  EXPECT_EQ(flopsOf(g), 2 * multiplyAdds);
}

TEST(FlopCount, BatchedContractionCountsEveryLabel) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({2, 3, 7, 8}));
  TensorId k = b.input("k", TensorType::f32({2, 3, 5, 8}));
  TensorId s = b.einsum("bhid,bhjd->bhij", {q, k});
  b.output(s);
  ASSERT_FALSE(bool(b.takeError()));
  int64_t outputElements = g.type(s).numElements();
  EXPECT_EQ(flopsOf(g), uint64_t(2 * outputElements * 8));
}

TEST(FlopCount, OneTermEinsumAndOtherOpsCountZero) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({6, 4}));
  TensorId t = b.einsum("ij->ji", {x});
  TensorId s = b.einsum("ij->", {x});
  b.output(b.softmax(b.exp(t)));
  b.output(b.mul(s, s));
  ASSERT_FALSE(bool(b.takeError()));
  EXPECT_EQ(flopsOf(g), 0u);
}

TEST(FlopCount, AttentionNodeCountsBothContractions) {
  // Grouped-query, d != dv: q [b,h,Sq,d], k [b,hkv,Sk,d], v [b,hkv,Sk,dv].
  int64_t batch = 2, heads = 6, kvHeads = 2, sq = 5, sk = 9, d = 4, dv = 3;
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({batch, heads, sq, d}));
  TensorId k = b.input("k", TensorType::f32({batch, kvHeads, sk, d}));
  TensorId v = b.input("v", TensorType::f32({batch, kvHeads, sk, dv}));
  b.output(b.op(OpKind::Attention, {q, k, v}));
  ASSERT_FALSE(bool(b.takeError()));
  ASSERT_FALSE(bool(verify(g)));
  uint64_t scores = uint64_t(batch * heads * sq * sk) * d;
  uint64_t values = uint64_t(batch * heads * sq * dv) * sk;
  EXPECT_EQ(flopsOf(g), 2 * (scores + values));
}

struct AttentionCase {
  const char *name;
  int64_t heads, kvHeads;
  nn::PositionBias position;
  bool causal;
};

void PrintTo(const AttentionCase &c, std::ostream *os) { *os << c.name; }

class FlopCountAcrossPipelines
    : public ::testing::TestWithParam<AttentionCase> {
protected:
  void SetUp() override { registerAllPasses(); }
};

TEST_P(FlopCountAcrossPipelines, EveryNamedPipelineKeepsTheCount) {
  const AttentionCase &c = GetParam();
  int64_t batch = 2, sq = 8, sk = 8, d = 16;
  Graph original("attention");
  Builder b(original);
  TensorId q = b.input("q", TensorType::f32({batch, c.heads, sq, d}));
  TensorId k = b.input("k", TensorType::f32({batch, c.kvHeads, sk, d}));
  TensorId v = b.input("v", TensorType::f32({batch, c.kvHeads, sk, d}));
  ASSERT_FALSE(bool(b.takeError()));
  nn::AttentionOptions options;
  options.position = c.position;
  options.causal = c.causal;
  llvm::Expected<TensorId> out = nn::buildAttention(original, q, k, v, options);
  ASSERT_TRUE(bool(out)) << firstMessage(out.takeError());
  original.addOutput(*out);
  // The usual attention convention, d = dv.
  uint64_t expected = 4 * uint64_t(batch * c.heads * sq * sk * d);
  EXPECT_EQ(flopsOf(original), expected);
  bool fused = false;
  for (const NamedPipeline &p : namedPipelines()) {
    SCOPED_TRACE(p.name.str());
    Graph g = original;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(p.pipeline)));
    ASSERT_FALSE(bool(pm.run(g)));
    EXPECT_EQ(flopsOf(g), expected);
    for (NodeId id : g.liveNodes())
      fused |= g.node(id).op == OpKind::Attention;
  }
  // Every variant fuses at -O3, or this test would not compare a fused
  // graph's count at all.
  EXPECT_TRUE(fused);
}

INSTANTIATE_TEST_SUITE_P(
    Attention, FlopCountAcrossPipelines,
    ::testing::Values(
        AttentionCase{"plain", 4, 4, nn::PositionBias::None, false},
        AttentionCase{"alibi_causal", 4, 4, nn::PositionBias::Alibi, true},
        AttentionCase{"alibi_gqa", 4, 2, nn::PositionBias::Alibi, false},
        AttentionCase{"relative", 4, 4, nn::PositionBias::Relative, false}),
    [](const ::testing::TestParamInfo<AttentionCase> &info) {
      return std::string(info.param.name);
    });

TEST(FlopCount, OverflowIsAnErrorNotAWrappedCount) {
  // 2 * 2^22 * 2^22 * 2^22 = 2^67 for one node.
  Graph g;
  Builder b(g);
  int64_t n = int64_t(1) << 22;
  TensorId x = b.input("x", TensorType::f32({n, n}));
  TensorId w = b.input("w", TensorType::f32({n, n}));
  b.output(b.einsum("ij,jk->ik", {x, w}, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  llvm::Expected<uint64_t> flops = contractionFlops(g);
  ASSERT_FALSE(bool(flops));
  EXPECT_EQ(firstMessage(flops.takeError()),
            "'einsum' producing %y does more than 18446744073709551615 "
            "flops, which a 64-bit count cannot hold");

  // Two nodes of 2^63 each: every node fits, their sum does not.
  Graph sum("two");
  Builder s(sum);
  TensorId a = s.input("a", TensorType::f32({n / 4, n / 2}));
  TensorId c = s.input("c", TensorType::f32({n / 2, n / 2}));
  s.output(s.einsum("ij,jk->ik", {a, c}));
  s.output(s.einsum("ij,jk->ik", {a, c}));
  ASSERT_FALSE(bool(s.takeError()));
  llvm::Expected<uint64_t> one = contractionFlops(sum, sum.liveNodes()[0]);
  ASSERT_TRUE(bool(one)) << firstMessage(one.takeError());
  EXPECT_EQ(*one, uint64_t(1) << 63);
  flops = contractionFlops(sum);
  ASSERT_FALSE(bool(flops));
  EXPECT_EQ(firstMessage(flops.takeError()),
            "graph 'two' does more than 18446744073709551615 flops, which a "
            "64-bit count cannot hold");
}

} // namespace
