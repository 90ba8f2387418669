//===- PositionEncoding.cpp -----------------------------------------------===//
#include "ir/nn/PositionEncoding.h"
#include "ir/Size.h"

#include "ir/Diagnostic.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum::nn {

llvm::StringRef encodingTypeName(EncodingType t) {
  switch (t) {
  case EncodingType::Sinusoidal:
    return "sinusoidal";
  case EncodingType::Learned:
    return "learned";
  case EncodingType::Relative:
    return "relative";
  case EncodingType::Rotary:
    return "rotary";
  case EncodingType::Alibi:
    return "alibi";
  }
  return "unknown";
}

static PositionEncodingConfig makeConfig(EncodingType type, int64_t dModel,
                                         int64_t maxSeqLen) {
  PositionEncodingConfig c;
  c.encodingType = type;
  c.dModel = dModel;
  c.maxSeqLen = maxSeqLen;
  return c;
}

PositionEncodingConfig PositionEncodingConfig::sinusoidal(int64_t dModel,
                                                          int64_t maxSeqLen) {
  return makeConfig(EncodingType::Sinusoidal, dModel, maxSeqLen);
}

PositionEncodingConfig PositionEncodingConfig::learned(int64_t dModel,
                                                       int64_t maxSeqLen) {
  return makeConfig(EncodingType::Learned, dModel, maxSeqLen);
}

// Relative buckets cover any distance (the last bucket is open-ended), so
// there is no sequence length to bound; maxSeqLen stays 0.
PositionEncodingConfig PositionEncodingConfig::relative(int64_t dModel,
                                                        int64_t numBuckets,
                                                        int64_t maxDistance) {
  PositionEncodingConfig c = makeConfig(EncodingType::Relative, dModel, 0);
  c.numBuckets = numBuckets;
  c.maxDistance = maxDistance;
  return c;
}

PositionEncodingConfig PositionEncodingConfig::rotary(int64_t dModel,
                                                      int64_t maxSeqLen) {
  return rotaryScaled(dModel, maxSeqLen, 10000.0, 1.0);
}

PositionEncodingConfig
PositionEncodingConfig::rotaryScaled(int64_t dModel, int64_t maxSeqLen,
                                     double base, double scalingFactor) {
  PositionEncodingConfig c =
      makeConfig(EncodingType::Rotary, dModel, maxSeqLen);
  c.base = base;
  c.scalingFactor = scalingFactor;
  return c;
}

PositionEncodingConfig PositionEncodingConfig::alibi(int64_t dModel,
                                                     int64_t nHeads,
                                                     int64_t maxSeqLen) {
  PositionEncodingConfig c = makeConfig(EncodingType::Alibi, dModel, maxSeqLen);
  c.nHeads = nHeads;
  return c;
}

PositionEncodingConfig PositionEncodingConfig::withDropout(double p) const {
  PositionEncodingConfig c = *this;
  c.dropout = p;
  return c;
}

namespace {
/// Checks one field at a time; the first failure wins, so a config with
/// several problems reports the one a reader meets first.
class ConfigChecker {
public:
  explicit ConfigChecker(const PositionEncodingConfig &c)
      : prefix(fmt::format("{} config: ", encodingTypeName(c.encodingType))) {}

  /// Messages about fields every encoding has carry no prefix.
  /// A size known only at run time (an attention's key count passed as
  /// max_seq_len) is checked when it is known.
  void atLeast(llvm::StringRef field, int64_t value, int64_t min,
               bool general = false) {
    if (field == "max_seq_len" && isSymbolicSize(value))
      return;
    if (value < min)
      fail(general, fmt::format("{} is {}; expected at least {}", field.str(),
                                value, min));
  }
  void positive(llvm::StringRef field, double value) {
    if (!(value > 0) || !std::isfinite(value))
      fail(false, fmt::format("{} is {}; expected a positive finite number",
                              field.str(), value));
  }
  void fail(bool general, std::string message) {
    if (!error.empty())
      return;
    error = general ? std::move(message) : prefix + message;
  }

  llvm::Error result() {
    return error.empty() ? llvm::Error::success() : makeError(error);
  }

private:
  std::string prefix;
  std::string error;
};
} // namespace

llvm::Error PositionEncodingConfig::validate() const {
  ConfigChecker check(*this);
  check.atLeast("d_model", dModel, 1, /*general=*/true);
  // Written so that NaN fails too.
  if (!(dropout >= 0 && dropout <= 1))
    check.fail(true, fmt::format("dropout is {}; expected a value in [0, 1]",
                                 dropout));
  switch (encodingType) {
  case EncodingType::Sinusoidal:
    check.positive("base", base);
    break;
  case EncodingType::Learned:
    check.atLeast("max_seq_len", maxSeqLen, 1);
    break;
  case EncodingType::Relative:
    check.atLeast("num_buckets", numBuckets, 1);
    check.atLeast("max_distance", maxDistance, 1);
    // 0 means "as many heads as the scores have".
    check.atLeast("n_heads", nHeads, 0);
    break;
  case EncodingType::Rotary:
    check.positive("base", base);
    check.positive("scaling_factor", scalingFactor);
    check.atLeast("max_seq_len", maxSeqLen, 1);
    if (dModel > 0 && dModel % 2 != 0)
      check.fail(false, fmt::format("d_model is {}; rotary needs an even "
                                    "d_model",
                                    dModel));
    break;
  case EncodingType::Alibi:
    check.atLeast("n_heads", nHeads, 1);
    check.atLeast("max_seq_len", maxSeqLen, 1);
    break;
  }
  // Fields an encoding ignores may still not be negative: the original's
  // unsigned types could not hold such values.
  check.atLeast("max_seq_len", maxSeqLen, 0, true);
  check.atLeast("num_buckets", numBuckets, 0, true);
  check.atLeast("max_distance", maxDistance, 0, true);
  check.atLeast("n_heads", nHeads, 0, true);
  return check.result();
}

} // namespace einsum::nn
