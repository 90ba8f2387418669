// Configurations: the original's constructors and defaults, and every
// case validate() and the encodings' create() refuse, with exact wording.
#include "ir/nn/AlibiPositionEncoding.h"
#include "ir/nn/OtherEncodings.h"
#include "ir/nn/PositionEncoding.h"

#include "NnTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace einsum;
using namespace einsum::nn;
using einsum::testing::errorOf;

namespace {

TEST(NnPositionEncoding, ConstructorsMirrorTheOriginal) {
  PositionEncodingConfig s = PositionEncodingConfig::sinusoidal(512, 1024);
  EXPECT_EQ(s.encodingType, EncodingType::Sinusoidal);
  EXPECT_EQ(s.dModel, 512);
  EXPECT_EQ(s.maxSeqLen, 1024);
  EXPECT_EQ(s.base, 10000.0);
  EXPECT_EQ(s.dropout, 0.0);

  PositionEncodingConfig l = PositionEncodingConfig::learned(768, 512);
  EXPECT_EQ(l.encodingType, EncodingType::Learned);
  EXPECT_EQ(l.maxSeqLen, 512);

  PositionEncodingConfig r = PositionEncodingConfig::relative(512, 32, 128);
  EXPECT_EQ(r.encodingType, EncodingType::Relative);
  EXPECT_EQ(r.numBuckets, 32);
  EXPECT_EQ(r.maxDistance, 128);
  EXPECT_EQ(r.nHeads, 0);

  PositionEncodingConfig ro = PositionEncodingConfig::rotary(128, 2048);
  EXPECT_EQ(ro.encodingType, EncodingType::Rotary);
  EXPECT_EQ(ro.base, 10000.0);
  EXPECT_EQ(ro.scalingFactor, 1.0);

  PositionEncodingConfig rs =
      PositionEncodingConfig::rotaryScaled(128, 8192, 500000.0, 4.0);
  EXPECT_EQ(rs.base, 500000.0);
  EXPECT_EQ(rs.scalingFactor, 4.0);
  EXPECT_EQ(rs.maxSeqLen, 8192);

  PositionEncodingConfig a = PositionEncodingConfig::alibi(1024, 16, 2048);
  EXPECT_EQ(a.encodingType, EncodingType::Alibi);
  EXPECT_EQ(a.nHeads, 16);
  EXPECT_EQ(a.maxSeqLen, 2048);

  PositionEncodingConfig d = a.withDropout(0.1);
  EXPECT_EQ(d.dropout, 0.1);
  EXPECT_EQ(a.dropout, 0.0) << "withDropout returns a copy";
  EXPECT_EQ(d.nHeads, 16);

  for (const PositionEncodingConfig &c : {s, l, r, ro, rs, a, d})
    EXPECT_EQ(errorOf(c.validate()), "<no error>")
        << encodingTypeName(c.encodingType).str();
}

TEST(NnPositionEncoding, TypeNames) {
  EXPECT_EQ(encodingTypeName(EncodingType::Sinusoidal), "sinusoidal");
  EXPECT_EQ(encodingTypeName(EncodingType::Learned), "learned");
  EXPECT_EQ(encodingTypeName(EncodingType::Relative), "relative");
  EXPECT_EQ(encodingTypeName(EncodingType::Rotary), "rotary");
  EXPECT_EQ(encodingTypeName(EncodingType::Alibi), "alibi");
}

struct InvalidCase {
  const char *what;
  PositionEncodingConfig config;
  const char *message;
};

PositionEncodingConfig with(PositionEncodingConfig c,
                            void (*edit)(PositionEncodingConfig &)) {
  edit(c);
  return c;
}

void PrintTo(const InvalidCase &c, std::ostream *os) { *os << c.what; }

class NnInvalidConfig : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(NnInvalidConfig, IsRefusedWithTheFieldAndValue) {
  EXPECT_EQ(errorOf(GetParam().config.validate()), GetParam().message);
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

INSTANTIATE_TEST_SUITE_P(
    NnCases, NnInvalidConfig,
    ::testing::Values(
        // Every encoding: d_model and dropout.
        InvalidCase{"d_model 0", PositionEncodingConfig::sinusoidal(0, 8),
                    "d_model is 0; expected at least 1"},
        InvalidCase{"negative d_model", PositionEncodingConfig::alibi(-4, 8, 8),
                    "d_model is -4; expected at least 1"},
        InvalidCase{"dropout above 1",
                    PositionEncodingConfig::learned(8, 8).withDropout(1.5),
                    "dropout is 1.5; expected a value in [0, 1]"},
        InvalidCase{"negative dropout",
                    PositionEncodingConfig::rotary(8, 8).withDropout(-0.25),
                    "dropout is -0.25; expected a value in [0, 1]"},
        InvalidCase{"NaN dropout",
                    PositionEncodingConfig::alibi(8, 2, 8).withDropout(kNaN),
                    "dropout is nan; expected a value in [0, 1]"},
        // Sinusoidal.
        InvalidCase{"sinusoidal base 0",
                    with(PositionEncodingConfig::sinusoidal(8, 8),
                         [](PositionEncodingConfig &c) { c.base = 0; }),
                    "sinusoidal config: base is 0; expected a positive finite "
                    "number"},
        InvalidCase{"sinusoidal negative base",
                    with(PositionEncodingConfig::sinusoidal(8, 8),
                         [](PositionEncodingConfig &c) { c.base = -10; }),
                    "sinusoidal config: base is -10; expected a positive "
                    "finite number"},
        InvalidCase{"sinusoidal NaN base",
                    with(PositionEncodingConfig::sinusoidal(8, 8),
                         [](PositionEncodingConfig &c) { c.base = kNaN; }),
                    "sinusoidal config: base is nan; expected a positive "
                    "finite number"},
        InvalidCase{"sinusoidal negative max_seq_len",
                    PositionEncodingConfig::sinusoidal(8, -1),
                    "max_seq_len is -1; expected at least 0"},
        // Relative.
        InvalidCase{"relative num_buckets 0",
                    PositionEncodingConfig::relative(8, 0, 128),
                    "relative config: num_buckets is 0; expected at least 1"},
        InvalidCase{"relative max_distance 0",
                    PositionEncodingConfig::relative(8, 32, 0),
                    "relative config: max_distance is 0; expected at least 1"},
        InvalidCase{"relative negative heads",
                    with(PositionEncodingConfig::relative(8, 32, 128),
                         [](PositionEncodingConfig &c) { c.nHeads = -2; }),
                    "relative config: n_heads is -2; expected at least 0"},
        // Learned.
        InvalidCase{"learned max_seq_len 0",
                    PositionEncodingConfig::learned(8, 0),
                    "learned config: max_seq_len is 0; expected at least 1"},
        // Rotary.
        InvalidCase{"rotary base 0",
                    PositionEncodingConfig::rotaryScaled(8, 8, 0, 1),
                    "rotary config: base is 0; expected a positive finite "
                    "number"},
        InvalidCase{"rotary infinite base",
                    PositionEncodingConfig::rotaryScaled(8, 8, kInf, 1),
                    "rotary config: base is inf; expected a positive finite "
                    "number"},
        InvalidCase{"rotary scaling 0",
                    PositionEncodingConfig::rotaryScaled(8, 8, 10000, 0),
                    "rotary config: scaling_factor is 0; expected a positive "
                    "finite number"},
        InvalidCase{"rotary negative scaling",
                    PositionEncodingConfig::rotaryScaled(8, 8, 10000, -2),
                    "rotary config: scaling_factor is -2; expected a positive "
                    "finite number"},
        InvalidCase{"rotary max_seq_len 0",
                    PositionEncodingConfig::rotary(8, 0),
                    "rotary config: max_seq_len is 0; expected at least 1"},
        InvalidCase{"rotary odd d_model", PositionEncodingConfig::rotary(63, 8),
                    "rotary config: d_model is 63; rotary needs an even "
                    "d_model"},
        // Alibi.
        InvalidCase{"alibi n_heads 0", PositionEncodingConfig::alibi(8, 0, 8),
                    "alibi config: n_heads is 0; expected at least 1"},
        InvalidCase{"alibi negative n_heads",
                    PositionEncodingConfig::alibi(8, -3, 8),
                    "alibi config: n_heads is -3; expected at least 1"},
        InvalidCase{"alibi max_seq_len 0",
                    PositionEncodingConfig::alibi(8, 2, 0),
                    "alibi config: max_seq_len is 0; expected at least 1"},
        // A field the type ignores may still not be negative.
        InvalidCase{"negative field another type ignores",
                    with(PositionEncodingConfig::learned(8, 8),
                         [](PositionEncodingConfig &c) { c.numBuckets = -1; }),
                    "num_buckets is -1; expected at least 0"}),
    [](const ::testing::TestParamInfo<InvalidCase> &info) {
      std::string name;
      for (char c : std::string(info.param.what))
        name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

TEST(NnPositionEncoding, TheFirstProblemIsReported) {
  // d_model, then dropout, then the type's own fields.
  PositionEncodingConfig c = PositionEncodingConfig::alibi(0, 0, 0);
  EXPECT_EQ(errorOf(c.validate()), "d_model is 0; expected at least 1");
  c.dModel = 8;
  c.dropout = 2;
  EXPECT_EQ(errorOf(c.validate()), "dropout is 2; expected a value in [0, 1]");
  c.dropout = 0;
  EXPECT_EQ(errorOf(c.validate()),
            "alibi config: n_heads is 0; expected at least 1");
}

TEST(NnPositionEncoding, BoundaryValuesAreAccepted) {
  EXPECT_EQ(
      errorOf(
          PositionEncodingConfig::alibi(1, 1, 1).withDropout(1.0).validate()),
      "<no error>");
  EXPECT_EQ(
      errorOf(PositionEncodingConfig::rotary(2, 1).withDropout(0.0).validate()),
      "<no error>");
  // The original does not require max_seq_len for sinusoidal tables.
  EXPECT_EQ(errorOf(PositionEncodingConfig::sinusoidal(3, 0).validate()),
            "<no error>");
}

TEST(NnPositionEncoding, EachEncodingRefusesAnotherType) {
  PositionEncodingConfig sin = PositionEncodingConfig::sinusoidal(8, 8);
  PositionEncodingConfig alibi = PositionEncodingConfig::alibi(8, 2, 8);
  EXPECT_EQ(errorOf(AlibiPositionEncoding::create(sin)),
            "AlibiPositionEncoding needs an alibi config, got sinusoidal");
  EXPECT_EQ(errorOf(SinusoidalPositionEncoding::create(alibi)),
            "SinusoidalPositionEncoding needs a sinusoidal config, got alibi");
  EXPECT_EQ(errorOf(LearnedPositionEncoding::create(alibi)),
            "LearnedPositionEncoding needs a learned config, got alibi");
  EXPECT_EQ(errorOf(RelativePositionEncoding::create(sin)),
            "RelativePositionEncoding needs a relative config, got "
            "sinusoidal");
  EXPECT_EQ(errorOf(RotaryPositionEncoding::create(
                PositionEncodingConfig::learned(8, 8))),
            "RotaryPositionEncoding needs a rotary config, got learned");
}

TEST(NnPositionEncoding, CreateValidatesFirst) {
  // An invalid config of the wrong type reports the invalid field: fixing
  // the type alone would not help.
  EXPECT_EQ(errorOf(AlibiPositionEncoding::create(
                PositionEncodingConfig::sinusoidal(8, 8).withDropout(3))),
            "dropout is 3; expected a value in [0, 1]");
  EXPECT_EQ(errorOf(RotaryPositionEncoding::create(
                PositionEncodingConfig::rotary(7, 8))),
            "rotary config: d_model is 7; rotary needs an even d_model");
  EXPECT_EQ(errorOf(LearnedPositionEncoding::create(
                PositionEncodingConfig::learned(8, 0))),
            "learned config: max_seq_len is 0; expected at least 1");
}

TEST(NnPositionEncoding, RelativeNeedsEnoughBucketsForT5) {
  EXPECT_EQ(errorOf(RelativePositionEncoding::create(
                PositionEncodingConfig::relative(8, 2, 16))),
            "relative config: num_buckets is 2; bidirectional T5 buckets "
            "need at least 4");
  EXPECT_EQ(errorOf(RelativePositionEncoding::create(
                PositionEncodingConfig::relative(8, 1, 16), false)),
            "relative config: num_buckets is 1; causal T5 buckets need at "
            "least 2");
  EXPECT_EQ(errorOf(RelativePositionEncoding::create(
                PositionEncodingConfig::relative(8, 32, 8))),
            "relative config: max_distance is 8; expected more than the 8 "
            "exact buckets");
  EXPECT_EQ(errorOf(RelativePositionEncoding::create(
                PositionEncodingConfig::relative(8, 4, 2))),
            "<no error>");
}

} // namespace
