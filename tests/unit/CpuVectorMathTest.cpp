//===- CpuVectorMathTest.cpp - Math functions on vectors against libm -----===//
//
// Elementwise exp, tanh and log run in vectors: f32 through MLIR's
// polynomial approximations, f64 exp through the backend's own expansion
// (backends/cpu/VectorMath.cpp). Each is compared with the C library over
// its whole range, the edges included (overflow to inf, underflow to 0,
// NaN, infinities), in ulps of libm's result; the kernels run with
// denormals flushed to zero, so a denormal result may be 0.
//
//===----------------------------------------------------------------------===//
#include "CpuTestUtil.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

namespace einsum::testing {
namespace {

/// Distance in units in the last place of `want`'s type between two
/// floating-point numbers of that type; 0 for two NaNs or equal infinities.
template <typename T> double ulpDistance(T got, T want) {
  if (std::isnan(want))
    return std::isnan(got) ? 0 : INFINITY;
  if (std::isinf(want) || std::isinf(got))
    return got == want ? 0 : INFINITY;
  T ulp = std::nextafter(std::fabs(want), std::numeric_limits<T>::infinity()) -
          std::fabs(want);
  return std::fabs(double(got) - double(want)) / double(ulp);
}

/// `values` through the cpu backend's `op` on a rank-1 tensor of `dt`.
std::vector<double> runUnary(OpKind op, DType dt,
                             const std::vector<double> &values) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType(dt, {int64_t(values.size())}));
  b.output(b.unary(op, x, "y"));
  EXPECT_FALSE(bool(b.takeError()));
  TensorData in(g.type(x));
  for (size_t i = 0; i < values.size(); ++i)
    in.set(i, values[i]);
  std::vector<TensorData> out = runOn(*cpu, g, {in});
  std::vector<double> result;
  if (out.size() == 1)
    for (int64_t i = 0; i < out[0].numElements(); ++i)
      result.push_back(out[0].get(i));
  return result;
}

/// Evenly spaced points of [lo, hi] plus `extra`.
std::vector<double> sweep(double lo, double hi, int count,
                          std::vector<double> extra) {
  std::vector<double> v = std::move(extra);
  for (int i = 0; i < count; ++i)
    v.push_back(lo + (hi - lo) * i / (count - 1));
  return v;
}

TEST(CpuVectorMath, F64ExpWithinTwoUlpEverywhere) {
  if (!cpuBackend())
    GTEST_SKIP() << "cpu backend not built";
  double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x = sweep(
      -760, 720, 20001,
      {0.0, -0.0, 1e-300, -1e-300, 709.782712893384, 709.79, -708.3964, -744.44,
       -745.13, -745.2, inf, -inf, std::nan(""), 0.34657359, -0.34657359});
  std::vector<double> got = runUnary(OpKind::Exp, DType::F64, x);
  ASSERT_EQ(got.size(), x.size());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double want = std::exp(x[i]);
    // The kernels run with denormals flushed to zero (CpuBackend.cpp).
    if (std::fabs(want) < std::numeric_limits<double>::min()) {
      EXPECT_TRUE(got[i] == 0 ||
                  std::fabs(got[i] - want) <=
                      2 * std::numeric_limits<double>::denorm_min())
          << "exp(" << x[i] << ") = " << got[i] << ", libm " << want;
      continue;
    }
    double d = ulpDistance(got[i], want);
    EXPECT_LE(d, 2) << "exp(" << x[i] << ") = " << got[i] << ", libm " << want;
    worst = std::max(worst, d);
  }
  RecordProperty("worst_ulp", std::to_string(worst));
}

struct F32Case {
  const char *name;
  OpKind op;
  std::function<double(double)> libm;
  double lo, hi;
  /// The most ulps the approximation may be off where the result is at
  /// least `floor` in magnitude, and the absolute error allowed below it
  /// (near a zero of the function ulps mean nothing).
  double ulps, floor, absolute;
};

TEST(CpuVectorMath, F32ApproximationsWithinTheirBounds) {
  if (!cpuBackend())
    GTEST_SKIP() << "cpu backend not built";
  float inf = std::numeric_limits<float>::infinity();
  for (const F32Case &c : {
           F32Case{"exp", OpKind::Exp, [](double v) { return std::exp(v); },
                   -104, 89, 5, 0, 0},
           F32Case{"tanh", OpKind::Tanh, [](double v) { return std::tanh(v); },
                   -12, 12, 8, 1e-3, 2e-7},
           F32Case{"log", OpKind::Log, [](double v) { return std::log(v); },
                   1e-30, 1e30, 4, 1e-3, 2e-7},
       }) {
    SCOPED_TRACE(c.name);
    std::vector<double> x =
        c.op == OpKind::Log
            ? std::vector<double>{1, 2, 0.5, 1e-38, 3e38, 0, -1, inf, 1.0001}
            : std::vector<double>{0, -0.0, inf, -inf, 1e-6, -1e-6};
    if (c.op == OpKind::Log)
      for (int i = 0; i <= 4000; ++i)
        x.push_back(std::pow(10.0, -30 + 60.0 * i / 4000));
    else
      for (double v : sweep(c.lo, c.hi, 4001, {}))
        x.push_back(v);
    x.push_back(std::nan(""));
    std::vector<double> got = runUnary(c.op, DType::F32, x);
    ASSERT_EQ(got.size(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      float in = float(x[i]);
      // Denormal inputs are read as zero too.
      if (std::fpclassify(in) == FP_SUBNORMAL)
        in = 0;
      float want = float(c.libm(double(in)));
      float have = float(got[i]);
      if (std::fabs(want) < c.floor) {
        EXPECT_LE(std::fabs(have - want), c.absolute)
            << c.name << "(" << in << ") = " << have << ", libm " << want;
        continue;
      }
      // Denormals flushed to zero, as the kernels run (CpuBackend.cpp).
      if (std::fabs(want) < std::numeric_limits<float>::min()) {
        EXPECT_LE(std::fabs(have - want), std::numeric_limits<float>::min())
            << c.name << "(" << in << ") = " << have << ", libm " << want;
        continue;
      }
      EXPECT_LE(ulpDistance(have, want), c.ulps)
          << c.name << "(" << in << ") = " << have << ", libm " << want;
    }
  }
}

} // namespace
} // namespace einsum::testing
