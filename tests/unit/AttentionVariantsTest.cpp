// At -O3 every attention variant nn::buildAttention makes becomes one
// `attention` node: grouped-query and multi-query (the [b, Hkv, G, S, d]
// view rewritten by expand-kv-heads and folded back), decode, ALiBi, T5 and
// rotary, and attentions whose result has elementwise readers. No tensor of
// the scores' shape, and no repeated k or v, is left; the results match the
// unpassed graph on the reference backend and on the cpu backend.
#include "AttentionCases.h"
#include "CpuTestUtil.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

using namespace einsum;
using namespace einsum::testing;

namespace {

using Case = einsum::testing::AttentionCase;

void runO3(Graph &g) {
  registerAllPasses();
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
  llvm::Error err = pm.run(g);
  ASSERT_FALSE(bool(err)) << firstMessage(std::move(err));
}

/// One attention node, no gather, and nothing shaped [..., Sq, Sk].
void expectOneAttentionNode(const Graph &g, const Case &c) {
  int attentions = 0;
  for (NodeId id : g.liveNodes()) {
    const Node &n = g.node(id);
    attentions += n.op == OpKind::Attention;
    EXPECT_NE(n.op, OpKind::Gather) << printGraph(g);
    EXPECT_NE(n.op, OpKind::Softmax) << printGraph(g);
    llvm::ArrayRef<int64_t> shape = g.type(n.result()).shape();
    bool scoresShaped = shape.size() >= 2 && shape.take_back(2)[0] == c.sq &&
                        shape.take_back(2)[1] == c.sk;
    EXPECT_FALSE(scoresShaped) << g.describeNode(id) << "\n" << printGraph(g);
  }
  EXPECT_EQ(attentions, 1) << printGraph(g);
}

/// The attention of `c` plus a residual, times a scale, as a block's output
/// would read it.
Graph withElementwiseReaders(const Case &c) {
  Graph g("attention");
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({2, c.heads, c.sq, c.d}));
  TensorId k = b.input("k", TensorType::f32({2, c.kvHeads, c.sk, c.d}));
  TensorId v = b.input("v", TensorType::f32({2, c.kvHeads, c.sk, c.d + 1}));
  TensorId residual =
      b.input("residual", TensorType::f32({2, c.heads, c.sq, c.d + 1}));
  nn::AttentionOptions options;
  options.position = c.position;
  options.causal = c.causal;
  TensorId out = llvm::cantFail(nn::buildAttention(g, q, k, v, options));
  TensorId scaled = b.mul(b.add(out, residual), b.scalar(0.5), "scaled_out");
  llvm::cantFail(b.takeError());
  g.addOutput(scaled);
  return g;
}

class AttentionVariants : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionVariants, BecomeOneAttentionNodeAtO3) {
  Graph g = buildAttentionCase(GetParam());
  Graph original = g;
  runO3(g);
  expectOneAttentionNode(g, GetParam());
  std::vector<TensorData> inputs = randomInputs(original, 7);
  // f32 kernels against the reference fusing in double: 1e-4 on O(1)
  // outputs.
  expectCpuMatches(g, inputs, 1e-4, 1e-4, &original);
}

INSTANTIATE_TEST_SUITE_P(
    Attention, AttentionVariants,
    ::testing::Values(
        Case{"alibi_gqa", 8, 2, 10, 10, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, false},
        Case{"alibi_gqa_causal", 8, 2, 21, 21, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_mqa", 8, 1, 13, 13, 16, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        // 12 heads (not a power of two) in 3 groups of 4, decoding 5 rows.
        Case{"alibi_gqa_decode_rows", 12, 3, 5, 40, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_mqa_decode", 8, 1, 1, 33, 16, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_gqa_key_only", 6, 2, 11, 11, 5, nn::PositionBias::Alibi,
             nn::AlibiForm::KeyOnly, true},
        Case{"none_gqa", 4, 2, 12, 12, 8, nn::PositionBias::None,
             nn::AlibiForm::Symmetric, false},
        Case{"relative_gqa_causal", 4, 2, 12, 12, 8, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, true},
        Case{"rotary_mqa_causal", 4, 1, 10, 10, 8, nn::PositionBias::Rotary,
             nn::AlibiForm::Symmetric, true}),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(info.param.name);
    });

TEST(AttentionVariants, ElementwiseReadersFollowTheAttentionNode) {
  const Case cases[] = {
      {"alibi_causal", 4, 4, 17, 17, 8, nn::PositionBias::Alibi,
       nn::AlibiForm::Symmetric, true},
      {"alibi_gqa_decode", 8, 2, 3, 19, 8, nn::PositionBias::Alibi,
       nn::AlibiForm::Symmetric, true},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    Graph original = withElementwiseReaders(c);
    ASSERT_FALSE(bool(verify(original)));
    Graph g = original;
    runO3(g);
    expectOneAttentionNode(g, c);
    // The residual and the scale: one elementwise contraction reading the
    // attention, which keeps the output's name.
    NodeId last = g.producer(g.outputs().front());
    ASSERT_TRUE(last);
    EXPECT_EQ(g.node(last).op, OpKind::Contraction) << printGraph(g);
    EXPECT_EQ(g.tensor(g.outputs().front()).name, "scaled_out");
    std::vector<TensorData> inputs = randomInputs(original, 11);
    expectCpuMatches(g, inputs, 1e-4, 1e-4, &original);
  }
}

} // namespace
