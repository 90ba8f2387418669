// Every named pipeline's output, compiled by the cpu backend, matches the
// reference on the unpassed graph: ALiBi (symmetric, causal, decode, GQA),
// T5 relative and plain attention. The cpu backend computes in f32 where
// the reference fuses in double, hence 1e-4 on O(1) outputs.
#include "AttentionCases.h"
#include "CpuTestUtil.h"
#include "ir/Builder.h"
#include "ir/Verifier.h"
#include "ir/nn/Attention.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

using namespace einsum;
using namespace einsum::testing;

namespace {

using Case = einsum::testing::AttentionCase;

class CpuPipeline : public ::testing::TestWithParam<Case> {
protected:
  void SetUp() override { registerAllPasses(); }
};

TEST_P(CpuPipeline, EveryNamedPipelineMatchesTheUnpassedReference) {
  Graph original = buildAttentionCase(GetParam());
  ASSERT_FALSE(bool(verify(original)));
  std::vector<TensorData> inputs = randomInputs(original, 21);
  for (const NamedPipeline &p : namedPipelines()) {
    SCOPED_TRACE(p.name.str());
    Graph g = original;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(p.pipeline)));
    ASSERT_FALSE(bool(pm.run(g))) << printGraph(g);
    // One thread, and a work split across threads.
    for (unsigned threads : {1u, 3u}) {
      SCOPED_TRACE(threads);
      CompileOptions options;
      options.threads = threads;
      expectCpuMatches(g, inputs, 1e-4, 1e-4, &original, options);
    }
    // Kernels shaped for AVX2 and 128-bit machines (tile shapes, masks and
    // remainders differ), whatever this host has.
    for (const char *bits : {"256", "128"}) {
      SCOPED_TRACE(bits);
      setenv("EG_CPU_VECTOR_BITS", bits, 1);
      expectCpuMatches(g, inputs, 1e-4, 1e-4, &original);
      unsetenv("EG_CPU_VECTOR_BITS");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Attention, CpuPipeline,
    ::testing::Values(
        Case{"none", 4, 4, 13, 13, 8, nn::PositionBias::None,
             nn::AlibiForm::Symmetric, false},
        Case{"causal_none", 4, 4, 7, 7, 8, nn::PositionBias::None,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_symmetric", 12, 12, 13, 13, 7, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, false},
        Case{"alibi_causal", 8, 8, 77, 77, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_decode", 4, 4, 1, 17, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        // Several key tiles, softmax steps, row blocks and work items; value
        // width not a multiple of the vector.
        Case{"alibi_causal_long", 3, 3, 333, 333, 64, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_long", 2, 2, 200, 300, 32, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, false},
        Case{"alibi_causal_prefix", 2, 1, 77, 300, 16, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"causal_none_long", 2, 2, 160, 160, 16, nn::PositionBias::None,
             nn::AlibiForm::Symmetric, true},
        Case{"alibi_gqa", 8, 2, 9, 9, 8, nn::PositionBias::Alibi,
             nn::AlibiForm::Symmetric, true},
        Case{"relative", 4, 4, 12, 12, 8, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, false},
        Case{"relative_causal_decode", 3, 3, 3, 19, 6,
             nn::PositionBias::Relative, nn::AlibiForm::Symmetric, true},
        Case{"relative_long", 2, 2, 140, 140, 4, nn::PositionBias::Relative,
             nn::AlibiForm::Symmetric, false},
        Case{"rotary_causal", 4, 4, 10, 10, 8, nn::PositionBias::Rotary,
             nn::AlibiForm::Symmetric, true}),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(info.param.name);
    });

} // namespace
