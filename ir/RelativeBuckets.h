//===- RelativeBuckets.h - T5 relative position buckets ---------*- C++ -*-===//
#ifndef EINSUM_IR_RELATIVEBUCKETS_H
#define EINSUM_IR_RELATIVEBUCKETS_H

#include <cstdint>

namespace einsum {

/// The bucket of relative position `rel` = key - query (Raffel et al., T5).
/// Bidirectional: half the buckets for rel > 0, half for rel <= 0. Within a
/// side of n buckets, distances below n/2 get a bucket each; larger ones
/// share logarithmically spaced buckets up to maxDistance, and everything
/// beyond lands in the last bucket. Unidirectional (causal): only rel <= 0
/// is told apart; future keys share bucket 0. The logarithm is taken in
/// float32, as in the T5 reference, so trained tables index the same way.
int64_t relativePositionBucket(int64_t rel, int64_t numBuckets,
                               int64_t maxDistance, bool bidirectional);

} // namespace einsum

#endif // EINSUM_IR_RELATIVEBUCKETS_H
