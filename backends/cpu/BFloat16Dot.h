//===- BFloat16Dot.h - AVX512-BF16 products for the flash kernel -*- C++
//-*-===//
//
// vdpbf16ps adds to each f32 lane i the two products a[2i] b[2i] +
// a[2i+1] b[2i+1] of bf16 pairs: 32 multiply-adds per instruction where an
// f32 FMA does 16. A product over a depth then runs over pairs of depth
// indices: the right operand is packed with each pair adjacent per lane
// (pair p of lane l at 2 l + s), and the left operand's pair is broadcast as
// one 32-bit value. MLIR's x86vector dialect has no such op: the LLVM
// intrinsic is called directly.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_BFLOAT16DOT_H
#define EINSUM_BACKENDS_CPU_BFLOAT16DOT_H

#include "backends/cpu/KernelBuilder.h"

namespace einsum::cpu {

/// acc + the pairwise products of `pairs` and `right` (both vector<32 x
/// bf16>), for a 16-lane f32 kernel.
mlir::Value dotBF16(KernelBuilder &k, mlir::Value acc, mlir::Value pairs,
                    mlir::Value right);

/// The two bf16 elements at `at` and the next index of the last dimension
/// of `memref`, repeated in all 16 pairs of a vector<32 x bf16>.
mlir::Value broadcastPair(KernelBuilder &k, mlir::Value memref,
                          mlir::ValueRange at);

/// A vector<32 x bf16> of `memref` (bf16) at `at`.
mlir::Value loadPairs(KernelBuilder &k, mlir::Value memref,
                      mlir::ValueRange at);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_BFLOAT16DOT_H
