//===- RelativeBuckets.cpp ------------------------------------------------===//
#include "ir/RelativeBuckets.h"

#include <algorithm>
#include <cmath>

namespace einsum {

int64_t relativePositionBucket(int64_t rel, int64_t numBuckets,
                               int64_t maxDistance, bool bidirectional) {
  int64_t bucket = 0;
  int64_t distance;
  if (bidirectional) {
    numBuckets /= 2;
    if (rel > 0)
      bucket += numBuckets;
    distance = rel < 0 ? -rel : rel;
  } else {
    distance = rel < 0 ? -rel : 0;
  }
  int64_t exact = numBuckets / 2;
  if (distance < exact)
    return bucket + distance;
  // In float32, as the T5 reference computes it: trained relative tables
  // were indexed with these exact buckets, and double precision lands in
  // the next bucket at some boundaries.
  float scaled = std::log(float(distance) / float(exact)) /
                 float(std::log(double(maxDistance) / double(exact))) *
                 float(numBuckets - exact);
  // Truncation toward zero, as the original integer conversion does.
  int64_t large = exact + int64_t(scaled);
  return bucket + std::min(large, numBuckets - 1);
}

} // namespace einsum
