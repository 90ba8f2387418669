//===- HalfFloat.cpp - The 16-bit float formats, bit by bit ---------------===//
#include "ir/HalfFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace einsum {

namespace {

/// A binary format with `fractionBits` stored fraction bits and exponents
/// of normal numbers in [minExponent, maxExponent].
struct Format {
  int fractionBits, minExponent, maxExponent;
};

constexpr Format kHalf{10, -14, 15};
constexpr Format kBFloat16{7, -126, 127};

/// `v` rounded to the nearest value of `f` (ties to even), as a double:
/// exact for every value the format holds. Overflow gives infinity.
double roundTo(double v, Format f) {
  if (!std::isfinite(v) || v == 0)
    return v;
  // The quantum at v: 2^(e - fractionBits), e the exponent of v, or the
  // subnormal quantum below the normal range.
  int e = std::ilogb(v);
  double quantum = std::ldexp(1.0, std::max(e, f.minExponent) - f.fractionBits);
  // v / quantum has at most 53 significant bits and an exact power-of-two
  // divisor, so the quotient is exact; nearbyint rounds ties to even in
  // the default rounding mode.
  double rounded = std::nearbyint(v / quantum) * quantum;
  double largest =
      std::ldexp(2.0 - std::ldexp(1.0, -f.fractionBits), f.maxExponent);
  if (std::fabs(rounded) > largest)
    return std::copysign(INFINITY, v);
  return rounded;
}

/// The fields of `v`, a value of `f` (or inf, or NaN), as bits with
/// `exponentBits` exponent bits.
uint16_t encode(double v, Format f, int exponentBits) {
  uint16_t sign = std::signbit(v) ? uint16_t(1u << 15) : 0;
  int bias = f.maxExponent;
  uint16_t allOnes = uint16_t((1u << exponentBits) - 1);
  if (std::isnan(v))
    return sign | uint16_t(allOnes << f.fractionBits) |
           uint16_t(1u << (f.fractionBits - 1));
  double a = std::fabs(v);
  if (std::isinf(a))
    return sign | uint16_t(allOnes << f.fractionBits);
  if (a == 0)
    return sign;
  int e = std::ilogb(a);
  if (e < f.minExponent) // subnormal: fraction = a / 2^(min - fractionBits)
    return sign | uint16_t(std::ldexp(a, f.fractionBits - f.minExponent));
  double fraction = std::ldexp(a, -e) - 1.0; // in [0, 1)
  return sign | uint16_t(uint16_t(e + bias) << f.fractionBits) |
         uint16_t(std::ldexp(fraction, f.fractionBits));
}

double decode(uint16_t bits, Format f, int exponentBits) {
  bool negative = bits >> 15;
  int bias = f.maxExponent;
  unsigned exponent = (bits >> f.fractionBits) & ((1u << exponentBits) - 1);
  unsigned fraction = bits & ((1u << f.fractionBits) - 1);
  double magnitude;
  if (exponent == (1u << exponentBits) - 1)
    magnitude = fraction ? NAN : INFINITY;
  else if (exponent == 0)
    magnitude = std::ldexp(double(fraction), f.minExponent - f.fractionBits);
  else
    magnitude = std::ldexp(1.0 + std::ldexp(double(fraction), -f.fractionBits),
                           int(exponent) - bias);
  return negative ? -magnitude : magnitude;
}

} // namespace

uint16_t toHalfBits(double v) { return encode(roundTo(v, kHalf), kHalf, 5); }
double fromHalfBits(uint16_t bits) { return decode(bits, kHalf, 5); }
uint16_t toBFloat16Bits(double v) {
  return encode(roundTo(v, kBFloat16), kBFloat16, 8);
}
double fromBFloat16Bits(uint16_t bits) { return decode(bits, kBFloat16, 8); }

double roundToElementType(DType t, double v) {
  switch (t) {
  case DType::F32:
    return double(float(v));
  case DType::F64:
    return v;
  case DType::I64:
    return std::trunc(v);
  case DType::F16:
    return fromHalfBits(toHalfBits(v));
  case DType::BF16:
    return fromBFloat16Bits(toBFloat16Bits(v));
  }
  return v;
}

} // namespace einsum
