//===- GemmBench.h - Matrix product benchmark rows --------------*- C++ -*-===//
//
// gemm/...: a square f32 matrix product through the cpu backend (an einsum
// of the public API, as an unfused graph has it) beside the sgemm of
// OpenBLAS and oneDNN on the same operands, each a share of the measured
// FMA peak.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BENCH_GEMMBENCH_H
#define EINSUM_BENCH_GEMMBENCH_H

#include "bench/ModelBench.h"

namespace einsum::bench {

/// Registers gemm/... with Google Benchmark. `avx2Peak` is the AVX2 FMA
/// peak on an AVX-512 host (0 elsewhere): the rows of kernels shaped for
/// AVX2 are a share of it.
void registerGemmBenchmarks(const SuiteContext &context, double (*avx2Peak)());

} // namespace einsum::bench

#endif // EINSUM_BENCH_GEMMBENCH_H
