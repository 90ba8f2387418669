// One attention graph with lengths known only at run time, passed through
// -O0, -O2 and -O3 and compiled once per backend, run at several lengths:
// every run matches attention written as plain loops (DirectAttention.h)
// for the lengths of that run. ALiBi symmetric, causal and decode, grouped
// and multi-query heads, a head count that is not a power of two.
#include "CpuTestUtil.h"
#include "DirectAttention.h"

#include "backends/Backend.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

using namespace einsum;
using namespace einsum::testing;

namespace {

/// Which lengths are symbols: ?s for both (self-attention), ?k only (a
/// decode step of `queries` static queries), or ?q and ?k.
enum class Lengths { Self, KeysOnly, Both };

struct DynamicCase {
  const char *name;
  int64_t heads, kvHeads, d;
  nn::PositionBias position;
  bool causal;
  Lengths lengths;
  /// Static query count for KeysOnly.
  int64_t queries = 1;
  /// (queries, keys) of each run; queries is ignored unless Both.
  std::vector<std::pair<int64_t, int64_t>> runs;
};

void PrintTo(const DynamicCase &c, std::ostream *os) { *os << c.name; }

/// The graph with symbolic lengths: q [2, H, Sq, d], k and v [2, Hkv, Sk,
/// d] and [2, Hkv, Sk, d + 1].
Graph buildDynamic(const DynamicCase &c) {
  int64_t sq = 0, sk = 0;
  switch (c.lengths) {
  case Lengths::Self:
    sq = sk = symbolSize("s");
    break;
  case Lengths::KeysOnly:
    sq = c.queries;
    sk = symbolSize("k");
    break;
  case Lengths::Both:
    sq = symbolSize("q");
    sk = symbolSize("k");
    break;
  }
  Graph g("attention");
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({2, c.heads, sq, c.d}));
  TensorId k = b.input("k", TensorType::f32({2, c.kvHeads, sk, c.d}));
  TensorId v = b.input("v", TensorType::f32({2, c.kvHeads, sk, c.d + 1}));
  llvm::cantFail(b.takeError());
  AttnCase a;
  a.position = c.position;
  a.causal = c.causal;
  llvm::Expected<TensorId> out = nn::buildAttention(g, q, k, v, a.options());
  EXPECT_TRUE(bool(out)) << firstMessage(out.takeError());
  g.addOutput(*out);
  return g;
}

/// Inputs of one run: a wave per tensor, q scaled up so that the softmax
/// is far from uniform and the bias shows.
std::vector<TensorData> inputsFor(const DynamicCase &c, int64_t sq,
                                  int64_t sk) {
  std::vector<TensorData> in;
  in.push_back(wave(TensorType::f32({2, c.heads, sq, c.d}), 1.0));
  in.push_back(wave(TensorType::f32({2, c.kvHeads, sk, c.d}), 2.0));
  in.push_back(wave(TensorType::f32({2, c.kvHeads, sk, c.d + 1}), 3.0));
  for (int64_t e = 0; e < in[0].numElements(); ++e)
    in[0].set(e, 3.0 * in[0].get(e));
  return in;
}

class DynamicAttention : public ::testing::TestWithParam<DynamicCase> {
protected:
  void SetUp() override {
    registerAllPasses();
    registerBuiltinBackends();
  }
};

TEST_P(DynamicAttention, OneCompileMatchesDirectLoopsAtEveryLength) {
  const DynamicCase &c = GetParam();
  Graph original = buildDynamic(c);
  ASSERT_FALSE(bool(verify(original))) << printGraph(original);
  for (unsigned opt : {0u, 2u, 3u}) {
    std::string level = "-O" + std::to_string(opt);
    Graph g = original;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(opt))));
    ASSERT_FALSE(bool(pm.run(g))) << printGraph(g);
    if (level == "-O3")
      EXPECT_NE(printGraph(g).find("= attention "), std::string::npos)
          << printGraph(g);
    for (llvm::StringRef name : {"reference", "cpu"}) {
      llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(name);
      if (!backend) {
        llvm::consumeError(backend.takeError());
        continue; // the cpu backend is not built
      }
      llvm::Expected<std::unique_ptr<Executable>> exe =
          (*backend)->compile(g, {});
      ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
      ASSERT_TRUE((*exe)->hasSymbolicSizes());
      for (auto [queries, keys] : c.runs) {
        int64_t sq = c.lengths == Lengths::Both     ? queries
                     : c.lengths == Lengths::Self   ? keys
                                                    : c.queries;
        SCOPED_TRACE(fmt::format("{} {} Sq={} Sk={}", level, name.str(), sq,
                                 keys));
        std::vector<TensorData> in = inputsFor(c, sq, keys);
        std::vector<TensorData> out = runExecutable(**exe, in);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].type(), TensorType::f32({2, c.heads, sq, c.d + 1}));
        AttnCase a;
        a.batch = 2;
        a.heads = c.heads;
        a.kvHeads = c.kvHeads;
        a.sq = sq;
        a.sk = keys;
        a.d = c.d;
        a.dv = c.d + 1;
        a.position = c.position;
        a.causal = c.causal;
        std::vector<double> want =
            directAttention(a, in[0], in[1], in[2], nullptr);
        // f32 throughout; the fused kernels' exp is within 2 ulp, and
        // outputs are O(1).
        expectElements(
            out[0], [&](int64_t e) { return want[e]; }, 2e-5, 2e-5);
      }
    }
  }
}

using P = nn::PositionBias;

INSTANTIATE_TEST_SUITE_P(
    Lengths, DynamicAttention,
    ::testing::Values(
        DynamicCase{"alibi_symmetric",
                    4,
                    4,
                    8,
                    P::Alibi,
                    false,
                    Lengths::Self,
                    1,
                    {{0, 1}, {0, 7}, {0, 33}, {0, 77}}},
        DynamicCase{"alibi_causal",
                    6,
                    6,
                    16,
                    P::Alibi,
                    true,
                    Lengths::Self,
                    1,
                    {{0, 1}, {0, 13}, {0, 64}, {0, 130}}},
        DynamicCase{"alibi_decode",
                    4,
                    4,
                    8,
                    P::Alibi,
                    true,
                    Lengths::KeysOnly,
                    1,
                    {{0, 1}, {0, 2}, {0, 45}, {0, 200}}},
        DynamicCase{"alibi_decode_rows",
                    4,
                    2,
                    8,
                    P::Alibi,
                    true,
                    Lengths::Both,
                    1,
                    {{3, 3}, {3, 20}, {5, 77}}},
        DynamicCase{"alibi_gqa_causal",
                    8,
                    2,
                    8,
                    P::Alibi,
                    true,
                    Lengths::Self,
                    1,
                    {{0, 5}, {0, 40}, {0, 97}}},
        DynamicCase{"alibi_mqa_decode",
                    6,
                    1,
                    8,
                    P::Alibi,
                    true,
                    Lengths::KeysOnly,
                    2,
                    {{0, 2}, {0, 31}, {0, 100}}},
        DynamicCase{"none_causal",
                    2,
                    2,
                    8,
                    P::None,
                    true,
                    Lengths::Self,
                    1,
                    {{0, 3}, {0, 50}}},
        DynamicCase{"rotary_decode",
                    2,
                    2,
                    8,
                    P::Rotary,
                    true,
                    Lengths::KeysOnly,
                    1,
                    {{0, 4}, {0, 29}}}),
    [](const ::testing::TestParamInfo<DynamicCase> &info) {
      return std::string(info.param.name);
    });

} // namespace
