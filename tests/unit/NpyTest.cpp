//===- NpyTest.cpp - .npy reading, writing and rejection ------------------===//
#include "ir/Npy.h"

#include "TempDir.h"
#include "ir/Diagnostic.h"
#include "ir/OutputFile.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace einsum;
using einsum::testing::TempDir;

namespace {

/// A .npy file around `header` (padded and terminated as numpy does) and
/// `data`, with the given major version.
std::string makeNpy(std::string header, const std::string &data,
                    unsigned major = 1) {
  size_t preamble = major == 1 ? 10 : 12;
  while ((preamble + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(major);
  out += char(0);
  for (size_t i = 0; i < preamble - 8; ++i)
    out += char((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string floatBytes(std::initializer_list<float> values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(s.data(), values.begin(), s.size());
  return s;
}

std::string parseError(llvm::StringRef bytes, llvm::StringRef name = "x.npy") {
  llvm::Expected<TensorData> t = parseNpy(bytes, name);
  if (t)
    return "<parsed>";
  return firstMessage(t.takeError());
}

TensorData sample(TensorType type) {
  TensorData t(std::move(type));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, double(i) * 1.5 - 3);
  return t;
}

void expectSame(const TensorData &a, const TensorData &b) {
  ASSERT_EQ(a.type(), b.type());
  ASSERT_EQ(a.sizeInBytes(), b.sizeInBytes());
  EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.sizeInBytes()));
}

} // namespace

TEST(NpyTest, RoundTripEachDType) {
  for (TensorType type : {TensorType::f32({2, 3}), TensorType::f64({4}),
                          TensorType::i64({2, 2, 2}), TensorType::f32({}),
                          TensorType::f64({1, 1, 5}), TensorType::f16({3, 5}),
                          TensorType::bf16({7})}) {
    SCOPED_TRACE(type.str());
    TensorData t = sample(type);
    std::string bytes = serializeNpy(t);
    llvm::Expected<TensorData> back = parseNpy(bytes, "t.npy");
    ASSERT_TRUE(bool(back)) << firstMessage(back.takeError());
    expectSame(*back, t);
  }
}

/// f16 is numpy's float16; bf16 travels as the uint16 bit patterns
/// (`a.view(numpy.uint16)`), read back as bf16.
TEST(NpyTest, SixteenBitForms) {
  TensorData h(TensorType::f16({2})), b(TensorType::bf16({2}));
  h.set(0, 1.0);
  h.set(1, -2.5);
  b.set(0, 1.0);
  b.set(1, 3.0e38);
  std::string hb = serializeNpy(h), bb = serializeNpy(b);
  EXPECT_NE(hb.find("'descr': '<f2'"), std::string::npos);
  EXPECT_NE(bb.find("'descr': '<u2'"), std::string::npos);
  EXPECT_EQ(hb.substr(hb.size() - 4), std::string("\x00\x3c\x00\xc1", 4));
  EXPECT_EQ(bb.substr(bb.size() - 4), std::string("\x80\x3f\x62\x7f", 4));
  std::string u2 = makeNpy("{'descr': '<u2', 'fortran_order': False, "
                           "'shape': (1,), }",
                           std::string("\xc0\x40", 2));
  llvm::Expected<TensorData> t = parseNpy(u2, "b.npy");
  ASSERT_TRUE(bool(t)) << firstMessage(t.takeError());
  EXPECT_EQ(t->type(), TensorType::bf16({1}));
  EXPECT_EQ(t->get(0), 6.0);
  EXPECT_EQ(npyDescrText(DType::BF16), "'<u2', bf16 bit patterns");
  EXPECT_EQ(npyDescrText(DType::F16), "'<f2'");
}

TEST(NpyTest, SerializedHeaderIsWhatNumpyWrites) {
  std::string bytes = serializeNpy(sample(TensorType::f32({2, 3})));
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t headerLength = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
  // The data starts 64-byte aligned, after a newline-terminated dict.
  EXPECT_EQ((10 + headerLength) % 64, 0u);
  EXPECT_EQ(bytes[10 + headerLength - 1], '\n');
  EXPECT_EQ(bytes.size(), 10 + headerLength + 24);
  std::string header = bytes.substr(10, headerLength);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos);
  EXPECT_NE(header.find("'shape': (2, 3)"), std::string::npos);

  std::string scalar = serializeNpy(sample(TensorType::f64({})));
  EXPECT_NE(scalar.find("'shape': ()"), std::string::npos);
  std::string vector = serializeNpy(sample(TensorType::i64({7})));
  EXPECT_NE(vector.find("'shape': (7,)"), std::string::npos);
  EXPECT_NE(vector.find("'<i8'"), std::string::npos);
}

TEST(NpyTest, ParsesHeaderVariants) {
  std::string data = floatBytes({1, 2, 3, 4, 5, 6});
  for (const char *header :
       {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'shape':(2,3),'fortran_order':False,'descr':'<f4'}",
        "{ \"descr\" : \"<f4\" , 'shape' : ( 2 , 3 , ) ,"
        "  'fortran_order' : False , }",
        "{'fortran_order': False, 'shape': (2L, 3L), 'descr': '<f4'}"}) {
    SCOPED_TRACE(header);
    llvm::Expected<TensorData> t = parseNpy(makeNpy(header, data), "x.npy");
    ASSERT_TRUE(bool(t)) << firstMessage(t.takeError());
    EXPECT_EQ(t->type(), TensorType::f32({2, 3}));
    EXPECT_EQ(t->get(5), 6.0);
  }
}

