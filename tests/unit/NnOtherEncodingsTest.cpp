// Sinusoidal, learned, relative and rotary encodings, each run on the
// reference backend against its closed form written in the test.
#include "ir/nn/OtherEncodings.h"

#include "ir/Builder.h"
#include "ir/RelativeBuckets.h"
#include "ir/Verifier.h"

#include "NnTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace einsum;
using namespace einsum::nn;
using namespace einsum::testing;

namespace {

// f32 tables of sines and products of order 1: a few ulps, plus the angle
// rounding of positions up to ~20.
const double kF32Tol = 1e-5;

/// Runs `g` (already holding its outputs) after checking it verifies.
std::vector<TensorData> verifyAndRun(const Graph &g,
                                     std::vector<const TensorData *> inputs) {
  if (llvm::Error err = verify(g)) {
    ADD_FAILURE() << firstMessage(std::move(err));
    return {};
  }
  return runOk(g, std::move(inputs));
}

//===----------------------------------------------------------------------===//
// Sinusoidal
//===----------------------------------------------------------------------===//

double sinusoid(int64_t p, int64_t c, int64_t d, double base) {
  double angle = double(p) / std::pow(base, double(2 * (c / 2)) / double(d));
  return c % 2 == 0 ? std::sin(angle) : std::cos(angle);
}

struct TableCase {
  int64_t seq, d;
  double base;
  DType dtype;
};

void PrintTo(const TableCase &c, std::ostream *os) {
  *os << "seq " << c.seq << ", d " << c.d << ", base " << c.base << ", "
      << dtypeName(c.dtype).str();
}

class NnSinusoidalTable : public ::testing::TestWithParam<TableCase> {};

TEST_P(NnSinusoidalTable, MatchesTheClosedForm) {
  TableCase c = GetParam();
  PositionEncodingConfig cfg = PositionEncodingConfig::sinusoidal(c.d, 64);
  cfg.base = c.base;
  auto enc = SinusoidalPositionEncoding::create(cfg);
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  auto table = enc->buildTable(g, c.seq, c.dtype);
  ASSERT_OK(table);
  EXPECT_EQ(g.type(*table), TensorType(c.dtype, {c.seq, c.d}));
  b.output(*table, "pe");
  // No stored table: only generators, elementwise ops and shape ops.
  for (NodeId n : g.liveNodes())
    if (g.node(n).op == OpKind::Constant) {
      EXPECT_LE(g.type(g.node(n).result()).numElements(), 2);
    }
  std::vector<TensorData> out = verifyAndRun(g, {});
  ASSERT_EQ(out.size(), 1u);
  double tol = c.dtype == DType::F64 ? 1e-12 : kF32Tol;
  expectElements(
      out[0],
      [&](int64_t e) { return sinusoid(e / c.d, e % c.d, c.d, c.base); }, 0,
      tol);
}

INSTANTIATE_TEST_SUITE_P(NnShapes, NnSinusoidalTable,
                         ::testing::Values(TableCase{10, 16, 1e4, DType::F32},
                                           TableCase{13, 7, 1e4, DType::F32},
                                           TableCase{1, 2, 1e4, DType::F32},
                                           TableCase{20, 6, 100, DType::F64},
                                           TableCase{9, 1, 1e4, DType::F64}));

TEST(NnSinusoidal, ApplyAddsTheTableToEveryBatch) {
  auto enc = SinusoidalPositionEncoding::create(
      PositionEncodingConfig::sinusoidal(6, 32));
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f32({2, 5, 6});
  TensorId x = b.input("x", t);
  auto y = enc->apply(g, x);
  ASSERT_OK(y);
  b.output(*y, "y");
  TensorData xd = wave(t, 0.5);
  std::vector<TensorData> out = verifyAndRun(g, {&xd});
  ASSERT_EQ(out.size(), 1u);
  expectElements(
      out[0],
      [&](int64_t e) { return xd.get(e) + sinusoid(e / 6 % 5, e % 6, 6, 1e4); },
      0, kF32Tol);
}

TEST(NnSinusoidal, Errors) {
  auto enc = SinusoidalPositionEncoding::create(
      PositionEncodingConfig::sinusoidal(8, 32));
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  EXPECT_EQ(errorOf(enc->buildTable(g, 0)),
            "sinusoidal table: seq_len is 0; expected at least 1");
  EXPECT_EQ(errorOf(enc->buildTable(g, 4, DType::I64)),
            "sinusoidal table: element type i64 is not f32 or f64");
  TensorId wrong = b.input("x", TensorType::f32({4, 6}));
  EXPECT_EQ(errorOf(enc->apply(g, wrong)),
            "sinusoidal encoding: x is f32[4,6]; expected its last dimension "
            "to be d_model 8");
  TensorId vec = b.input("v", TensorType::f32({8}));
  EXPECT_EQ(errorOf(enc->apply(g, vec)),
            "sinusoidal encoding: x is f32[8]; expected a float type of rank 2 "
            "or more ([..., seq, d_model])");
  EXPECT_EQ(g.numNodes(), 0u);
}

//===----------------------------------------------------------------------===//
// Learned
//===----------------------------------------------------------------------===//

TEST(NnLearned, GathersTheFirstRowsOfTheTable) {
  auto enc =
      LearnedPositionEncoding::create(PositionEncodingConfig::learned(4, 10));
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f32({2, 3, 4});
  TensorId x = b.input("x", t);
  auto y = enc->apply(g, x, "wpe");
  ASSERT_OK(y);
  b.output(*y, "y");
  TensorId table = g.findTensor("wpe");
  ASSERT_TRUE(g.isParameter(table));
  EXPECT_EQ(g.type(table), TensorType::f32({10, 4}));
  TensorData xd = wave(t, 0.2);
  TensorData td = filled(g.type(table), [](int64_t e) { return 0.5 * e; });
  std::vector<TensorData> out = verifyAndRun(g, {&xd, &td});
  ASSERT_EQ(out.size(), 1u);
  // Row p of the table is 0.5 * (4p + c).
  expectElements(
      out[0], [&](int64_t e) { return xd.get(e) + 0.5 * double(e % 12); }, 0,
      kF32Tol);
}

TEST(NnLearned, LayersShareATableByName) {
  auto enc =
      LearnedPositionEncoding::create(PositionEncodingConfig::learned(4, 10));
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({3, 4}));
  auto y = enc->apply(g, x);
  ASSERT_OK(y);
  auto z = enc->apply(g, *y);
  ASSERT_OK(z);
  b.output(*z);
  EXPECT_EQ(g.parameters().size(), 1u);
  EXPECT_EQ(errorOf(verify(g)), "<no error>");
  // A name taken by something else is refused.
  EXPECT_EQ(errorOf(enc->apply(g, x, "x")),
            "learned encoding: the graph already has a tensor %x that is not a "
            "parameter of type f32[10,4]; choose another table name");
}

