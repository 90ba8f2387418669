//===- ReferenceShapeGeneratorTest.cpp - shape ops and generators ---------===//
//
// Shape ops move data without arithmetic, so they must be exact. Generator
// values are small integers or powers of two, also exact; slopes of
// non-power-of-two head counts get rtol 1e-15.
//
//===----------------------------------------------------------------------===//
#include "ReferenceTestUtil.h"

#include <cmath>
#include <limits>

using namespace einsum;
using namespace einsum::testing;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TensorData counting(TensorType type) {
  return filled(std::move(type), [](int64_t i) { return double(i); });
}

TEST(ReferenceShape, ExpandDimsKeepsData) {
  TensorData x = counting(TensorType::f32({2, 3}));
  TensorData y = runUnaryGraph(x, [](Builder &b, TensorId in) {
    return b.expandDims(in, {0, -1});
  });
  ASSERT_EQ(y.type(), TensorType::f32({1, 2, 3, 1}));
  expectElements(
      y, [](int64_t i) { return double(i); }, 0);
}

TEST(ReferenceShape, ReshapeKeepsData) {
  TensorData x = counting(TensorType::i64({2, 6}));
  TensorData y = runUnaryGraph(x, [](Builder &b, TensorId in) {
    return b.reshape(in, {3, -1});
  });
  ASSERT_EQ(y.type(), TensorType::i64({3, 4}));
  expectElements(
      y, [](int64_t i) { return double(i); }, 0);
}

