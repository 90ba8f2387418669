// ALiBi: slopes against the paper's definition, the three bias forms run on
// the reference backend, decoding offsets, tensor-parallel shards, and the
// original API's four-node bias graph.
#include "ir/nn/AlibiPositionEncoding.h"

#include "ir/Builder.h"
#include "ir/Verifier.h"

#include "NnTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace einsum;
using namespace einsum::nn;
using namespace einsum::testing;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
// f32 graphs, values of order 1..10: a few ulps.
const double kF32Tol = 1e-5;

llvm::Expected<AlibiPositionEncoding> alibi(int64_t heads,
                                            AlibiOptions options = {}) {
  return AlibiPositionEncoding::create(
      PositionEncodingConfig::alibi(64 * heads, heads, 128), options);
}

//===----------------------------------------------------------------------===//
// Slopes
//===----------------------------------------------------------------------===//

class NnAlibiSlopes : public ::testing::TestWithParam<int64_t> {};

TEST_P(NnAlibiSlopes, PaperRecipeMatchesTheRecursiveDefinition) {
  int64_t n = GetParam();
  auto enc = alibi(n);
  ASSERT_OK(enc);
  EXPECT_EQ(enc->nHeads(), n);
  std::vector<double> got = enc->computeSlopes();
  std::vector<double> want = paperSlopes(n);
  ASSERT_EQ(got.size(), want.size());
  for (int64_t h = 0; h < n; ++h)
    EXPECT_NEAR(got[h], want[h], 1e-12 * want[h]) << "head " << h;
}

