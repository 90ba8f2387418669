//===- ReferenceElementwiseTest.cpp - unary, binary, reduce, softmax ------===//
//
// f64 throughout unless a test is about f32 rounding, so expectations can be
// tight: rtol 1e-14 where the test's formula differs from the interpreter's
// (tanh from exponentials, rsqrt as a power), exact where they agree.
//
//===----------------------------------------------------------------------===//
#include "ReferenceTestUtil.h"

#include <cmath>
#include <limits>

using namespace einsum;
using namespace einsum::testing;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TensorData vec(std::vector<double> values) {
  return filled(TensorType::f64({int64_t(values.size())}),
                [&](int64_t i) { return values[i]; });
}

TensorData unaryOf(OpKind op, const TensorData &x) {
  return runUnaryGraph(
      x, [op](Builder &b, TensorId in) { return b.unary(op, in); });
}

TEST(ReferenceUnary, EachOpAgainstAClosedForm) {
  TensorData x = vec({-2.5, -1, -0.25, 0.5, 1, 3});
  TensorData pos = vec({0.25, 0.5, 1, 2, 9, 100});
  auto check = [](OpKind op, const TensorData &in,
                  std::function<double(double)> f, double rtol) {
    SCOPED_TRACE(opName(op).str());
    TensorData y = unaryOf(op, in);
    ASSERT_EQ(y.type(), in.type());
    expectElements(
        y, [&](int64_t i) { return f(in.get(i)); }, rtol, 1e-300);
  };
  check(
      OpKind::Neg, x, [](double v) { return 0 - v; }, 0);
  check(
      OpKind::Abs, x, [](double v) { return v < 0 ? -v : v; }, 0);
  check(
      OpKind::Exp, x, [](double v) { return std::pow(M_E, v); }, 1e-14);
  check(
      OpKind::Log, pos, [](double v) { return std::log2(v) * M_LN2; }, 1e-14);
  check(
      OpKind::Sqrt, pos, [](double v) { return std::pow(v, 0.5); }, 1e-15);
  check(
      OpKind::Rsqrt, pos, [](double v) { return std::pow(v, -0.5); }, 1e-15);
  check(
      OpKind::Recip, x, [](double v) { return std::pow(v, -1.0); }, 1e-15);
  check(
      OpKind::Tanh, x,
      [](double v) { return std::expm1(2 * v) / (std::exp(2 * v) + 1); },
      1e-14);
  check(
      OpKind::Sigmoid, x,
      [](double v) { return std::exp(v) / (1 + std::exp(v)); }, 1e-14);
  check(
      OpKind::Relu, x, [](double v) { return v > 0 ? v : 0; }, 0);
  check(
      OpKind::Square, x, [](double v) { return std::pow(v, 2); }, 1e-15);
}

TEST(ReferenceUnary, GeluKnownValues) {
  // x * Phi(x) from tables of the standard normal CDF.
  TensorData x = vec({-3, -1, 0, 0.5, 1, 2});
  std::vector<double> expected = {
      -0.0040496940948903, -0.15865525393145707, 0.0,
      0.34573123063700656, 0.8413447460685429,   1.9544997361036416};
  TensorData y = unaryOf(OpKind::Gelu, x);
  expectElements(
      y, [&](int64_t i) { return expected[i]; }, 1e-12);
  // Not the tanh approximation, which gives 0.841192 at 1.
  EXPECT_GT(std::fabs(y.get(4) - 0.8411919906082768), 1e-4);
}

TEST(ReferenceUnary, SpecialValues) {
  TensorData x = vec({0, -1, kInf, -kInf, kNaN});
  TensorData lg = unaryOf(OpKind::Log, x);
  EXPECT_EQ(lg.get(0), -kInf);
  EXPECT_TRUE(std::isnan(lg.get(1)));
  EXPECT_EQ(lg.get(2), kInf);
  TensorData sg = unaryOf(OpKind::Sigmoid, x);
  EXPECT_EQ(sg.get(2), 1.0);
  EXPECT_EQ(sg.get(3), 0.0);
  TensorData rl = unaryOf(OpKind::Relu, x);
  EXPECT_TRUE(std::isnan(rl.get(4)));
  EXPECT_EQ(rl.get(3), 0.0);
  TensorData rc = unaryOf(OpKind::Recip, x);
  EXPECT_EQ(rc.get(0), kInf);
}

TEST(ReferenceUnary, ResultIsRoundedToF32) {
  TensorData x = filled(TensorType::f32({1}), [](int64_t) { return 2.0; });
  TensorData y = unaryOf(OpKind::Sqrt, x);
  EXPECT_EQ(y.get(0), double(float(std::sqrt(2.0))));
  EXPECT_NE(y.get(0), std::sqrt(2.0));
}

/// Runs `op` on two inputs and returns the result.
TensorData binaryOf(OpKind op, const TensorData &a, const TensorData &b) {
  Graph g;
  Builder bld(g);
  TensorId x = bld.input("a", a.type());
  TensorId y = bld.input("b", b.type());
  bld.output(bld.binary(op, x, y));
  if (llvm::Error err = bld.takeError()) {
    ADD_FAILURE() << firstMessage(std::move(err));
    return TensorData();
  }
  std::vector<TensorData> out = runOk(g, {&a, &b});
  return out.empty() ? TensorData() : std::move(out[0]);
}

