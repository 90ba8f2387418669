//===- ModelBench.h - Decode and decoder-block benchmark rows ---*- C++ -*-===//
//
// The rows of attention-bench that measure a model rather than one
// attention: a decode step's attention over a long key/value cache, in
// GB/s against the machine's measured memory bandwidth, and a whole decoder
// block at prefill and per decoded token. Graphs have lengths known only at
// run time, as a model runs them.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BENCH_MODELBENCH_H
#define EINSUM_BENCH_MODELBENCH_H

#include "backends/Backend.h"

namespace einsum::bench {

/// What the rows need of the suite: its compile options and the machine's
/// measured peaks (computed on first use).
struct SuiteContext {
  CompileOptions compile;
  double (*peakFlops)();
  double (*bandwidth)();
};

/// Registers decode/... and block/... with Google Benchmark.
void registerModelBenchmarks(const SuiteContext &context);

} // namespace einsum::bench

#endif // EINSUM_BENCH_MODELBENCH_H