TEST(NnLearned, RefusesSequencesLongerThanTheTable) {
  auto enc =
      LearnedPositionEncoding::create(PositionEncodingConfig::learned(4, 10));
  ASSERT_OK(enc);
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({11, 4}));
  EXPECT_EQ(errorOf(enc->apply(g, x)),
            "learned encoding: x f32[11,4] has 11 positions but the table has "
            "max_seq_len 10");
}

//===----------------------------------------------------------------------===//
// Relative
//===----------------------------------------------------------------------===//

TEST(NnRelative, BucketsFollowT5) {
  for (bool bidirectional : {true, false})
    for (auto [buckets, maxDistance] :
         {std::pair<int64_t, int64_t>{32, 128}, {8, 20}, {4, 3}})
      for (int64_t rel = -300; rel <= 300; ++rel)
        ASSERT_EQ(
            relativePositionBucket(rel, buckets, maxDistance, bidirectional),
            t5Bucket(0, rel, buckets, maxDistance, bidirectional))
            << "rel " << rel << ", " << buckets << " buckets, max distance "
            << maxDistance << (bidirectional ? ", bidirectional" : "");
}

TEST(NnRelative, SpotValuesOfT5Buckets) {
  // 32 bidirectional buckets, max distance 128: 16 per side, 8 exact.
  EXPECT_EQ(t5Bucket(0, 0, 32, 128, true), 0);
  EXPECT_EQ(t5Bucket(5, 0, 32, 128, true), 5);   // 5 keys back
  EXPECT_EQ(t5Bucket(0, 5, 32, 128, true), 21);  // 5 keys ahead: 16 + 5
  EXPECT_EQ(t5Bucket(16, 0, 32, 128, true), 10); // 8 + log2(2)/log2(16)*8
  EXPECT_EQ(t5Bucket(1000, 0, 32, 128, true), 15);
  EXPECT_EQ(t5Bucket(0, 1000, 32, 128, true), 31);
  EXPECT_EQ(t5Bucket(0, 7, 32, 128, false), 0); // the future is one bucket
}