TEST(ReferenceBinary, EachOpOnEqualShapes) {
  TensorData a = vec({1.5, -2, 3, 0.25});
  TensorData b = vec({2, 4, -1.5, 3});
  auto check = [&](OpKind op, std::function<double(double, double)> f) {
    SCOPED_TRACE(opName(op).str());
    TensorData y = binaryOf(op, a, b);
    expectElements(
        y, [&](int64_t i) { return f(a.get(i), b.get(i)); }, 1e-14);
  };
  check(OpKind::Add, [](double p, double q) { return p - -q; });
  check(OpKind::Sub, [](double p, double q) { return p + -q; });
  check(OpKind::Mul, [](double p, double q) { return p * q; });
  check(OpKind::Div, [](double p, double q) { return p * (1 / q); });
  check(OpKind::Max, [](double p, double q) { return p >= q ? p : q; });
  check(OpKind::Min, [](double p, double q) { return p <= q ? p : q; });
  // The one negative base, -2, has an even exponent, 4.
  check(OpKind::Pow, [](double p, double q) {
    return std::exp(q * std::log(std::fabs(p)));
  });
}

TEST(ReferenceBinary, MaxAndMinPropagateNaN) {
  TensorData a = vec({kNaN, 1});
  TensorData b = vec({0, kNaN});
  for (OpKind op : {OpKind::Max, OpKind::Min}) {
    TensorData y = binaryOf(op, a, b);
    EXPECT_TRUE(std::isnan(y.get(0)));
    EXPECT_TRUE(std::isnan(y.get(1)));
  }
}

TEST(ReferenceBinary, BroadcastsTrailingVector) {
  TensorData a = filled(TensorType::f64({2, 3}), [](int64_t i) { return i; });
  TensorData b = vec({100, 200, 300});
  TensorData y = binaryOf(OpKind::Add, a, b);
  ASSERT_EQ(y.type(), TensorType::f64({2, 3}));
  // [[100, 201, 302], [103, 204, 305]].
  expectElements(
      y,
      [](int64_t i) {
        return std::vector<double>{100, 201, 302, 103, 204, 305}[i];
      },
      0);
  // Operands swapped: the broadcast one first.
  TensorData z = binaryOf(OpKind::Sub, b, a);
  expectElements(
      z,
      [](int64_t i) {
        return std::vector<double>{100, 199, 298, 97, 196, 295}[i];
      },
      0);
}

TEST(ReferenceBinary, BroadcastsBothWaysAndScalars) {
  TensorData col = vec({1, 2});
  TensorData colT =
      filled(TensorType::f64({2, 1}), [](int64_t i) { return double(i + 1); });
  TensorData row = filled(TensorType::f64({1, 3}),
                          [](int64_t i) { return double(10 * (i + 1)); });
  TensorData y = binaryOf(OpKind::Mul, colT, row);
  ASSERT_EQ(y.type(), TensorType::f64({2, 3}));
  expectElements(
      y, [](int64_t f) { return double((f / 3 + 1) * 10 * (f % 3 + 1)); }, 0);

  TensorData s = filled(TensorType::f64({}), [](int64_t) { return 0.5; });
  TensorData z = binaryOf(OpKind::Pow, col, s);
  expectElements(
      z, [](int64_t i) { return std::sqrt(double(i + 1)); }, 1e-15);

  // [4,1,3] with [2,1] -> [4,2,3]: r[a,b,c] = x[a,0,c] - w[b,0].
  TensorData x =
      filled(TensorType::f64({4, 1, 3}), [](int64_t i) { return double(i); });
  TensorData w = filled(TensorType::f64({2, 1}),
                        [](int64_t i) { return double(1000 * (i + 1)); });
  TensorData r = binaryOf(OpKind::Sub, x, w);
  ASSERT_EQ(r.type(), TensorType::f64({4, 2, 3}));
  expectElements(
      r,
      [](int64_t f) {
        int64_t a = f / 6, b = (f / 3) % 2, c = f % 3;
        return double(a * 3 + c) - double(1000 * (b + 1));
      },
      0);
}

TensorData reduceOf(const TensorData &x, llvm::StringRef kind,
                    std::vector<int64_t> axes, bool keepDims) {
  return runUnaryGraph(x, [&](Builder &b, TensorId in) {
    return b.reduce(kind, in, axes, keepDims);
  });
}

TEST(ReferenceReduce, SumOverMiddleAxisWithAndWithoutKeepDims) {
  TensorData x = wave(TensorType::f64({2, 3, 4}), 0.6);
  auto expected = [&](int64_t f) {
    int64_t i = f / 4, k = f % 4;
    double s = 0;
    for (int64_t j = 0; j < 3; ++j)
      s += x.get((i * 3 + j) * 4 + k);
    return s;
  };
  TensorData y = reduceOf(x, "sum", {1}, false);
  ASSERT_EQ(y.type(), TensorType::f64({2, 4}));
  expectElements(y, expected, 1e-14, 1e-16);
  TensorData kept = reduceOf(x, "sum", {1}, true);
  ASSERT_EQ(kept.type(), TensorType::f64({2, 1, 4}));
  expectElements(kept, expected, 1e-14, 1e-16);
}