TEST(NpyTest, ParsesVersions2And3) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (3,), }";
  for (unsigned major : {2u, 3u}) {
    llvm::Expected<TensorData> t =
        parseNpy(makeNpy(header, floatBytes({1, 2, 3}), major), "x.npy");
    ASSERT_TRUE(bool(t)) << firstMessage(t.takeError());
    EXPECT_EQ(t->type(), TensorType::f32({3}));
    EXPECT_EQ(t->get(2), 3.0);
  }
}

TEST(NpyTest, ParsesScalar) {
  llvm::Expected<TensorData> t =
      parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': ()}",
                       floatBytes({2.5f})),
               "s.npy");
  ASSERT_TRUE(bool(t)) << firstMessage(t.takeError());
  EXPECT_EQ(t->type(), TensorType::f32({}));
  EXPECT_EQ(t->get(0), 2.5);
}

TEST(NpyTest, RejectsUnsupportedDTypes) {
  auto withDescr = [](const std::string &descr) {
    return makeNpy("{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': (2,), }",
                   std::string(16, '\0'));
  };
  const std::string expected = "expected '<f4', '<f8', '<i8', '<f2' (f16) "
                               "or '<u2' (bf16 bit patterns)";
  EXPECT_EQ(parseError(withDescr("<i4")),
            "unsupported dtype '<i4' in x.npy; " + expected);
  EXPECT_EQ(parseError(withDescr("<i2")),
            "unsupported dtype '<i2' in x.npy; " + expected);
  EXPECT_EQ(parseError(withDescr("|b1")),
            "unsupported dtype '|b1' in x.npy; " + expected);
  EXPECT_EQ(parseError(withDescr(">f4")),
            "big-endian dtype '>f4' in x.npy is not supported; " + expected);
  EXPECT_EQ(parseError(withDescr(">f2")),
            "big-endian dtype '>f2' in x.npy is not supported; " + expected);
  EXPECT_EQ(parseError(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': "
                               "False, 'shape': (2,), }",
                               std::string(8, '\0'))),
            "x.npy: structured dtypes are not supported; " + expected);
}

TEST(NpyTest, RejectsFortranOrder) {
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': True, "
                               "'shape': (2, 3), }",
                               std::string(24, '\0'))),
            "x.npy: fortran_order arrays are not supported; save a C-ordered "
            "array (numpy.ascontiguousarray)");
}

TEST(NpyTest, RejectsBadMagicAndVersion) {
  EXPECT_EQ(parseError("PK\x03\x04 not numpy at all"),
            "x.npy: not a .npy file (bad magic string)");
  EXPECT_EQ(parseError(""), "x.npy: not a .npy file (bad magic string)");
  std::string v4 = makeNpy("{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (1,), }",
                           floatBytes({1}), 2);
  v4[6] = 4;
  EXPECT_EQ(parseError(v4),
            "x.npy: unsupported .npy version 4.0; expected 1.0, 2.0 or 3.0");
}

