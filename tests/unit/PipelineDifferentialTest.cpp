// Every named pipeline must leave results unchanged: the unpassed graph and
// the transformed one run on the reference backend agree within tolerance,
// over position encodings, ALiBi forms, head counts (including ones that are
// not powers of two), grouped-query, decode and odd shapes.
#include "AttentionCases.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "ir/nn/Attention.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace einsum;

namespace {

using Case = einsum::testing::AttentionCase;

std::vector<TensorData> inputsFor(const Graph &g) {
  std::vector<TensorData> inputs;
  unsigned salt = 0;
  for (TensorId a : g.arguments()) {
    TensorData t(g.type(a));
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.set(i, std::sin(0.7 * double(i) + 1.3 * ++salt));
    inputs.push_back(std::move(t));
  }
  return inputs;
}

std::vector<TensorData> run(const Graph &g,
                            const std::vector<TensorData> &inputs) {
  std::vector<const TensorData *> ptrs;
  for (const TensorData &t : inputs)
    ptrs.push_back(&t);
  llvm::Expected<std::vector<TensorData>> out = interpret(g, ptrs);
  EXPECT_TRUE(bool(out)) << firstMessage(out.takeError());
  return out ? std::move(*out) : std::vector<TensorData>{};
}

class PipelineDifferential : public ::testing::TestWithParam<Case> {
protected:
  void SetUp() override { registerAllPasses(); }
};

TEST_P(PipelineDifferential, EveryNamedPipelineKeepsTheResults) {
  Graph original = buildAttentionCase(GetParam());
  ASSERT_FALSE(bool(verify(original)));
  std::vector<TensorData> inputs = inputsFor(original);
  std::vector<TensorData> expected = run(original, inputs);
  ASSERT_EQ(expected.size(), 1u);
  for (const NamedPipeline &p : namedPipelines()) {
    SCOPED_TRACE(p.name.str());
    Graph g = original;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(p.pipeline)));
    ASSERT_FALSE(bool(pm.run(g))) << printGraph(g);
    std::vector<TensorData> actual = run(g, inputs);
    ASSERT_EQ(actual.size(), 1u);
    // Fusion computes the scores in double and rounds once, where the
    // unfused graph rounds each step to f32: agreement to f32 precision of
    // O(1) outputs.
    Comparison cmp = compareTensors(actual[0], expected[0], 1e-5, 1e-5);
    EXPECT_TRUE(cmp.allClose)
        << "max |error| " << cmp.maxAbsError << " at " << cmp.worstIndex << "\n"
        << printGraph(g);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Attention, PipelineDifferential,
    ::testing::Values(
        Case{"none", 4, 4, 9, 9, 8, nn::PositionBias::None,
             nn::AlibiForm::Symmetric, false},
        Case{"causal_none", 4, 4, 9, 9, 8, nn::PositionBias::None,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_symmetric_12_heads", 12, 12, 13, 13, 7,
             nn::PositionBias::Alibi, nn::AlibiForm::Symmetric, false},
        Case{"alibi_causal", 8, 8, 16, 16, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_key_only", 6, 6, 11, 11, 5, nn::PositionBias::Alibi,
             nn::AlibiForm::KeyOnly, true},
        Case{"alibi_seed_slopes", 12, 12, 7, 7, 4, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, false, SlopeRecipe::Seed},
        Case{"alibi_scaled_bias", 4, 4, 10, 10, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, false, SlopeRecipe::Paper, true},
        Case{"alibi_decode", 4, 4, 1, 17, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_decode_rows", 5, 5, 3, 19, 6, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_gqa", 8, 2, 9, 9, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_mqa", 4, 1, 9, 9, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, false},
        Case{"relative", 4, 4, 12, 12, 8, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, false},
        // Causal attention uses unidirectional buckets.
        Case{"relative_causal", 4, 4, 12, 12, 8, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, true},
        // Decoding: query i sits at position i + Sk - Sq.
        Case{"relative_decode", 3, 3, 3, 19, 6, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, true},
        Case{"relative_decode_bidirectional", 4, 4, 1, 17, 8,
             nn::PositionBias::Relative, nn::AlibiForm::Symmetric, false},
        // Distances past max_distance 128 reach the clamped last buckets.
        Case{"relative_long", 2, 2, 140, 140, 4, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, false},
        Case{"rotary_causal", 4, 4, 10, 10, 8, nn::PositionBias::Rotary,
             nn::AlibiForm::Symmetric, true}),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(info.param.name);
    });

/// After -O2, multi-head ALiBi and T5 relative attention have no distance,
/// bucket or gather left and no intermediate of the scores' shape other
/// than the contraction's result.
TEST(FuseAlibiBias, LeavesNoDistanceAndNoBiasTensor) {
  registerAllPasses();
  const Case cases[] = {
      {"alibi_symmetric", 12, 12, 16, 16, 8, nn::PositionBias::Alibi,
       nn::AlibiForm::Symmetric, true},
      {"alibi_key_only", 12, 12, 16, 16, 8, nn::PositionBias::Alibi,
       nn::AlibiForm::KeyOnly, true},
      {"relative", 12, 12, 16, 16, 8, nn::PositionBias::Relative,
       nn::AlibiForm::Symmetric, false},
      {"relative_causal", 12, 12, 16, 16, 8, nn::PositionBias::Relative,
       nn::AlibiForm::Symmetric, true},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    Graph g = buildAttentionCase(c);
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(2))));
    ASSERT_FALSE(bool(pm.run(g)));
    int contractions = 0;
    for (NodeId id : g.liveNodes()) {
      const Node &n = g.node(id);
      EXPECT_NE(n.op, OpKind::Distance) << printGraph(g);
      EXPECT_NE(n.op, OpKind::CausalMask) << printGraph(g);
      EXPECT_NE(n.op, OpKind::RelativeBuckets) << printGraph(g);
      EXPECT_NE(n.op, OpKind::Gather) << printGraph(g);
      if (n.op == OpKind::Contraction)
        ++contractions;
      // Nothing but the contraction and the softmax is [..., Sq, Sk].
      llvm::ArrayRef<int64_t> shape = g.type(n.result()).shape();
      bool scoresShaped = shape.size() >= 2 && shape.take_back(2)[0] == 16 &&
                          shape.take_back(2)[1] == 16;
      if (n.op != OpKind::Contraction && n.op != OpKind::Softmax)
        EXPECT_FALSE(scoresShaped) << g.describeNode(id) << "\n"
                                   << printGraph(g);
    }
    EXPECT_EQ(contractions, 1) << printGraph(g);
  }
}

} // namespace