TEST(ReferenceReduce, NegativeAndMultipleAxes) {
  TensorData x =
      filled(TensorType::f64({2, 3, 4}), [](int64_t i) { return double(i); });
  // Over the last axis: row (i,j) holds 4r..4r+3, r = 3i+j, sum 16r+6.
  TensorData last = reduceOf(x, "sum", {-1}, false);
  ASSERT_EQ(last.type(), TensorType::f64({2, 3}));
  expectElements(
      last, [](int64_t r) { return double(16 * r + 6); }, 0);
  // Over axes 0 and 2, keeping the middle one: j -> sum_i sum_k (12i+4j+k).
  TensorData outer = reduceOf(x, "sum", {0, -1}, false);
  ASSERT_EQ(outer.type(), TensorType::f64({3}));
  expectElements(
      outer, [](int64_t j) { return double(4 * 12 + 8 * 4 * j + 2 * 6); }, 0);
  TensorData outerKept = reduceOf(x, "sum", {2, 0}, true);
  ASSERT_EQ(outerKept.type(), TensorType::f64({1, 3, 1}));
  // Everything.
  TensorData all = reduceOf(x, "sum", {0, 1, 2}, false);
  ASSERT_EQ(all.type(), TensorType::f64({}));
  EXPECT_EQ(all.get(0), 23.0 * 24 / 2);
}

TEST(ReferenceReduce, MeanMaxMin) {
  TensorData x = filled(TensorType::f64({2, 3}), [](int64_t i) {
    return std::vector<double>{3, -1, 7, -kInf, 2, 0.5}[i];
  });
  expectElements(
      reduceOf(x, "mean", {1}, false),
      [](int64_t i) { return i == 0 ? 3.0 : -kInf; }, 1e-15);
  expectElements(
      reduceOf(x, "max", {1}, false),
      [](int64_t i) { return i == 0 ? 7.0 : 2.0; }, 0);
  expectElements(
      reduceOf(x, "min", {0}, false),
      [](int64_t i) {
        return std::vector<double>{-kInf, -1, 0.5}[i];
      },
      0);
  TensorData mean0 = reduceOf(x, "mean", {0}, true);
  ASSERT_EQ(mean0.type(), TensorType::f64({1, 3}));
  EXPECT_EQ(mean0.get(1), 0.5);
  EXPECT_EQ(mean0.get(2), 3.75);
}

TensorData softmaxOf(const TensorData &x, int64_t axis) {
  return runUnaryGraph(
      x, [&](Builder &b, TensorId in) { return b.softmax(in, axis); });
}

TEST(ReferenceSoftmax, RowsSumToOneAndMatchExpOverSum) {
  TensorData x = wave(TensorType::f32({3, 5}), 1.7);
  TensorData p = softmaxOf(x, -1);
  ASSERT_EQ(p.type(), x.type());
  for (int64_t r = 0; r < 3; ++r) {
    double denom = 0, total = 0;
    for (int64_t c = 0; c < 5; ++c)
      denom += std::exp(x.get(r * 5 + c));
    for (int64_t c = 0; c < 5; ++c) {
      total += p.get(r * 5 + c);
      EXPECT_NEAR(p.get(r * 5 + c), std::exp(x.get(r * 5 + c)) / denom, 1e-7);
    }
    EXPECT_NEAR(total, 1.0, 1e-6);
  }
}

TEST(ReferenceSoftmax, AlongAnInnerAxis) {
  TensorData x = wave(TensorType::f64({2, 3, 2}), 0.9);
  TensorData p = softmaxOf(x, 1);
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t c = 0; c < 2; ++c) {
      double denom = 0;
      for (int64_t j = 0; j < 3; ++j)
        denom += std::exp(x.get((a * 3 + j) * 2 + c));
      for (int64_t j = 0; j < 3; ++j) {
        int64_t f = (a * 3 + j) * 2 + c;
        EXPECT_NEAR(p.get(f), std::exp(x.get(f)) / denom, 1e-15);
      }
    }
}

TEST(ReferenceSoftmax, MaskedAndLargeRows) {
  TensorData x = filled(TensorType::f64({3, 3}), [](int64_t i) {
    return std::vector<double>{-kInf, -kInf, -kInf,   // fully masked
                               0,     -kInf, 0,       // partly masked
                               1000,  1001,  999}[i]; // would overflow exp
  });
  TensorData p = softmaxOf(x, -1);
  expectElements(
      p,
      [](int64_t i) {
        double e = std::exp(1.0), d = 1 + e + 1 / e;
        return std::vector<double>{0,   0,     0,     0.5,      0,
                                   0.5, 1 / d, e / d, 1 / e / d}[i];
      },
      1e-15);
}

} // namespace
