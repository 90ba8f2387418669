// buildDecoderBlock on the reference backend against the block written as
// plain loops here (LayerNorm, the fused projection, causal ALiBi attention
// with slopes from the closed form of the paper, tanh GELU), for
// multi-head, grouped-query and multi-query heads in f64 and f32; then the
// same graph through every named pipeline on the cpu backend; then the
// errors.
#include "ir/nn/DecoderBlock.h"

#include "CpuTestUtil.h"
#include "examples/generate/DirectDecoder.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace einsum;
using namespace einsum::nn;

namespace {

struct BlockCase {
  const char *name;
  int64_t batch, seq, hidden, heads, kvHeads, ffn;
  DType dtype;
};

/// A tensor's elements as doubles, row-major.
using Vec = std::vector<double>;

struct Block {
  BlockCase c;
  Graph graph{"block"};
  std::vector<TensorData> inputs; // x, then the weights in creation order
};

Block makeBlock(const BlockCase &c, unsigned seed) {
  Block blk{c};
  Builder b(blk.graph);
  TensorId x = b.input("x", TensorType(c.dtype, {c.batch, c.seq, c.hidden}));
  DecoderBlockOptions o;
  o.hidden = c.hidden;
  o.heads = c.heads;
  o.kvHeads = c.kvHeads;
  o.ffn = c.ffn;
  o.dtype = c.dtype;
  DecoderBlockWeights w =
      llvm::cantFail(createDecoderBlockWeights(blk.graph, o));
  DecoderBlock out = llvm::cantFail(buildDecoderBlock(blk.graph, x, w, o));
  b.output(out.out, "out");
  EXPECT_FALSE(bool(b.takeError()));

  // Weights scaled by 1/sqrt(fan-in), gammas around 1, so that softmax and
  // tanh see values of order 1 rather than saturating.
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  for (TensorId a : blk.graph.arguments()) {
    const std::string &name = blk.graph.tensor(a).name;
    TensorData t(blk.graph.type(a));
    double scale = 1, offset = 0;
    // wo's fan-in, heads * head_dim, is the hidden size too.
    if (name == "wqkv" || name == "w1" || name == "wo")
      scale = 1 / std::sqrt(double(c.hidden));
    else if (name == "w2")
      scale = 1 / std::sqrt(double(c.ffn));
    else if (name == "ln1_gamma" || name == "ln2_gamma")
      scale = 0.5, offset = 1;
    else if (name != "x")
      scale = 0.1;
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.set(i, offset + scale * u(rng));
    blk.inputs.push_back(std::move(t));
  }
  return blk;
}

Vec values(const TensorData &t) {
  Vec v(t.numElements());
  for (int64_t i = 0; i < t.numElements(); ++i)
    v[i] = t.get(i);
  return v;
}

/// The block as plain loops (examples/generate/DirectDecoder.h) on the
/// inputs x, then the weights in creation order.
Vec directBlock(const BlockCase &c, const std::vector<TensorData> &in) {
  direct::BlockWeights w{values(in[1]), values(in[2]),  values(in[3]),
                         values(in[4]), values(in[5]),  values(in[6]),
                         values(in[7]), values(in[8]),  values(in[9]),
                         values(in[10]), values(in[11]), values(in[12])};
  return direct::block({c.hidden, c.heads, c.kvHeads, c.ffn}, w,
                       values(in[0]), c.batch, c.seq);
}

class DecoderBlockTest : public ::testing::TestWithParam<BlockCase> {};

TEST_P(DecoderBlockTest, ReferenceMatchesDirectLoops) {
  const BlockCase &c = GetParam();
  Block blk = makeBlock(c, 7);
  ASSERT_FALSE(bool(verify(blk.graph))) << printGraph(blk.graph);
  std::vector<const TensorData *> ptrs;
  for (const TensorData &t : blk.inputs)
    ptrs.push_back(&t);
  llvm::Expected<std::vector<TensorData>> out = interpret(blk.graph, ptrs);
  ASSERT_TRUE(bool(out)) << firstMessage(out.takeError());
  Vec expected = directBlock(c, blk.inputs);
  // f64: both sides compute in double, in different orders. f32: the
  // reference rounds every node's result to f32.
  double rtol = c.dtype == DType::F64 ? 1e-9 : 1e-4;
  double atol = c.dtype == DType::F64 ? 1e-12 : 1e-5;
  ASSERT_EQ(int64_t(expected.size()), (*out)[0].numElements());
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR((*out)[0].get(i), expected[i],
                atol + rtol * std::abs(expected[i]))
        << "at " << i;
}

TEST_P(DecoderBlockTest, CpuPipelinesMatchTheReference) {
  const BlockCase &c = GetParam();
  registerAllPasses();
  Block blk = makeBlock(c, 11);
  for (const NamedPipeline &p : namedPipelines()) {
    SCOPED_TRACE(p.name.str());
    Graph g = blk.graph;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(p.pipeline)));
    ASSERT_FALSE(bool(pm.run(g))) << printGraph(g);
    // Against the reference of the unpassed graph; outputs are of order 1
    // to 10, and fused kernels sum in another order.
    double tol = c.dtype == DType::F64 ? 1e-9 : 1e-4;
    einsum::testing::expectCpuMatches(g, blk.inputs, tol, tol, &blk.graph);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Block, DecoderBlockTest,
    ::testing::Values(BlockCase{"mha_f64", 2, 5, 16, 4, 4, 24, DType::F64},
                      BlockCase{"gqa_f64", 2, 6, 16, 4, 2, 20, DType::F64},
                      BlockCase{"mqa_f64", 1, 7, 16, 4, 1, 12, DType::F64},
                      // Six heads: the paper's interleaved slopes.
                      BlockCase{"mha6_f64", 1, 5, 12, 6, 6, 16, DType::F64},
                      BlockCase{"mha_f32", 2, 5, 16, 4, 4, 24, DType::F32},
                      BlockCase{"gqa_f32", 2, 9, 32, 4, 2, 40, DType::F32},
                      BlockCase{"mqa_f32", 1, 7, 16, 4, 1, 12, DType::F32}),
    [](const ::testing::TestParamInfo<BlockCase> &info) {
      return std::string(info.param.name);
    });

