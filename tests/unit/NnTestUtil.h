//===- NnTestUtil.h - Independent definitions for the ir/nn tests -*- C++
//-*-===//
//
// The tests check the graphs ir/nn builds against the published definitions,
// written here a second time and on purpose differently from the library
// (recursion where it uses a closed form, plain loops where it uses einsum),
// so that a mistake would have to be made twice to go unnoticed.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_TESTS_UNIT_NNTESTUTIL_H
#define EINSUM_TESTS_UNIT_NNTESTUTIL_H

#include "ReferenceTestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace einsum::testing {

/// Press et al.'s reference code, get_slopes(n): for a power of two, the
/// geometric sequence start, start^2, ... with start = 2^(-maxBias / n);
/// otherwise the power-of-two slopes of the largest p < n followed by every
/// other slope of get_slopes(2p).
inline std::vector<double> paperSlopes(int64_t n, double maxBias = 8.0) {
  bool powerOfTwo = (n & (n - 1)) == 0;
  if (powerOfTwo) {
    double start = std::pow(2.0, -maxBias / double(n));
    std::vector<double> s{start};
    while (int64_t(s.size()) < n)
      s.push_back(s.back() * start);
    return s;
  }
  int64_t p = int64_t(1) << int64_t(std::floor(std::log2(double(n))));
  std::vector<double> s = paperSlopes(p, maxBias);
  std::vector<double> doubled = paperSlopes(2 * p, maxBias);
  for (int64_t i = 0; int64_t(s.size()) < n; i += 2)
    s.push_back(doubled[i]);
  return s;
}

/// T5's _relative_position_bucket, with n = query - key as in the original
/// (relative_position = key - query, n = -relative_position).
inline int64_t t5Bucket(int64_t query, int64_t key, int64_t numBuckets,
                        int64_t maxDistance, bool bidirectional) {
  int64_t ret = 0, n = query - key;
  if (bidirectional) {
    numBuckets /= 2;
    if (n < 0)
      ret += numBuckets;
    n = std::abs(n);
  } else {
    n = std::max<int64_t>(n, 0);
  }
  int64_t maxExact = numBuckets / 2;
  if (n < maxExact)
    return ret + n;
  int64_t large =
      maxExact + int64_t(std::log(double(n) / double(maxExact)) /
                         std::log(double(maxDistance) / double(maxExact)) *
                         double(numBuckets - maxExact));
  return ret + std::min(large, numBuckets - 1);
}

/// Half-split RoPE of one head vector at `position`: the pair (x[e],
/// x[e + d/2]) turns by position / scaling * base^(-2e/d).
inline std::vector<double> ropeRotate(const std::vector<double> &x,
                                      double position, double base = 10000.0,
                                      double scaling = 1.0) {
  size_t half = x.size() / 2;
  std::vector<double> y(x.size());
  for (size_t e = 0; e < half; ++e) {
    double theta = position / scaling *
                   std::pow(base, -2.0 * double(e) / double(x.size()));
    double a = x[e], b = x[e + half];
    y[e] = a * std::cos(theta) - b * std::sin(theta);
    y[e + half] = a * std::sin(theta) + b * std::cos(theta);
  }
  return y;
}

/// Fails the test (and returns from it) if the Expected `e` holds an error.
#define ASSERT_OK(e) ASSERT_TRUE(bool(e)) << firstMessage((e).takeError())

/// The id in `e`, or an invalid id after failing the test.
inline TensorId idOrFail(llvm::Expected<TensorId> e) {
  if (!e) {
    ADD_FAILURE() << firstMessage(e.takeError());
    return TensorId::invalid();
  }
  return *e;
}

/// The first message of `e`'s error, or "<no error>".
template <typename T> std::string errorOf(llvm::Expected<T> e) {
  if (e)
    return "<no error>";
  return firstMessage(e.takeError());
}
inline std::string errorOf(llvm::Error e) {
  if (!e)
    return "<no error>";
  return firstMessage(std::move(e));
}

} // namespace einsum::testing

#endif // EINSUM_TESTS_UNIT_NNTESTUTIL_H
