//===- KernelShapes.h - Kernel shapes from a model of the registers -*- C++
//-*-===//
//
// The shapes every target gets without measuring: register tiles sized so
// that the accumulators, the vectors loaded per step and the broadcast
// element all stay in registers (an AVX2 machine has half the registers of
// an AVX-512 one: the tile that suits 32 spills with 16), blocking sized
// for caches every supported CPU has (32 KiB L1, 512 KiB L2). The tuner
// (Tuning.h) measures candidates around these on the host.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_KERNELSHAPES_H
#define EINSUM_BACKENDS_CPU_KERNELSHAPES_H

#include "backends/cpu/Lowering.h"

#include <vector>

namespace einsum::cpu {

/// Every tile of `registers` vector registers with at most 3/4 of them
/// accumulating and rows * cols + cols + 2 <= registers (the cols vectors
/// of a step, its broadcast, one register for the epilogue), best first:
/// fewest loads per FMA ((rows + cols) / (rows * cols)), then the most
/// accumulators, then the fewest columns.
std::vector<TileShape> registerTiles(unsigned registers);

/// `options` with the model's shapes for its vector registers.
void modelShapes(KernelOptions &options);

/// "6x4 step 16 group 8": for benchmarks and tuning records.
std::string describe(const FlashShape &shape);
/// "6x4 depth 256 panel 256K".
std::string describe(const GemmShape &shape);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_KERNELSHAPES_H