/// A prompt of P positions through the block without a cache gives its
/// keys and values; the block with that cache (P known only at run time)
/// over S more positions gives what the block computes for them over the
/// whole sequence at once, and the cache grown by S.
TEST(DecoderBlockCache, StepsMatchTheWholeSequence) {
  registerAllPasses();
  registerBuiltinBackends();
  BlockCase c{"cache", 1, 0, 32, 4, 2, 48, DType::F32};
  DecoderBlockOptions o;
  o.hidden = c.hidden;
  o.heads = c.heads;
  o.kvHeads = c.kvHeads;
  o.ffn = c.ffn;
  int64_t hd = o.headDim();

  auto build = [&](bool cached) {
    Graph g(cached ? "step" : "prompt");
    Builder b(g);
    int64_t seq = cached ? 3 : symbolSize("s");
    TensorId x = b.input("x", TensorType::f32({1, seq, c.hidden}));
    std::optional<KvCache> past;
    TensorType cacheType =
        TensorType::f32({1, c.kvHeads, symbolSize("p"), hd});
    if (cached)
      past = KvCache{b.input("past_keys", cacheType),
                     b.input("past_values", cacheType)};
    DecoderBlockWeights w = llvm::cantFail(createDecoderBlockWeights(g, o));
    DecoderBlock out = llvm::cantFail(buildDecoderBlock(g, x, w, o, past));
    b.output(out.out, "out");
    b.output(out.keys, "keys");
    b.output(out.values, "values");
    EXPECT_FALSE(bool(b.takeError()));
    EXPECT_FALSE(bool(verify(g))) << printGraph(g);
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
    EXPECT_FALSE(bool(pm.run(g)));
    return g;
  };
  Graph prompt = build(false), step = build(true);
  EXPECT_NE(printGraph(step).find("= attention "), std::string::npos);

  for (llvm::StringRef name : {"reference", "cpu"}) {
    llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(name);
    if (!backend) {
      llvm::consumeError(backend.takeError());
      continue;
    }
    // Each graph compiled once for every length.
    auto promptExe = llvm::cantFail((*backend)->compile(prompt, {}));
    auto stepExe = llvm::cantFail((*backend)->compile(step, {}));
    for (int64_t p : {1, 5, 40}) {
      SCOPED_TRACE(name.str() + ", P = " + std::to_string(p));
      BlockCase whole = c;
      whole.seq = p + 3;
      Block blk = makeBlock(whole, 5);
      Vec x = values(blk.inputs[0]);
      Vec want = directBlock(whole, blk.inputs);
      TensorData first(TensorType::f32({1, p, c.hidden}));
      TensorData rest(TensorType::f32({1, 3, c.hidden}));
      for (int64_t i = 0; i < first.numElements(); ++i)
        first.set(i, x[i]);
      for (int64_t i = 0; i < rest.numElements(); ++i)
        rest.set(i, x[first.numElements() + i]);
      std::vector<TensorData> in = {first};
      in.insert(in.end(), blk.inputs.begin() + 1, blk.inputs.end());
      std::vector<TensorData> cache =
          einsum::testing::runExecutable(*promptExe, in);
      ASSERT_EQ(cache.size(), 3u);
      in = {rest, cache[1], cache[2]};
      in.insert(in.end(), blk.inputs.begin() + 1, blk.inputs.end());
      std::vector<TensorData> out =
          einsum::testing::runExecutable(*stepExe, in);
      ASSERT_EQ(out.size(), 3u);
      EXPECT_EQ(out[1].type(), TensorType::f32({1, c.kvHeads, p + 3, hd}));
      // The new rows of the whole sequence; f32 graphs against loops in
      // double, outputs of order 1 to 10.
      for (int64_t i = 0; i < out[0].numElements(); ++i)
        ASSERT_NEAR(out[0].get(i), want[p * c.hidden + i],
                    1e-4 + 1e-4 * std::abs(want[p * c.hidden + i]))
            << name.str() << " at " << i;
      // The cache grew by the new positions, the old ones kept.
      for (int64_t g = 0; g < c.kvHeads; ++g)
        for (int64_t j = 0; j < p * hd; ++j)
          ASSERT_EQ(out[1].get((g * (p + 3)) * hd + j),
                    cache[1].get(g * p * hd + j));
    }
  }
}

