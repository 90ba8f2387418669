//===- FmaPeak.cpp - The machine's measured f32 FMA throughput ------------===//
//
// Each kernel keeps kChains accumulators in registers and updates each with
// acc = acc * a + b per step. Twelve chains cover the FMA latency times the
// number of FMA ports of current x86 cores (4 cycles x 2 ports), and fit in
// the 16 vector registers of AVX2 next to a and b. The kernels are compiled
// with target attributes and chosen with __builtin_cpu_supports, so the
// binary runs on any x86-64 and uses AVX-512 only where it exists.
//
//===----------------------------------------------------------------------===//
#include "bench/FmaPeak.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace einsum::bench {

static constexpr int kChains = 12;

/// A value that depends on every chain, so that none is optimized away.
__attribute__((target("avx512f"))) static float
keepChains512(const __m512 *acc) {
  __m512 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_ps(sum, acc[c]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  return lanes[0] + lanes[15];
}

__attribute__((target("avx512f"))) static float fmaAvx512(int64_t steps) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(float(c));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < steps; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  return keepChains512(acc);
}

__attribute__((target("avx2,fma"))) static float fmaAvx2(int64_t steps) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm256_set1_ps(float(c));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < steps; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm256_add_ps(sum, acc[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  return lanes[0] + lanes[7];
}

/// vdpbf16ps: 32 bf16 multiply-adds into 16 f32 lanes per instruction.
__attribute__((target("avx512f,avx512bf16"))) static float
dotBf16Avx512(int64_t steps) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(float(c));
  const __m512bh a =
      _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
  const __m512bh b =
      _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(-1e-3f));
  for (int64_t i = 0; i < steps; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
  return keepChains512(acc);
}

static float mulAddSse2(int64_t steps) {
  __m128 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm_set1_ps(float(c));
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (int64_t i = 0; i < steps; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], a), b);
  __m128 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm_add_ps(sum, acc[c]);
  return _mm_cvtss_f32(sum);
}

double FmaKernel::flopsPerStep() const { return 2.0 * kChains * lanes; }

std::vector<FmaKernel> supportedFmaKernels() {
  std::vector<FmaKernel> kernels;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    kernels.push_back({"avx512", 16, fmaAvx512});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16"))
    kernels.push_back({"avx512bf16", 32, dotBf16Avx512, /*f32=*/false});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    kernels.push_back({"avx2", 8, fmaAvx2});
  kernels.push_back({"sse2", 4, mulAddSse2});
  return kernels;
}

/// Written by every thread so that no chain is optimized away.
volatile float fmaSink;

double runFmaKernel(const FmaKernel &kernel, unsigned threads, int64_t steps) {
#pragma omp parallel num_threads(threads)
  fmaSink = kernel.run(steps);
  return kernel.flopsPerStep() * double(steps) * double(threads);
}

double measurePeakFlops(unsigned threads, const char *isa) {
  using Clock = std::chrono::steady_clock;
  double best = 0;
  for (const FmaKernel &kernel : supportedFmaKernels()) {
    if (isa ? std::strcmp(isa, kernel.isa) != 0 : !kernel.f32)
      continue;
    // Grow the run until it takes 50 ms, then keep the best of five.
    int64_t steps = 1 << 16;
    for (int run = 0; run < 5;) {
      auto start = Clock::now();
      double flops = runFmaKernel(kernel, threads, steps);
      double seconds =
          std::chrono::duration<double>(Clock::now() - start).count();
      if (seconds < 0.05) {
        steps *= 2;
        continue;
      }
      best = std::max(best, flops / seconds);
      ++run;
    }
  }
  return best;
}

} // namespace einsum::bench
