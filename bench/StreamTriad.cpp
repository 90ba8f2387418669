//===- StreamTriad.cpp - The machine's measured memory bandwidth ----------===//
//
// The arrays are first touched by the threads that use them (static
// schedule both times), so that on a NUMA machine each thread's part sits
// on its own node, as STREAM does. Ten runs; the fastest counts, as in
// STREAM's report.
//
//===----------------------------------------------------------------------===//
#include "bench/StreamTriad.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

namespace einsum::bench {

double measureTriadBandwidth(unsigned threads, int64_t bytesPerArray) {
  const int64_t n = bytesPerArray / int64_t(sizeof(double));
  struct Free {
    void operator()(double *p) const { std::free(p); }
  };
  auto array = [&] {
    return std::unique_ptr<double[], Free>(static_cast<double *>(
        std::aligned_alloc(64, size_t(n) * sizeof(double))));
  };
  auto a = array(), b = array(), c = array();
  if (!a || !b || !c)
    return 0;
  double *pa = a.get(), *pb = b.get(), *pc = c.get();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    pa[i] = 0;
    pb[i] = 1;
    pc[i] = 2;
  }
  const double scalar = 3;
  double best = 0;
  for (int run = 0; run < 10; ++run) {
    auto start = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i)
      pa[i] = pb[i] + scalar * pc[i];
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count();
    best = std::max(best, 3.0 * double(n) * sizeof(double) / s);
  }
  // Keeps the stores from being dropped.
  volatile double sink = pa[n / 2];
  (void)sink;
  return best;
}

} // namespace einsum::bench