TEST(ReferenceShape, TransposeMovesEachElement) {
  TensorData x = counting(TensorType::f64({2, 3, 4}));
  TensorData y = runUnaryGraph(x, [](Builder &b, TensorId in) {
    return b.transpose(in, {2, 0, 1});
  });
  // Result dim i is input dim perm[i]: y[k,i,j] = x[i,j,k].
  ASSERT_EQ(y.type(), TensorType::f64({4, 2, 3}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k)
        EXPECT_EQ(y.get((k * 2 + i) * 3 + j), x.get((i * 3 + j) * 4 + k));
}

/// gather(table, indices) with the given axis, run on `idx` values.
std::string gatherRun(const TensorData &table, const TensorData &indices,
                      int64_t axis, TensorData *result) {
  Graph g;
  Builder b(g);
  TensorId t = b.input("table", table.type());
  TensorId i = b.input("idx", indices.type());
  b.output(b.gather(t, i, axis, "y"));
  if (llvm::Error err = b.takeError())
    return "build: " + firstMessage(std::move(err));
  llvm::Expected<std::vector<TensorData>> out =
      interpret(g, {&table, &indices});
  if (!out)
    return firstMessage(out.takeError());
  *result = std::move(out->front());
  return "";
}

TensorData indices(TensorType type, std::vector<int64_t> values) {
  return filled(std::move(type), [&](int64_t i) { return double(values[i]); });
}

TEST(ReferenceShape, GatherRowsWithMatrixIndices) {
  TensorData table = counting(TensorType::f32({5, 3}));
  TensorData idx = indices(TensorType::i64({2, 2}), {4, 0, 2, 4});
  TensorData y;
  ASSERT_EQ(gatherRun(table, idx, 0, &y), "");
  ASSERT_EQ(y.type(), TensorType::f32({2, 2, 3}));
  std::vector<int64_t> rows = {4, 0, 2, 4};
  expectElements(
      y, [&](int64_t f) { return double(rows[f / 3] * 3 + f % 3); }, 0);
}

TEST(ReferenceShape, GatherAlongInnerAndNegativeAxis) {
  TensorData table = counting(TensorType::f64({2, 4, 3}));
  TensorData idx = indices(TensorType::i64({3}), {3, 3, 1});
  TensorData y;
  ASSERT_EQ(gatherRun(table, idx, 1, &y), "");
  ASSERT_EQ(y.type(), TensorType::f64({2, 3, 3}));
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t p = 0; p < 3; ++p)
      for (int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(y.get((a * 3 + p) * 3 + c),
                  table.get((a * 4 + idx.get(p)) * 3 + c));

  TensorData last;
  TensorData one = indices(TensorType::i64({}), {2});
  ASSERT_EQ(gatherRun(table, one, -1, &last), "");
  ASSERT_EQ(last.type(), TensorType::f64({2, 4}));
  expectElements(
      last, [](int64_t f) { return double(f * 3 + 2); }, 0);
}

TEST(ReferenceShape, GatherOutOfRangeIsAnErrorNamingTheNode) {
  TensorData table = counting(TensorType::f32({5, 3}));
  TensorData y;
  EXPECT_EQ(
      gatherRun(table, indices(TensorType::i64({2, 2}), {0, 1, 5, 2}), 0, &y),
      "'gather' producing %y: index 5 at position [1,0] of the indices "
      "is out of range for axis 0 of size 5");
  // No numpy-style wraparound for negatives.
  EXPECT_EQ(gatherRun(table, indices(TensorType::i64({3}), {0, -1, 1}), 0, &y),
            "'gather' producing %y: index -1 at position [1] of the indices "
            "is out of range for axis 0 of size 5");
}

/// Runs a graph with one generator output.
TensorData generate(const std::function<TensorId(Builder &)> &build) {
  Graph g;
  Builder b(g);
  b.output(build(b), "out");
  if (llvm::Error err = b.takeError()) {
    ADD_FAILURE() << firstMessage(std::move(err));
    return TensorData();
  }
  std::vector<TensorData> out = runOk(g, {});
  return out.empty() ? TensorData() : std::move(out[0]);
}

TEST(ReferenceGenerator, ConstantSplatAndData) {
  TensorData splat = generate([](Builder &b) {
    return b.splat(0.1, TensorType::f32({2, 2}));
  });
  expectElements(
      splat, [](int64_t) { return double(0.1f); }, 0);
  TensorData data = generate([](Builder &b) {
    return b.constant({1, 2, 3, 4, 5, 6}, TensorType::f64({3, 2}));
  });
  expectElements(
      data, [](int64_t i) { return double(i + 1); }, 0);
  TensorData ints = generate([](Builder &b) {
    return b.constant({-3, 0, 7}, TensorType::i64({3}));
  });
  EXPECT_EQ(ints.data<int64_t>()[0], -3);
  EXPECT_EQ(ints.data<int64_t>()[2], 7);
  TensorData scalar = generate([](Builder &b) { return b.scalar(0.125); });
  ASSERT_EQ(scalar.type(), TensorType::f32({}));
  EXPECT_EQ(scalar.get(0), 0.125);
}

TEST(ReferenceGenerator, IotaAlongEachAxis) {
  TensorData rows = generate([](Builder &b) {
    return b.iota(TensorType::f32({3, 4}), 0);
  });
  expectElements(
      rows, [](int64_t f) { return double(f / 4); }, 0);
  TensorData cols = generate([](Builder &b) {
    return b.iota(TensorType::i64({3, 4}), -1);
  });
  expectElements(
      cols, [](int64_t f) { return double(f % 4); }, 0);
  TensorData mid = generate([](Builder &b) {
    return b.iota(TensorType::f64({2, 3, 2}), 1);
  });
  expectElements(
      mid, [](int64_t f) { return double((f / 2) % 3); }, 0);
}

TEST(ReferenceGenerator, SymmetricDistanceWithQueryOffset) {
  TensorData d = generate([](Builder &b) {
    return b.distance(TensorType::f32({2, 5}), "symmetric", 3);
  });
  // Queries sit at 3 and 4.
  expectElements(
      d,
      [](int64_t f) {
        return std::vector<double>{3, 2, 1, 0, 1, 4, 3, 2, 1, 0}[f];
      },
      0);
  TensorData plain = generate([](Builder &b) {
    return b.distance(TensorType::f64({4, 4}));
  });
  expectElements(
      plain, [](int64_t f) { return std::fabs(double(f / 4 - f % 4)); }, 0);
}

TEST(ReferenceGenerator, CausalDistanceWithQueryOffset) {
  TensorData d = generate([](Builder &b) {
    return b.distance(TensorType::f32({2, 5}), "causal", 3);
  });
  expectElements(
      d,
      [](int64_t f) {
        return std::vector<double>{3, 2, 1, 0, kInf, 4, 3, 2, 1, 0}[f];
      },
      0);
}

TEST(ReferenceGenerator, CausalMask) {
  TensorData m = generate([](Builder &b) {
    return b.causalMask(TensorType::f32({3, 3}));
  });
  expectElements(
      m, [](int64_t f) { return f % 3 <= f / 3 ? 0.0 : -kInf; }, 0);
  // Decoding one query at position 4 sees all 5 keys.
  TensorData last = generate([](Builder &b) {
    return b.causalMask(TensorType::f32({1, 5}), 4);
  });
  expectElements(
      last, [](int64_t) { return 0.0; }, 0);
}

/// Slopes as the paper's reference code computes them: a geometric sequence
/// for the closest power of two, topped up with every other slope of the
/// sequence for twice that many heads.
std::vector<double> paperSlopes(int64_t n) {
  auto powerOfTwo = [](int64_t p) {
    double start = std::pow(2.0, -std::pow(2.0, -(std::log2(double(p)) - 3)));
    std::vector<double> s;
    for (int64_t i = 0; i < p; ++i)
      s.push_back(start * std::pow(start, double(i)));
    return s;
  };
  if ((n & (n - 1)) == 0)
    return powerOfTwo(n);
  int64_t closest = int64_t(1) << int64_t(std::floor(std::log2(double(n))));
  std::vector<double> s = powerOfTwo(closest);
  std::vector<double> extra = powerOfTwo(2 * closest);
  for (int64_t i = 0; int64_t(s.size()) < n; i += 2)
    s.push_back(extra[i]);
  return s;
}

TEST(ReferenceGenerator, AlibiSlopesForEightHeadsArePowersOfTwo) {
  TensorData m = generate([](Builder &b) { return b.alibiSlopes(8); });
  ASSERT_EQ(m.type(), TensorType::f32({8}));
  expectElements(
      m, [](int64_t h) { return std::ldexp(1.0, -int(h + 1)); }, 0);
}

TEST(ReferenceGenerator, AlibiSlopesForTwelveHeadsFollowThePaper) {
  TensorData m =
      generate([](Builder &b) { return b.alibiSlopes(12, DType::F64); });
  std::vector<double> expected = paperSlopes(12);
  ASSERT_EQ(expected.size(), 12u);
  expectElements(
      m, [&](int64_t h) { return expected[h]; }, 1e-15);
  // The extra heads interleave: 2^-0.5, 2^-1.5, ...
  EXPECT_NEAR(m.get(8), std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(m.get(11), std::pow(2.0, -3.5), 1e-15);
}

TEST(ReferenceGenerator, AlibiSlopesShardAndSeedRecipe) {
  // Heads 8..11 of 12 on one tensor-parallel rank.
  TensorData shard = generate([](Builder &b) {
    return b.alibiSlopes(4, DType::F64, SlopeRecipe::Paper, 8.0, 8, 12);
  });
  std::vector<double> all = paperSlopes(12);
  expectElements(
      shard, [&](int64_t h) { return all[8 + h]; }, 1e-15);
  TensorData seed = generate([](Builder &b) {
    return b.alibiSlopes(12, DType::F64, SlopeRecipe::Seed);
  });
  expectElements(
      seed, [](int64_t h) { return std::pow(2.0, -8.0 * double(h + 1) / 12); },
      1e-15);
  TensorData steep = generate([](Builder &b) {
    return b.alibiSlopes(8, DType::F64, SlopeRecipe::Paper, 16.0);
  });
  expectElements(
      steep, [](int64_t h) { return std::ldexp(1.0, -2 * int(h + 1)); }, 0);
}

} // namespace
