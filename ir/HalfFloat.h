//===- HalfFloat.h - The 16-bit float formats, bit by bit -------*- C++ -*-===//
//
// IEEE binary16 (f16: 5 exponent bits, 10 fraction bits) and bfloat16
// (bf16: f32's 8 exponent bits, 7 fraction bits), stored as their bit
// patterns. Rounding goes straight from double, to the nearest value with
// ties to even, once: rounding to f32 first would round twice and could
// land on the other neighbour. Values past the largest finite one round to
// infinity (the largest finite f16 is 65504, bf16's about 3.39e38); every
// NaN becomes the format's quiet NaN of the same sign.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_HALFFLOAT_H
#define EINSUM_IR_HALFFLOAT_H

#include "ir/TensorType.h"

#include <cstdint>

namespace einsum {

uint16_t toHalfBits(double v);
double fromHalfBits(uint16_t bits);
uint16_t toBFloat16Bits(double v);
double fromBFloat16Bits(uint16_t bits);

/// `v` as an element of type `t` holds it: rounded once to nearest even
/// (i64: toward zero; f64: unchanged).
double roundToElementType(DType t, double v);

} // namespace einsum

#endif // EINSUM_IR_HALFFLOAT_H