TEST(DecoderBlockErrors, OptionsAndWeights) {
  auto message = [](llvm::Error err) { return firstMessage(std::move(err)); };
  DecoderBlockOptions o;
  o.hidden = 10;
  o.heads = 4;
  EXPECT_EQ(message(o.validate()), "decoder block: hidden size 10 is not "
                                   "divisible by 4 heads; head_dim is hidden "
                                   "/ heads");
  o.hidden = 16;
  o.kvHeads = 3;
  EXPECT_EQ(message(o.validate()),
            "decoder block: 3 kv heads do not divide 4 heads");
  o.kvHeads = 0;
  EXPECT_EQ(message(o.validate()),
            "decoder block: kv heads is 0; expected at least 1");
  o.kvHeads = 2;
  EXPECT_FALSE(bool(o.validate()));

  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({1, 4, 8}));
  DecoderBlockWeights w = llvm::cantFail(createDecoderBlockWeights(g, o));
  EXPECT_EQ(message(createDecoderBlockWeights(g, o).takeError()),
            "decoder block: the graph already has a tensor %ln1_gamma; give "
            "the weights another prefix");
  EXPECT_TRUE(bool(createDecoderBlockWeights(g, o, "l1_")));
  std::string before = printGraph(g);
  EXPECT_EQ(message(buildDecoderBlock(g, x, w, o).takeError()),
            "decoder block: x is f32[1,4,8]; its last dimension must be the "
            "hidden size 16");
  TensorId x16 = g.addInput("x16", TensorType::f32({1, 4, 16}));
  before = printGraph(g);
  DecoderBlockWeights swapped = w;
  std::swap(swapped.w1, swapped.w2);
  EXPECT_EQ(message(buildDecoderBlock(g, x16, swapped, o).takeError()),
            "decoder block: w1 is f32[64,16]; expected f32[16,64] for x "
            "f32[1,4,16]");
  // An error from the attention leaves the graph as it was.
  DecoderBlockOptions bad = o;
  bad.attention.scale = INFINITY;
  EXPECT_EQ(message(buildDecoderBlock(g, x16, w, bad).takeError()),
            "attention: scale is inf; expected a finite number");
  EXPECT_EQ(printGraph(g), before);
  EXPECT_TRUE(bool(buildDecoderBlock(g, x16, w, o)));
}

} // namespace
