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
  double scaled = std::log(double(distance) / double(exact)) /
                  std::log(double(maxDistance) / double(exact)) *
                  double(numBuckets - exact);
  // Truncation toward zero, as the original integer conversion does.
  int64_t large = exact + int64_t(scaled);
  return bucket + std::min(large, numBuckets - 1);
}

} // namespace einsum