struct RelativeCase {
  int64_t heads, sq, sk;
  bool bidirectional;
  int64_t queryOffset;
};

void PrintTo(const RelativeCase &c, std::ostream *os) {
  *os << c.heads << " heads, Sq " << c.sq << ", Sk " << c.sk
      << (c.bidirectional ? ", bidirectional" : ", causal") << ", offset "
      << c.queryOffset;
}

class NnRelativeBias : public ::testing::TestWithParam<RelativeCase> {};

TEST_P(NnRelativeBias, AddsTheTableEntryOfEachPairsBucket) {
  RelativeCase c = GetParam();
  const int64_t buckets = 8, maxDistance = 20;
  auto enc = RelativePositionEncoding::create(
      PositionEncodingConfig::relative(64, buckets, maxDistance),
      c.bidirectional);
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f32({2, c.heads, c.sq, c.sk});
  TensorId s = b.input("scores", t);
  auto out = enc->buildBias(g, s, "rel_table", c.queryOffset);
  ASSERT_OK(out);
  b.output(*out, "out");
  TensorId table = g.findTensor("rel_table");
  ASSERT_TRUE(g.isParameter(table));
  EXPECT_EQ(g.type(table), TensorType::f32({buckets, c.heads}));
  TensorData sd = wave(t, 0.7);
  // table[bucket, h] = 10 * bucket + h: the result shows which was taken.
  TensorData td = filled(g.type(table), [&](int64_t e) {
    return 10.0 * double(e / c.heads) + double(e % c.heads);
  });
  std::vector<TensorData> r = verifyAndRun(g, {&sd, &td});
  ASSERT_EQ(r.size(), 1u);
  int64_t offset = c.queryOffset == -1 ? c.sk - c.sq : c.queryOffset;
  expectElements(
      r[0],
      [&](int64_t e) {
        int64_t j = e % c.sk, i = e / c.sk % c.sq,
                h = e / (c.sk * c.sq) % c.heads;
        int64_t bucket =
            t5Bucket(i + offset, j, buckets, maxDistance, c.bidirectional);
        return sd.get(e) + 10.0 * double(bucket) + double(h);
      },
      0, kF32Tol);
}

INSTANTIATE_TEST_SUITE_P(NnShapes, NnRelativeBias,
                         ::testing::Values(RelativeCase{3, 30, 30, true, -1},
                                           RelativeCase{3, 30, 30, false, -1},
                                           RelativeCase{2, 1, 17, false, -1},
                                           RelativeCase{2, 4, 9, true, 2}));

TEST(NnRelative, Errors) {
  PositionEncodingConfig cfg = PositionEncodingConfig::relative(64, 32, 128);
  cfg.nHeads = 4;
  auto enc = RelativePositionEncoding::create(cfg);
  ASSERT_OK(enc);
  Graph g;
  TensorId s = g.addInput("s", TensorType::f32({1, 2, 4, 4}));
  EXPECT_EQ(errorOf(enc->buildBias(g, s)),
            "relative bias: scores f32[1,2,4,4] have 2 heads but the config "
            "has n_heads 4");
  TensorId wide = g.addInput("w", TensorType::f32({1, 4, 6, 4}));
  EXPECT_EQ(errorOf(enc->buildBias(g, wide)),
            "relative bias: scores f32[1,4,6,4] have more queries (6) than "
            "keys (4), so the default query offset Sk - Sq is negative; pass "
            "a query offset");
  EXPECT_EQ(errorOf(enc->buildBias(g, wide, "rel_table", -5)),
            "relative bias: query offset is -5; expected -1 (Sk - Sq) or at "
            "least 0");
  EXPECT_EQ(g.numNodes(), 0u);
}

//===----------------------------------------------------------------------===//
// Rotary
//===----------------------------------------------------------------------===//

struct RopeCase {
  int64_t heads, seq, d, offset;
  double base, scaling;
};

