// buildDecoderBlock on the reference backend against the block written as
// plain loops here (LayerNorm, the fused projection, causal ALiBi attention
// with slopes from the closed form of the paper, tanh GELU), for
// multi-head, grouped-query and multi-query heads in f64 and f32; then the
// same graph through every named pipeline on the cpu backend; then the
// errors.
#include "ir/nn/DecoderBlock.h"

#include "CpuTestUtil.h"
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

/// Press et al. for any head count, in closed form:
/// with p the largest power of two <= n, 2^(-8(h+1)/p) for h < p and
/// 2^(-4(2(h-p)+1)/p) after.
std::vector<double> closedFormSlopes(int64_t n) {
  int64_t p = 1;
  while (2 * p <= n)
    p *= 2;
  std::vector<double> m(n);
  for (int64_t h = 0; h < n; ++h)
    m[h] = h < p ? std::exp2(-8.0 * double(h + 1) / double(p))
                 : std::exp2(-4.0 * double(2 * (h - p) + 1) / double(p));
  return m;
}

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

/// LayerNorm of each row of `rows` x `d`.
Vec directLayerNorm(const Vec &x, int64_t rows, int64_t d, const Vec &gamma,
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

/// The block from its definition, one position at a time.
Vec directBlock(const BlockCase &c, const std::vector<TensorData> &in) {
  const int64_t B = c.batch, S = c.seq, D = c.hidden, H = c.heads,
                G = c.kvHeads, F = c.ffn, hd = D / H, N = H + 2 * G;
  Vec x = values(in[0]), ln1g = values(in[1]), ln1b = values(in[2]),
      wqkv = values(in[3]), bqkv = values(in[4]), wo = values(in[5]),
      bo = values(in[6]), ln2g = values(in[7]), ln2b = values(in[8]),
      w1 = values(in[9]), b1 = values(in[10]), w2 = values(in[11]),
      b2 = values(in[12]);
  Vec slopes = closedFormSlopes(H);
  Vec h1 = directLayerNorm(x, B * S, D, ln1g, ln1b);
  // proj[b][s][n][e]: position-major, unlike the graph's head-major layout.
  Vec proj(B * S * N * hd, 0.0);
  for (int64_t r = 0; r < B * S; ++r)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t e = 0; e < hd; ++e) {
        double acc = bqkv[n * hd + e];
        for (int64_t i = 0; i < D; ++i)
          acc += h1[r * D + i] * wqkv[(i * N + n) * hd + e];
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
        double acc = bo[o];
        for (int64_t he = 0; he < H * hd; ++he)
          acc += heads[he] * wo[he * D + o];
        y[(b * S + i) * D + o] = x[(b * S + i) * D + o] + acc;
      }
    }
  Vec h2 = directLayerNorm(y, B * S, D, ln2g, ln2b);
  Vec out(B * S * D);
  const double pi = std::acos(-1.0);
  for (int64_t r = 0; r < B * S; ++r) {
    Vec act(F);
    for (int64_t f = 0; f < F; ++f) {
      double u = b1[f];
      for (int64_t i = 0; i < D; ++i)
        u += h2[r * D + i] * w1[i * F + f];
      act[f] = 0.5 * u *
               (1 + std::tanh(std::sqrt(2 / pi) * (u + 0.044715 * u * u * u)));
    }
    for (int64_t o = 0; o < D; ++o) {
      double acc = b2[o];
      for (int64_t f = 0; f < F; ++f)
        acc += act[f] * w2[f * D + o];
      out[r * D + o] = y[r * D + o] + acc;
    }
  }
  return out;
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
