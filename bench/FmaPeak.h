//===- FmaPeak.h - The machine's measured f32 FMA throughput ----*- C++ -*-===//
//
// Independent chains of vector FMAs in registers, per instruction set, with
// the set picked at run time: the peak that the attention benchmarks report
// their share of. Measured rather than computed from a datasheet, so that
// clock limits under AVX-512 load and shared cores are in it.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BENCH_FMAPEAK_H
#define EINSUM_BENCH_FMAPEAK_H

#include <cstdint>
#include <vector>

namespace einsum::bench {

struct FmaKernel {
  /// "avx512", "avx2" or "sse2" (multiply then add: no FMA unit), or
  /// "avx512bf16" (vdpbf16ps: bf16 products summed in f32).
  const char *isa;
  /// Multiply-adds per instruction: f32 lanes, or bf16 pairs' elements.
  int lanes;
  /// Runs `steps` steps of its chains; the result keeps them alive.
  float (*run)(int64_t steps);
  /// An f32 FMA peak, rather than the bf16 one (which f32 code can't
  /// reach, so it is never "the" peak).
  bool f32 = true;
  /// Floating-point operations per step (2 per lane per chain).
  double flopsPerStep() const;
};

/// The kernels this CPU runs, widest vectors first.
std::vector<FmaKernel> supportedFmaKernels();

/// Runs `kernel` for `steps` steps on each of `threads` OpenMP threads at
/// once; returns the operations done in total.
double runFmaKernel(const FmaKernel &kernel, unsigned threads, int64_t steps);

/// The best flop/s of any supported f32 kernel (or of the one of `isa`: 0
/// if this CPU lacks it) on `threads` threads, over a few runs of about
/// 50 ms each.
double measurePeakFlops(unsigned threads, const char *isa = nullptr);

} // namespace einsum::bench

#endif // EINSUM_BENCH_FMAPEAK_H