void PrintTo(const RopeCase &c, std::ostream *os) {
  *os << c.heads << " heads, seq " << c.seq << ", d " << c.d << ", offset "
      << c.offset << ", base " << c.base << ", scaling " << c.scaling;
}

class NnRotary : public ::testing::TestWithParam<RopeCase> {};

TEST_P(NnRotary, RotatesEachPairByItsAngle) {
  RopeCase c = GetParam();
  auto enc = RotaryPositionEncoding::create(
      PositionEncodingConfig::rotaryScaled(c.d, 64, c.base, c.scaling));
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f32({2, c.heads, c.seq, c.d});
  TensorId x = b.input("x", t);
  auto y = enc->apply(g, x, c.offset);
  ASSERT_OK(y);
  b.output(*y, "y");
  // Neither slices nor concatenations: reshape, einsum and generators.
  for (NodeId n : g.liveNodes())
    EXPECT_NE(g.node(n).op, OpKind::Gather);
  TensorData xd = wave(t, 0.9);
  std::vector<TensorData> out = verifyAndRun(g, {&xd});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want(xd.numElements());
  for (int64_t row = 0; row < 2 * c.heads * c.seq; ++row) {
    std::vector<double> v(c.d);
    for (int64_t e = 0; e < c.d; ++e)
      v[e] = xd.get(row * c.d + e);
    std::vector<double> r =
        ropeRotate(v, double(row % c.seq + c.offset), c.base, c.scaling);
    std::copy(r.begin(), r.end(), want.begin() + row * c.d);
  }
  expectElements(
      out[0], [&](int64_t e) { return want[e]; }, 0, kF32Tol);
}

INSTANTIATE_TEST_SUITE_P(NnShapes, NnRotary,
                         ::testing::Values(RopeCase{2, 9, 8, 0, 1e4, 1},
                                           RopeCase{1, 3, 16, 14, 1e4, 1},
                                           RopeCase{2, 5, 2, 0, 1e4, 1},
                                           RopeCase{3, 6, 6, 4, 500, 2.5}));

TEST(NnRotary, PositionZeroIsTheIdentity) {
  auto enc =
      RotaryPositionEncoding::create(PositionEncodingConfig::rotary(4, 8));
  ASSERT_OK(enc);
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f64({1, 1, 1, 4});
  TensorId x = b.input("x", t);
  b.output(idOrFail(enc->apply(g, x)));
  TensorData xd = wave(t, 0.1);
  std::vector<TensorData> out = verifyAndRun(g, {&xd});
  ASSERT_EQ(out.size(), 1u);
  expectElements(
      out[0], [&](int64_t e) { return xd.get(e); }, 0, 1e-15);
}

TEST(NnRotary, Errors) {
  auto enc =
      RotaryPositionEncoding::create(PositionEncodingConfig::rotary(8, 16));
  ASSERT_OK(enc);
  Graph g;
  TensorId wrongD = g.addInput("a", TensorType::f32({1, 2, 3, 6}));
  EXPECT_EQ(errorOf(enc->apply(g, wrongD)),
            "rotary encoding: x is f32[1,2,3,6]; expected head dimension "
            "(d_model) 8");
  TensorId rank3 = g.addInput("b", TensorType::f32({2, 3, 8}));
  EXPECT_EQ(errorOf(enc->apply(g, rank3)),
            "rotary encoding: x is f32[2,3,8]; expected rank 4 ([batch, "
            "heads, seq, d])");
  TensorId ok = g.addInput("c", TensorType::f32({1, 2, 3, 8}));
  EXPECT_EQ(errorOf(enc->apply(g, ok, -1)),
            "rotary encoding: position offset is -1; expected at least 0");
  EXPECT_EQ(errorOf(enc->buildRotation(g, 0, 0, DType::F32)),
            "rotary encoding: seq is 0; expected at least 1");
  EXPECT_EQ(g.numNodes(), 0u);
  auto rotation = enc->buildRotation(g, 4, 0, DType::F32);
  ASSERT_OK(rotation);
  EXPECT_EQ(errorOf(enc->applyRotation(g, ok, *rotation)),
            "rotary encoding: rotation is f32[4,2,2,4]; expected "
            "f32[3,2,2,4] for x f32[1,2,3,8]");
}

} // namespace