TEST(NpyTest, RejectsTruncatedHeaders) {
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x01", 7)),
            "x.npy: truncated header: the file ends after 7 bytes");
  EXPECT_EQ(parseError(std::string("\x93NUMPY\x02\x00\x10\x00", 10)),
            "x.npy: truncated header: the file ends after 10 bytes");
  // A header length pointing past the end of the file.
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) +
                      std::string("\xe8\x03", 2) + "{'descr': '<f4'";
  EXPECT_EQ(parseError(bytes), "x.npy: header length 1000 goes beyond the end "
                               "of the file (25 bytes)");
  // A dict that stops before its closing brace.
  std::string cut = std::string("\x93NUMPY\x01\x00", 8) +
                    std::string("\x0f\x00", 2) + "{'descr': '<f4'";
  EXPECT_EQ(parseError(cut), "x.npy: truncated header: expected ',' or '}' "
                             "after the value of 'descr' but the header ends");
}

TEST(NpyTest, RejectsMalformedHeaders) {
  EXPECT_EQ(parseError(
                makeNpy("{'descr': '<f4', 'shape': (2,)}", floatBytes({1, 2}))),
            "x.npy: malformed header: key 'fortran_order' is missing");
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'descr': '<f4', "
                               "'fortran_order': False, 'shape': (2,)}",
                               floatBytes({1, 2})))
                .find("key 'descr' appears twice"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (2,), 'extra': 1}",
                               floatBytes({1, 2})))
                .find("unexpected key 'extra'"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'fortran_order': maybe, "
                               "'shape': (2,)}",
                               floatBytes({1, 2})))
                .find("expected True or False for 'fortran_order'"),
            std::string::npos);
  EXPECT_NE(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (2, x)}",
                               floatBytes({1, 2})))
                .find("expected an integer in 'shape'"),
            std::string::npos);
}

TEST(NpyTest, RejectsDataSizeMismatch) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (2, 3), }";
  EXPECT_EQ(parseError(makeNpy(header, std::string(20, '\0'))),
            "x.npy: header says shape (2,3) of '<f4' (24 bytes) but the file "
            "holds 20 bytes of data");
  EXPECT_EQ(parseError(makeNpy(header, std::string(28, '\0'))),
            "x.npy: header says shape (2,3) of '<f4' (24 bytes) but the file "
            "holds 28 bytes of data");
  EXPECT_EQ(parseError(makeNpy("{'descr': '<i8', 'fortran_order': False, "
                               "'shape': (3,), }",
                               "")),
            "x.npy: header says shape (3,) of '<i8' (24 bytes) but the file "
            "holds 0 bytes of data");
}

TEST(NpyTest, LyingHeaderDoesNotAllocate) {
  // 2^47 f4 elements would be 512 TiB: rejected before any allocation.
  EXPECT_EQ(parseError(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (140737488355328,), }",
                               std::string(8, '\0'))),
            "x.npy: header says shape (140737488355328,) of '<f4' "
            "(562949953421312 bytes) but the file holds 8 bytes of data");
}

TEST(NpyTest, TypeCheckSeesTheHeaderBeforeTheData) {
  std::string bytes =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              floatBytes({1, 2, 3, 4, 5, 6}));
  std::vector<TensorType> seen;
  llvm::Expected<TensorData> t =
      parseNpy(bytes, "x.npy", [&](const TensorType &type) {
        seen.push_back(type);
        return llvm::Error::success();
      });
  ASSERT_TRUE(bool(t)) << firstMessage(t.takeError());
  EXPECT_EQ(seen, std::vector<TensorType>{TensorType::f32({2, 3})});
  EXPECT_EQ(t->get(5), 6.0);

  t = parseNpy(bytes, "x.npy", [](const TensorType &type) {
    return makeError("not " + type.str());
  });
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(firstMessage(t.takeError()), "not f32[2,3]");
}

TEST(NpyTest, RejectsHeadersAboveTheLimit) {
  // A version 2.0 length field can claim 4 GiB; more than 1 MiB is refused
  // before the header is read, even when the file is that long.
  std::string header = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (1,), }";
  header.resize(kMaxNpyHeaderBytes + 64, ' ');
  std::string bytes = makeNpy(header, floatBytes({1}), 2);
  EXPECT_EQ(parseError(bytes), "x.npy: header length 1048692 is more than the "
                               "1.0 MiB a .npy header may have");
}

