//===- StreamTriad.h - The machine's measured memory bandwidth --*- C++ -*-===//
//
// STREAM's triad, a[i] = b[i] + s * c[i] over three arrays far larger than
// the last-level cache, on every thread: the bandwidth the decode
// benchmarks, which read a key/value cache once per token, report their
// share of. Measured, like the FMA peak, so that a shared or throttled
// machine shows its own figure.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BENCH_STREAMTRIAD_H
#define EINSUM_BENCH_STREAMTRIAD_H

#include <cstdint>

namespace einsum::bench {

/// Bytes per second moved by the triad on `threads` OpenMP threads: 3
/// arrays of 8-byte elements per index (two read, one written, STREAM's
/// count: the write-allocate read is not counted), best of several runs
/// over arrays of `bytesPerArray` bytes each.
double measureTriadBandwidth(unsigned threads,
                             int64_t bytesPerArray = int64_t(256) << 20);

} // namespace einsum::bench

#endif // EINSUM_BENCH_STREAMTRIAD_H
