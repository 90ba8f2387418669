//===- CpuCastTest.cpp - cast on the cpu backend, exactly -----------------===//
//
// Every pair of float types, on values that catch a second rounding (just
// above a tie of the narrow type, which rounding through f32 first would
// send to the even neighbour), ties, subnormals, overflow, zeros of both
// signs, infinities and NaN, plus random values: the cpu backend's result
// equals the reference's (which rounds once, from double) bit for bit, in
// the vector loop (rank 1, with a tail) and in the scalar one (rank 0).
// Except below f32's normal range, which the cpu backend may flush to zero.
//
//===----------------------------------------------------------------------===//
#include "CpuTestUtil.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace einsum;
using namespace einsum::testing;

namespace {

std::vector<double> hardValues() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {
      0.0, -0.0, 1.0, -1.0, inf, -inf, std::nan(""),
      // bf16 ties at 1, and just above them (a second rounding through f32
      // loses the 2^-30 and goes to even).
      1.0 + std::ldexp(1.0, -8),
      1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30),
      1.0 + 3 * std::ldexp(1.0, -8),
      // f16 ties and just above.
      1.0 + std::ldexp(1.0, -11),
      1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40),
      // f32 ties (for f64 -> f32).
      1.0 + std::ldexp(1.0, -24),
      1.0 + std::ldexp(1.0, -24) + std::ldexp(1.0, -50),
      // Ranges: f16's largest, its overflow tie, bf16's and f32's largest.
      65504.0, 65519.0, 65520.0, 65536.0, 3.3895313892515355e38, 3.4e38, 3.5e38,
      3.4028234663852886e38, 1e300, -1e300,
      // Subnormals of each type and below.
      std::ldexp(1.0, -24), std::ldexp(1.0, -25), std::ldexp(3.0, -26),
      std::ldexp(1.0, -133), std::ldexp(1.0, -134), std::ldexp(1.0, -149),
      std::ldexp(1.0, -150), std::ldexp(1.0, -1000), 0.1, -0.3, 1.0 / 3.0};
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> mantissa(1.0, 2.0);
  std::uniform_int_distribution<int> exponent(-30, 30);
  for (int i = 0; i < 60; ++i)
    v.push_back((i % 2 ? -1 : 1) * std::ldexp(mantissa(rng), exponent(rng)));
  return v;
}

bool sameBits(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(CpuCast, EveryPairRoundsOnceAsTheReference) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  std::unique_ptr<Backend> ref = createReferenceBackend();
  const DType types[] = {DType::F32, DType::F64, DType::F16, DType::BF16};
  std::vector<double> values = hardValues();
  int64_t n = int64_t(values.size());
  for (DType from : types)
    for (DType to : types)
      for (bool scalar : {false, true}) {
        SCOPED_TRACE(dtypeName(from).str() + " -> " + dtypeName(to).str() +
                     (scalar ? " (rank 0)" : ""));
        std::vector<int64_t> shape =
            scalar ? std::vector<int64_t>{} : std::vector<int64_t>{n};
        Graph g("cast");
        Builder b(g);
        TensorId x = b.input("x", TensorType(from, shape));
        b.output(b.cast(x, to), "y");
        ASSERT_FALSE(b.hasError()) << firstMessage(b.takeError());
        auto refExe = ref->compile(g, {});
        auto cpuExe = cpu->compile(g, {});
        ASSERT_TRUE(bool(refExe)) << firstMessage(refExe.takeError());
        ASSERT_TRUE(bool(cpuExe)) << firstMessage(cpuExe.takeError());
        for (int64_t first = 0; first < (scalar ? n : 1); ++first) {
          TensorData in(TensorType(from, shape));
          for (int64_t i = 0; i < in.numElements(); ++i)
            in.set(i, values[first + i]);
          std::vector<TensorData> want = runExecutable(**refExe, {in});
          std::vector<TensorData> got = runExecutable(**cpuExe, {in});
          ASSERT_EQ(got.size(), 1u);
          ASSERT_EQ(want.size(), 1u);
          for (int64_t i = 0; i < got[0].numElements(); ++i) {
            // The cpu backend runs with denormals flushed (MXCSR FTZ and
            // DAZ, docs/cpu-backend.md): below f32's normal range a
            // conversion through f32 registers may give zero instead.
            double x = in.get(i), y = got[0].get(i);
            bool flushed = x != 0 && std::abs(x) < 0x1p-126 && y == 0 &&
                           std::signbit(x) == std::signbit(y);
            EXPECT_TRUE(flushed || sameBits(y, want[0].get(i)))
                << "input " << x << ": got " << y << ", want "
                << want[0].get(i);
          }
        }
      }
}

} // namespace