TEST_P(NnAlibiSlopes, TheGeneratorComputesTheSameSlopes) {
  int64_t n = GetParam();
  Graph g;
  Builder b(g);
  b.output(b.alibiSlopes(n, DType::F64), "m");
  ASSERT_FALSE(b.hasError());
  std::vector<TensorData> out = runOk(g, {});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want = paperSlopes(n);
  expectElements(
      out[0], [&](int64_t h) { return want[h]; }, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(NnHeadCounts, NnAlibiSlopes,
                         ::testing::Values(1, 8, 12, 16, 40, 112));

TEST(NnAlibi, PaperSlopesForTwelveHeads) {
  // The eight power-of-two slopes 2^-1 .. 2^-8, then the odd ones of the
  // 16-head sequence: 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5. Not monotone.
  auto enc = alibi(12);
  ASSERT_OK(enc);
  std::vector<double> s = enc->computeSlopes();
  double exponents[] = {1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5};
  for (int h = 0; h < 12; ++h)
    EXPECT_DOUBLE_EQ(s[h], std::exp2(-exponents[h])) << "head " << h;
}

TEST(NnAlibi, MaxBiasScalesTheExponents) {
  AlibiOptions o;
  o.maxBias = 4;
  auto enc = alibi(12, o);
  ASSERT_OK(enc);
  std::vector<double> got = enc->computeSlopes(), want = paperSlopes(12, 4);
  for (int h = 0; h < 12; ++h)
    EXPECT_NEAR(got[h], want[h], 1e-12) << "head " << h;
}

TEST(NnAlibi, SeedRecipeEqualsThePaperOnlyForPowersOfTwo) {
  AlibiOptions seed;
  seed.recipe = SlopeRecipe::Seed;
  for (int64_t n : {8, 16}) {
    auto enc = alibi(n, seed);
    ASSERT_OK(enc);
    std::vector<double> s = enc->computeSlopes(), p = paperSlopes(n);
    for (int64_t h = 0; h < n; ++h)
      EXPECT_NEAR(s[h], p[h], 1e-12) << n << " heads, head " << h;
  }
  // 12 heads: the seed's 2^(-8 i / 12) against the paper's. Head 8 is
  // 2^-6 against 2^-0.5, 2^5.5 = 45x apart; every extra head differs by
  // more than 22x.
  auto enc = alibi(12, seed);
  ASSERT_OK(enc);
  std::vector<double> s = enc->computeSlopes(), p = paperSlopes(12);
  for (int h = 0; h < 12; ++h)
    EXPECT_NEAR(s[h], std::exp2(-8.0 * (h + 1) / 12.0), 1e-15);
  EXPECT_NEAR(p[8] / s[8], std::exp2(5.5), 1e-9);
  for (int h = 8; h < 12; ++h)
    EXPECT_GT(p[h] / s[h], 22.0) << "head " << h;
  double worst = 0;
  for (int h = 0; h < 12; ++h)
    worst = std::max(worst, std::max(p[h] / s[h], s[h] / p[h]));
  EXPECT_NEAR(worst, std::exp2(5.5), 1e-9);
}

TEST(NnAlibi, TensorParallelShardsTakeTheirSliceOfTheFullModel) {
  std::vector<double> full = paperSlopes(12);
  for (int64_t offset : {0, 4, 8}) {
    AlibiOptions o;
    o.headOffset = offset;
    o.totalHeads = 12;
    auto shard = alibi(4, o);
    ASSERT_OK(shard);
    std::vector<double> s = shard->computeSlopes();
    ASSERT_EQ(s.size(), 4u);
    for (int h = 0; h < 4; ++h)
      EXPECT_DOUBLE_EQ(s[h], full[offset + h]) << "offset " << offset;
  }
  // Recomputing from the local head count would be wrong: 4 heads have the
  // slopes 2^-2, 2^-4, ...
  auto local = alibi(4);
  ASSERT_OK(local);
  EXPECT_NE(local->computeSlopes()[0], full[8]);
}

TEST(NnAlibi, TensorParallelBiasGraphUsesTheShardSlopes) {
  AlibiOptions o;
  o.headOffset = 8;
  o.totalHeads = 12;
  auto shard = alibi(4, o);
  ASSERT_OK(shard);
  Graph g;
  Builder b(g);
  TensorId scores = b.input("scores", TensorType::f64({1, 4, 3, 3}));
  auto out = shard->buildBias(g, scores);
  ASSERT_OK(out);
  b.output(*out, "out");
  ASSERT_FALSE(bool(verify(g)));
  TensorData zeros(TensorType::f64({1, 4, 3, 3}));
  std::vector<TensorData> r = runOk(g, {&zeros});
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> full = paperSlopes(12);
  expectElements(
      r[0],
      [&](int64_t e) {
        int64_t h = e / 9, i = e / 3 % 3, j = e % 3;
        return -full[8 + h] * std::abs(double(i - j));
      },
      1e-12);
}

//===----------------------------------------------------------------------===//
// Bias forms
//===----------------------------------------------------------------------===//

/// Scores [1, H, Sq, Sk] with the bias of `form` added (and, if `mask`, a
/// causal mask), optionally followed by a softmax over keys.
std::vector<TensorData> runBias(int64_t heads, int64_t sq, int64_t sk,
                                AlibiForm form, bool mask, bool softmax,
                                const TensorData &scores,
                                int64_t queryOffset = -1) {
  AlibiOptions o;
  o.form = form;
  o.queryOffset = queryOffset;
  auto enc = alibi(heads, o);
  if (!enc) {
    ADD_FAILURE() << firstMessage(enc.takeError());
    return {};
  }
  Graph g;
  Builder b(g);
  TensorId s = b.input("scores", scores.type());
  TensorId out = idOrFail(enc->buildBias(g, s));
  DType dt = scores.type().elementType();
  if (mask)
    out = b.add(out, b.causalMask(TensorType(dt, {sq, sk}), sk - sq));
  if (softmax)
    out = b.softmax(out);
  b.output(out, "out");
  if (llvm::Error err = b.takeError()) {
    ADD_FAILURE() << firstMessage(std::move(err));
    return {};
  }
  if (llvm::Error err = verify(g)) {
    ADD_FAILURE() << firstMessage(std::move(err));
    return {};
  }
  return runOk(g, {&scores});
}

TEST(NnAlibi, EachFormComputesItsDefinition) {
  const int64_t H = 3, S = 5;
  TensorType t = TensorType::f32({1, H, S, S});
  TensorData scores = wave(t, 0.3);
  std::vector<double> m = paperSlopes(H);
  auto at = [&](int64_t e, int64_t &h, int64_t &i, int64_t &j) {
    h = e / (S * S), i = e / S % S, j = e % S;
  };
  std::vector<TensorData> sym =
      runBias(H, S, S, AlibiForm::Symmetric, false, false, scores);
  ASSERT_EQ(sym.size(), 1u);
  expectElements(
      sym[0],
      [&](int64_t e) {
        int64_t h, i, j;
        at(e, h, i, j);
        return scores.get(e) - m[h] * std::abs(double(i - j));
      },
      0, kF32Tol);
  std::vector<TensorData> causal =
      runBias(H, S, S, AlibiForm::Causal, false, false, scores);
  ASSERT_EQ(causal.size(), 1u);
  // Above the diagonal: exactly -inf, a mask (never +inf or NaN).
  expectElements(
      causal[0],
      [&](int64_t e) {
        int64_t h, i, j;
        at(e, h, i, j);
        return j > i ? -kInf : scores.get(e) - m[h] * double(i - j);
      },
      0, kF32Tol);
  std::vector<TensorData> key =
      runBias(H, S, S, AlibiForm::KeyOnly, false, false, scores);
  ASSERT_EQ(key.size(), 1u);
  expectElements(
      key[0],
      [&](int64_t e) {
        int64_t h, i, j;
        at(e, h, i, j);
        return scores.get(e) + m[h] * double(j);
      },
      0, kF32Tol);
}

TEST(NnAlibi, AllFormsAgreeAfterSoftmaxUnderACausalMask) {
  const int64_t H = 12, S = 9;
  TensorData scores = wave(TensorType::f32({1, H, S, S}), 1.1);
  std::vector<TensorData> sym =
      runBias(H, S, S, AlibiForm::Symmetric, true, true, scores);
  std::vector<TensorData> causal =
      runBias(H, S, S, AlibiForm::Causal, false, true, scores);
  std::vector<TensorData> causalMasked =
      runBias(H, S, S, AlibiForm::Causal, true, true, scores);
  std::vector<TensorData> key =
      runBias(H, S, S, AlibiForm::KeyOnly, true, true, scores);
  ASSERT_TRUE(sym.size() == 1 && causal.size() == 1 &&
              causalMasked.size() == 1 && key.size() == 1);
  for (const TensorData *other : {&causal[0], &causalMasked[0], &key[0]}) {
    Comparison c = compareTensors(*other, sym[0], 0, kF32Tol);
    EXPECT_TRUE(c.allClose) << "max error " << c.maxAbsError;
  }
}

TEST(NnAlibi, FormsDifferWithoutAMask) {
  const int64_t H = 4, S = 9;
  TensorData scores = wave(TensorType::f32({1, H, S, S}), 0.4);
  std::vector<TensorData> sym =
      runBias(H, S, S, AlibiForm::Symmetric, false, true, scores);
  std::vector<TensorData> causal =
      runBias(H, S, S, AlibiForm::Causal, false, true, scores);
  std::vector<TensorData> key =
      runBias(H, S, S, AlibiForm::KeyOnly, false, true, scores);
  ASSERT_TRUE(sym.size() == 1 && causal.size() == 1 && key.size() == 1);
  // Bidirectional attention: the key-only form favours late keys instead of
  // near ones, and the causal form hides the future.
  EXPECT_GT(compareTensors(key[0], sym[0], 0, 0).maxAbsError, 0.1);
  EXPECT_GT(compareTensors(causal[0], sym[0], 0, 0).maxAbsError, 0.1);
  EXPECT_GT(compareTensors(key[0], causal[0], 0, 0).maxAbsError, 0.1);
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

/// Rows [Sk - Sq, Sk) of the [1, H, Sk, Sk] result `full`.
double lastRows(const TensorData &full, int64_t sq, int64_t sk, int64_t e) {
  int64_t h = e / (sq * sk), i = e / sk % sq, j = e % sk;
  return full.get((h * sk + (sk - sq + i)) * sk + j);
}

TEST(NnAlibi, DecodingMatchesTheLastRowsOfTheFullComputation) {
  const int64_t H = 4, Sk = 17;
  TensorData fullScores = wave(TensorType::f32({1, H, Sk, Sk}), 2.0);
  for (AlibiForm form :
       {AlibiForm::Symmetric, AlibiForm::Causal, AlibiForm::KeyOnly}) {
    bool mask = form != AlibiForm::Causal;
    std::vector<TensorData> full =
        runBias(H, Sk, Sk, form, mask, true, fullScores);
    ASSERT_EQ(full.size(), 1u);
    for (int64_t sq : {1, 5}) {
      // The decode step sees only the last sq query rows of the scores.
      TensorData scores =
          filled(TensorType::f32({1, H, sq, Sk}),
                 [&](int64_t e) { return lastRows(fullScores, sq, Sk, e); });
      std::vector<TensorData> step =
          runBias(H, sq, Sk, form, mask, true, scores);
      ASSERT_EQ(step.size(), 1u);
      expectElements(
          step[0], [&](int64_t e) { return lastRows(full[0], sq, Sk, e); }, 0,
          kF32Tol);
    }
  }
}

TEST(NnAlibi, ExplicitQueryOffset) {
  // Two queries at absolute positions 3 and 4 over 6 keys.
  TensorData zeros(TensorType::f64({1, 1, 2, 6}));
  std::vector<TensorData> r =
      runBias(1, 2, 6, AlibiForm::Symmetric, false, false, zeros, 3);
  ASSERT_EQ(r.size(), 1u);
  double m = paperSlopes(1)[0];
  expectElements(
      r[0],
      [&](int64_t e) {
        int64_t i = e / 6 + 3, j = e % 6;
        return -m * std::abs(double(i - j));
      },
      1e-12);
}

//===----------------------------------------------------------------------===//
// The original's convention
//===----------------------------------------------------------------------===//

TEST(NnAlibi, BuildBiasGraphAppendsExactlyTheOriginalsFourNodes) {
  auto enc = alibi(4);
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorId scores = b.input("scores", TensorType::f32({2, 4, 5, 5}));
  TensorId slopes = b.input("slopes", TensorType::f32({4}));
  TensorId dist = b.input("distance", TensorType::f32({5, 5}));
  ASSERT_EQ(scores.index(), 0u);
  auto out = enc->buildBiasGraph(g);
  ASSERT_OK(out);
  std::vector<NodeId> nodes = g.liveNodes();
  ASSERT_EQ(nodes.size(), 4u);
  const Node &expand = g.node(nodes[0]), &mul = g.node(nodes[1]),
             &neg = g.node(nodes[2]), &add = g.node(nodes[3]);
  EXPECT_EQ(expand.op, OpKind::ExpandDims);
  EXPECT_EQ(expand.inputs, std::vector<TensorId>{slopes});
  EXPECT_EQ(expand.attr("axes").getInts(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(mul.op, OpKind::Mul);
  EXPECT_EQ(mul.inputs, (std::vector<TensorId>{expand.result(), dist}));
  EXPECT_EQ(neg.op, OpKind::Neg);
  EXPECT_EQ(neg.inputs, std::vector<TensorId>{mul.result()});
  EXPECT_EQ(add.op, OpKind::Add);
  EXPECT_EQ(add.inputs, (std::vector<TensorId>{scores, neg.result()}));
  EXPECT_EQ(*out, add.result());
  EXPECT_EQ(g.type(*out), TensorType::f32({2, 4, 5, 5}));

  // It computes scores - m_h * distance with whatever the inputs hold.
  b.output(*out, "out");
  ASSERT_FALSE(bool(verify(g)));
  TensorData s = wave(g.type(scores), 0.1), m = wave(g.type(slopes), 0.2),
             d = wave(g.type(dist), 0.3);
  std::vector<TensorData> r = runOk(g, {&s, &m, &d});
  ASSERT_EQ(r.size(), 1u);
  expectElements(
      r[0],
      [&](int64_t e) {
        int64_t h = e / 25 % 4, ij = e % 25;
        return s.get(e) - m.get(h) * d.get(ij);
      },
      0, kF32Tol);
}

TEST(NnAlibi, BuildBiasGraphWorksOnProducedTensorsToo) {
  // Tensors 0..2 need not be graph inputs; the explicit overload takes any.
  auto enc = alibi(2);
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({1, 2, 3, 4}));
  TensorId scores = b.neg(x);
  TensorId slopes = b.alibiSlopes(2);
  TensorId dist = b.distance(TensorType::f32({3, 4}), "symmetric", 1);
  auto out = enc->buildBiasGraph(g, scores, slopes, dist);
  ASSERT_OK(out);
  EXPECT_EQ(g.liveNodes().size(), 7u);
}

struct BiasGraphError {
  const char *what;
  std::function<void(Graph &)> build;
  const char *message;
};

void PrintTo(const BiasGraphError &c, std::ostream *os) { *os << c.what; }

class NnAlibiBiasGraphErrors : public ::testing::TestWithParam<BiasGraphError> {
};

TEST_P(NnAlibiBiasGraphErrors, AreReportedNotCrashes) {
  auto enc = alibi(4);
  ASSERT_OK(enc);
  Graph g;
  GetParam().build(g);
  size_t nodesBefore = g.numNodes();
  EXPECT_EQ(errorOf(enc->buildBiasGraph(g)), GetParam().message);
  EXPECT_EQ(g.numNodes(), nodesBefore) << "a refused call adds nothing";
}

void inputs(Graph &g, TensorType s, TensorType m, TensorType d) {
  g.addInput("scores", std::move(s));
  g.addInput("slopes", std::move(m));
  g.addInput("distance", std::move(d));
}

INSTANTIATE_TEST_SUITE_P(
    NnCases, NnAlibiBiasGraphErrors,
    ::testing::Values(
        BiasGraphError{"empty", [](Graph &) {},
                       "alibi bias graph: the original's convention needs "
                       "tensors 0, 1, 2 (scores, slopes, distance); the "
                       "graph has 0"},
        BiasGraphError{"two tensors",
                       [](Graph &g) {
                         g.addInput("scores", TensorType::f32({1, 4, 2, 2}));
                         g.addInput("slopes", TensorType::f32({4}));
                       },
                       "alibi bias graph: the original's convention needs "
                       "tensors 0, 1, 2 (scores, slopes, distance); the "
                       "graph has 2"},
        BiasGraphError{"untyped",
                       [](Graph &g) {
                         g.addInput("scores", TensorType::f32({1, 4, 2, 2}));
                         g.addTensor("slopes");
                         g.addInput("distance", TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: slopes %slopes has no type"},
        BiasGraphError{"scores rank",
                       [](Graph &g) {
                         inputs(g, TensorType::f32({4, 2, 2}),
                                TensorType::f32({4}), TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: scores is f32[4,2,2]; expected rank "
                       "4 ([batch, heads, queries, keys])"},
        BiasGraphError{"integer scores",
                       [](Graph &g) {
                         inputs(g, TensorType::i64({1, 4, 2, 2}),
                                TensorType::f32({4}), TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: scores is i64[1,4,2,2]; expected "
                       "a float type"},
        BiasGraphError{"heads",
                       [](Graph &g) {
                         inputs(g, TensorType::f32({1, 3, 2, 2}),
                                TensorType::f32({3}), TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: scores f32[1,3,2,2] have 3 heads "
                       "but the encoding has n_heads 4"},
        BiasGraphError{"slopes heads",
                       [](Graph &g) {
                         inputs(g, TensorType::f32({1, 4, 2, 2}),
                                TensorType::f32({8}), TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: slopes f32[8] hold 8 heads but the "
                       "encoding has n_heads 4"},
        BiasGraphError{"slopes rank",
                       [](Graph &g) {
                         inputs(g, TensorType::f32({1, 4, 2, 2}),
                                TensorType::f32({4, 1}),
                                TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: slopes is f32[4,1]; expected rank "
                       "1 ([heads])"},
        BiasGraphError{"distance shape",
                       [](Graph &g) {
                         inputs(g, TensorType::f32({1, 4, 2, 3}),
                                TensorType::f32({4}), TensorType::f32({3, 2}));
                       },
                       "alibi bias graph: distance is f32[3,2]; expected "
                       "[2,3] to match scores f32[1,4,2,3]"},
        BiasGraphError{"element types",
                       [](Graph &g) {
                         inputs(g, TensorType::f32({1, 4, 2, 2}),
                                TensorType::f64({4}), TensorType::f32({2, 2}));
                       },
                       "alibi bias graph: element types differ: scores "
                       "f32[1,4,2,2], slopes f64[4]"}),
    [](const ::testing::TestParamInfo<BiasGraphError> &info) {
      std::string name;
      for (char c : std::string(info.param.what))
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

TEST(NnAlibi, ExplicitIdsMustBelongToTheGraph) {
  auto enc = alibi(4);
  ASSERT_OK(enc);
  Graph g;
  TensorId s = g.addInput("scores", TensorType::f32({1, 4, 2, 2}));
  TensorId m = g.addInput("slopes", TensorType::f32({4}));
  EXPECT_EQ(errorOf(enc->buildBiasGraph(g, s, m, TensorId(7))),
            "alibi bias graph: distance is not a tensor of the graph");
  EXPECT_EQ(errorOf(enc->buildBiasGraph(g, TensorId::invalid(), m, m)),
            "alibi bias graph: scores is not a tensor of the graph");
}

//===----------------------------------------------------------------------===//
// buildBias and create errors
//===----------------------------------------------------------------------===//

TEST(NnAlibi, BuildBiasNamesItsGeneratorsAndStaysUnique) {
  auto enc = alibi(2);
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorId s = b.input("scores", TensorType::f32({1, 2, 4, 4}));
  auto once = enc->buildBias(g, s);
  ASSERT_OK(once);
  auto twice = enc->buildBias(g, *once);
  ASSERT_OK(twice);
  b.output(*twice);
  EXPECT_TRUE(g.findTensor("slopes").isValid());
  EXPECT_TRUE(g.findTensor("slopes_1").isValid());
  EXPECT_TRUE(g.findTensor("dist_1").isValid());
  EXPECT_EQ(errorOf(verify(g)), "<no error>");
}

TEST(NnAlibi, BuildBiasRefusesBadScores) {
  auto enc = alibi(4);
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorId wrongHeads = b.input("a", TensorType::f32({1, 2, 4, 4}));
  EXPECT_EQ(errorOf(enc->buildBias(g, wrongHeads)),
            "alibi bias: scores f32[1,2,4,4] have 2 heads but the encoding "
            "has n_heads 4");
  TensorId moreQueries = b.input("b", TensorType::f32({1, 4, 8, 4}));
  EXPECT_EQ(errorOf(enc->buildBias(g, moreQueries)),
            "alibi bias: scores f32[1,4,8,4] have more queries (8) than keys "
            "(4), so the default query offset Sk - Sq is negative; set "
            "queryOffset");
  TensorId untyped = g.addTensor("c");
  EXPECT_EQ(errorOf(enc->buildBias(g, untyped)),
            "alibi bias: scores %c has no type");
}

TEST(NnAlibi, CreateRefusesBadOptions) {
  auto error = [](void (*edit)(AlibiOptions &), int64_t heads = 4) {
    AlibiOptions o;
    edit(o);
    return errorOf(alibi(heads, o));
  };
  EXPECT_EQ(error([](AlibiOptions &o) { o.maxBias = 0; }),
            "alibi options: max_bias is 0; expected a positive finite number");
  EXPECT_EQ(error([](AlibiOptions &o) {
              o.maxBias = std::numeric_limits<double>::quiet_NaN();
            }),
            "alibi options: max_bias is nan; expected a positive finite "
            "number");
  EXPECT_EQ(error([](AlibiOptions &o) { o.headOffset = -1; }),
            "alibi options: head_offset is -1; expected at least 0");
  EXPECT_EQ(error([](AlibiOptions &o) { o.totalHeads = -4; }),
            "alibi options: total_heads is -4; expected 0 (n_heads) or more");
  EXPECT_EQ(error([](AlibiOptions &o) {
              o.headOffset = 10;
              o.totalHeads = 12;
            }),
            "alibi options: heads [10, 14) are not within total_heads 12");
  EXPECT_EQ(error([](AlibiOptions &o) { o.headOffset = 1; }),
            "alibi options: heads [1, 5) are not within total_heads 4");
  EXPECT_EQ(error([](AlibiOptions &o) { o.queryOffset = -2; }),
            "alibi options: query_offset is -2; expected -1 (Sk - Sq) or at "
            "least 0");
}

TEST(NnAlibi, FormNames) {
  EXPECT_EQ(alibiFormName(AlibiForm::Symmetric), "symmetric");
  EXPECT_EQ(alibiFormName(AlibiForm::Causal), "causal");
  EXPECT_EQ(alibiFormName(AlibiForm::KeyOnly), "key-only");
}

} // namespace
