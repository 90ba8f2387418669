//===- HalfFloatTest.cpp - f16 and bf16 bits, rounding once ---------------===//
//
// Checked against values worked out by hand (the formats' landmarks), and
// against conversions written differently: the compiler's own _Float16 for
// f16, and the bit trick serving engines use for bf16 (add 0x7fff plus the
// lowest kept bit to an f32's bits, then drop 16 bits), which is exact for
// inputs that are f32 values.
//
//===----------------------------------------------------------------------===//
#include "ir/HalfFloat.h"
#include "ir/TensorData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace einsum;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(HalfFloat, Landmarks) {
  EXPECT_EQ(toHalfBits(1.0), 0x3C00);
  EXPECT_EQ(toHalfBits(-2.0), 0xC000);
  EXPECT_EQ(toHalfBits(65504.0), 0x7BFF); // the largest finite f16
  // 65520 is halfway between 65504 and 65536 (2^16, past the range): ties
  // go to the even one, which is infinity.
  EXPECT_EQ(toHalfBits(65519.99), 0x7BFF);
  EXPECT_EQ(toHalfBits(65520.0), 0x7C00);
  EXPECT_EQ(toHalfBits(-1e9), 0xFC00);
  EXPECT_EQ(toHalfBits(std::ldexp(1.0, -24)), 0x0001); // smallest subnormal
  EXPECT_EQ(toHalfBits(std::ldexp(1.0, -25)), 0x0000); // tie to even: 0
  EXPECT_EQ(toHalfBits(std::ldexp(3.0, -26)), 0x0001);
  EXPECT_EQ(toHalfBits(std::ldexp(1.0, -14)), 0x0400); // smallest normal
  EXPECT_EQ(toHalfBits(-0.0), 0x8000);
  EXPECT_EQ(toHalfBits(std::nan("")), 0x7E00);
  EXPECT_EQ(toHalfBits(kInf), 0x7C00);

  EXPECT_EQ(toBFloat16Bits(1.0), 0x3F80);
  EXPECT_EQ(toBFloat16Bits(-1.0), 0xBF80);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: even is 1.
  EXPECT_EQ(toBFloat16Bits(1.0 + std::ldexp(1.0, -8)), 0x3F80);
  EXPECT_EQ(toBFloat16Bits(1.0 + 3 * std::ldexp(1.0, -8)), 0x3F82);
  EXPECT_EQ(toBFloat16Bits(3.0e38), 0x7F62);
  EXPECT_EQ(toBFloat16Bits(3.5e38), 0x7F80); // past the largest, ~3.39e38
  EXPECT_EQ(toBFloat16Bits(std::ldexp(1.0, -133)), 0x0001); // subnormal
  EXPECT_EQ(toBFloat16Bits(std::nan("")), 0x7FC0);
  EXPECT_EQ(fromBFloat16Bits(0x3F80), 1.0);
  EXPECT_EQ(fromHalfBits(0x7BFF), 65504.0);
  EXPECT_EQ(fromHalfBits(0x0001), std::ldexp(1.0, -24));
  EXPECT_EQ(fromHalfBits(0xFC00), -kInf);
  EXPECT_TRUE(std::isnan(fromHalfBits(0x7C01)));
  EXPECT_TRUE(std::isnan(fromBFloat16Bits(0xFF81)));
}

/// Rounding through f32 first would round twice: 1 + 2^-8 + 2^-30 is f32's
/// 1 + 2^-8 (a bf16 tie, which goes down to 1), but it lies above the tie,
/// so once-rounded it is 1 + 2^-7.
TEST(HalfFloat, RoundsOnceFromDouble) {
  double v = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30);
  EXPECT_EQ(toBFloat16Bits(v), 0x3F81);
  double h = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(toHalfBits(h), 0x3C01);
}

TEST(HalfFloat, EveryPatternRoundTrips) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    uint16_t b = uint16_t(bits);
    double h = fromHalfBits(b), f = fromBFloat16Bits(b);
    if (!std::isnan(h))
      EXPECT_EQ(toHalfBits(h), b) << std::hex << bits;
    if (!std::isnan(f))
      EXPECT_EQ(toBFloat16Bits(f), b) << std::hex << bits;
    // Widening to f32 is exact.
    if (!std::isnan(h))
      EXPECT_EQ(double(float(h)), h);
  }
}

/// bf16 of an f32 by the integer trick: exact for f32 inputs.
uint16_t bfloat16ByBits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

TEST(HalfFloat, AgreesWithOtherConversions) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (int n = 0; n < 200000; ++n) {
    uint32_t u = anyBits(rng);
    float x;
    std::memcpy(&x, &u, 4);
    if (std::isnan(x))
      continue;
    EXPECT_EQ(toBFloat16Bits(x), bfloat16ByBits(x)) << x;
#ifdef __FLT16_MAX__
    _Float16 h = static_cast<_Float16>(x);
    uint16_t hb;
    std::memcpy(&hb, &h, 2);
    EXPECT_EQ(toHalfBits(x), hb) << x;
#endif
  }
}

TEST(HalfFloat, TensorsStoreBitPatterns) {
  TensorData h(TensorType::f16({3})), b(TensorType::bf16({3}));
  EXPECT_EQ(h.sizeInBytes(), 6);
  const double values[] = {0.1, -65504.0, 1e6};
  for (int i = 0; i < 3; ++i) {
    h.set(i, values[i]);
    b.set(i, values[i]);
  }
  EXPECT_EQ(h.data<uint16_t>()[0], toHalfBits(0.1));
  EXPECT_EQ(h.get(1), -65504.0);
  EXPECT_EQ(h.get(2), kInf);
  EXPECT_EQ(b.data<uint16_t>()[2], toBFloat16Bits(1e6));
  EXPECT_EQ(b.get(0), fromBFloat16Bits(toBFloat16Bits(0.1)));
  EXPECT_EQ(roundToElementType(DType::BF16, 0.1), b.get(0));
  EXPECT_EQ(roundToElementType(DType::F16, 1e6), kInf);
}

} // namespace
