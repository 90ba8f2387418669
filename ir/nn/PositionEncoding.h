//===- PositionEncoding.h - Position encoding configurations ----*- C++ -*-===//
//
// The configuration of every position encoding, with the original API's
// constructors and validation rules. Each encoding type has its own class
// (AlibiPositionEncoding.h, OtherEncodings.h) created from a validated config.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_NN_POSITIONENCODING_H
#define EINSUM_IR_NN_POSITIONENCODING_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace einsum::nn {

enum class EncodingType { Sinusoidal, Learned, Relative, Rotary, Alibi };

llvm::StringRef encodingTypeName(EncodingType t);

struct PositionEncodingConfig {
  EncodingType encodingType = EncodingType::Sinusoidal;
  int64_t dModel = 0;
  int64_t maxSeqLen = 0;
  double dropout = 0.0;

  /// Sinusoidal and rotary: the frequency base (10000 by default).
  double base = 10000.0;
  /// Rotary: positions are divided by this factor (linear scaling).
  double scalingFactor = 1.0;
  /// Relative: T5-style buckets.
  int64_t numBuckets = 0;
  int64_t maxDistance = 0;
  /// Alibi (and relative, for its [numBuckets, nHeads] table).
  int64_t nHeads = 0;

  static PositionEncodingConfig sinusoidal(int64_t dModel, int64_t maxSeqLen);
  static PositionEncodingConfig learned(int64_t dModel, int64_t maxSeqLen);
  static PositionEncodingConfig relative(int64_t dModel, int64_t numBuckets,
                                         int64_t maxDistance);
  static PositionEncodingConfig rotary(int64_t dModel, int64_t maxSeqLen);
  static PositionEncodingConfig rotaryScaled(int64_t dModel, int64_t maxSeqLen,
                                             double base, double scalingFactor);
  static PositionEncodingConfig alibi(int64_t dModel, int64_t nHeads,
                                      int64_t maxSeqLen);

  /// A copy with `dropout = p`.
  PositionEncodingConfig withDropout(double p) const;

  /// Rejects what the original rejects, naming the field and its value:
  /// dModel = 0; dropout outside [0, 1]; sinusoidal base <= 0; relative
  /// numBuckets = 0 or maxDistance = 0; learned maxSeqLen = 0; rotary
  /// base <= 0, scalingFactor <= 0, maxSeqLen = 0 or odd dModel; alibi
  /// nHeads = 0 or maxSeqLen = 0. Also negative sizes and NaNs, which the
  /// original's unsigned types could not hold.
  llvm::Error validate() const;
};

} // namespace einsum::nn

#endif // EINSUM_IR_NN_POSITIONENCODING_H