TEST(NpyTest, ReadsDevicesOnlyAsFarAsTheMagicString) {
  EXPECT_EQ(firstMessage(readNpy("/dev/zero").takeError()),
            "/dev/zero: not a .npy file (bad magic string)");
  EXPECT_EQ(firstMessage(readNpy("/dev/urandom").takeError()),
            "/dev/urandom: not a .npy file (bad magic string)");
}

TEST(NpyTest, CountsTrailingBytesOfAFileExactly) {
  // A regular file: its size gives the exact count, whatever it is.
  TempDir dir("npy-test");
  std::string path = dir.file("long.npy");
  std::string header = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (2,), }";
  {
    std::string bytes =
        makeNpy(header, floatBytes({1, 2}) +
                            std::string(2 * kMaxNpyTrailingBytes, '\0'));
    ASSERT_FALSE(bool(writeOutputFile(path, bytes)));
  }
  EXPECT_EQ(firstMessage(readNpy(path).takeError()),
            path + ": header says shape (2,) of '<f4' (8 bytes) but the file "
                   "holds 2097160 bytes of data");
}

TEST(NpyTest, RejectsBadDimensions) {
  auto withShape = [](const std::string &shape) {
    return makeNpy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }",
        std::string(16, '\0'));
  };
  EXPECT_EQ(parseError(withShape("(2, -3)")),
            "x.npy: dimension 1 of shape [2,-3] is -3; dimensions must be "
            "positive");
  EXPECT_EQ(parseError(withShape("(0,)")),
            "x.npy: dimension 0 of shape [0] is 0; dimensions must be "
            "positive");
  EXPECT_EQ(parseError(withShape("(16777216, 16777216, 16777216)")),
            "x.npy: shape [16777216,16777216,16777216] has more than 2^48 "
            "elements");
  // A number too long for 64 bits saturates and is then reported as too big.
  EXPECT_NE(parseError(withShape("(99999999999999999999999999999,)"))
                .find("has more than 2^48 elements"),
            std::string::npos);
}

TEST(NpyTest, NeverCrashesOnTruncationsOrCorruptions) {
  std::string good = serializeNpy(sample(TensorType::f64({3, 2})));
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_NE(parseError(good.substr(0, n)), "<parsed>") << "length " << n;
  // Flipping any header byte must give a tensor or an error, never a crash.
  for (size_t i = 0; i < 128 && i < good.size(); ++i)
    for (unsigned char flip : {0x01, 0x20, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = char(uint8_t(bad[i]) ^ flip);
      llvm::Expected<TensorData> t = parseNpy(bad, "fuzz.npy");
      if (!t)
        EXPECT_FALSE(firstMessage(t.takeError()).empty());
    }
}

TEST(NpyTest, WriteThenReadFile) {
  TempDir dir("npy-test");
  std::string path = dir.file("t.npy");
  TensorData t = sample(TensorType::i64({3, 4}));
  ASSERT_FALSE(bool(writeNpy(path, t)));
  llvm::Expected<TensorData> back = readNpy(path);
  ASSERT_TRUE(bool(back)) << firstMessage(back.takeError());
  expectSame(*back, t);

  // Overwriting replaces the file and leaves no temporary behind.
  TensorData u = sample(TensorType::f32({2}));
  ASSERT_FALSE(bool(writeNpy(path, u)));
  back = readNpy(path);
  ASSERT_TRUE(bool(back)) << firstMessage(back.takeError());
  expectSame(*back, u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"t.npy"});
}

TEST(NpyTest, ReadMissingFileNamesIt) {
  TempDir dir("npy-test");
  std::string path = dir.file("absent.npy");
  llvm::Expected<TensorData> t = readNpy(path);
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(firstMessage(t.takeError()),
            "cannot read '" + path + "': No such file or directory");
}

TEST(NpyTest, WriteToMissingDirectoryFailsAndLeavesNothing) {
  TempDir dir("npy-test");
  std::string path = dir.file("missing/x.npy");
  llvm::Error err = writeNpy(path, sample(TensorType::f32({2})));
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(firstMessage(std::move(err)),
            "cannot write '" + path + "': No such file or directory");
  EXPECT_TRUE(dir.entries().empty());
}
