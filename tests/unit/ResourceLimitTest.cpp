//===- ResourceLimitTest.cpp - Memory limits and fallible allocation ------===//
#include "ReferenceTestUtil.h"
#include "backends/Backend.h"
#include "backends/reference/ReferenceBackend.h"
#include "ir/Builder.h"
#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"

#include <gtest/gtest.h>

using namespace einsum;
using einsum::testing::chainOfKiBs;

// Under AddressSanitizer an allocation the system refuses must come back as
// null, as it does without the sanitizer, instead of ending the test.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char *__asan_default_options() {
  return "allocator_may_return_null=1";
}
#endif

namespace {

std::string parseError(llvm::StringRef text) {
  llvm::Expected<uint64_t> v = parseByteSize(text);
  if (v)
    return "<parsed " + std::to_string(*v) + ">";
  return firstMessage(v.takeError());
}

TEST(ByteSize, Formats) {
  EXPECT_EQ(formatBytes(0), "0 bytes");
  EXPECT_EQ(formatBytes(1), "1 byte");
  EXPECT_EQ(formatBytes(1023), "1023 bytes");
  EXPECT_EQ(formatBytes(1024), "1.0 KiB");
  EXPECT_EQ(formatBytes(1536), "1.5 KiB");
  EXPECT_EQ(formatBytes(1024 * 1024 - 1), "1.0 MiB");
  EXPECT_EQ(formatBytes(uint64_t(4) << 30), "4.0 GiB");
  EXPECT_EQ(formatBytes(uint64_t(3) << 40), "3.0 TiB");
  EXPECT_EQ(formatBytes(UINT64_MAX), "16.0 EiB");
}

TEST(ByteSize, ParsesPlainBytesAndBinaryUnits) {
  EXPECT_EQ(*parseByteSize("1048576"), 1048576u);
  EXPECT_EQ(*parseByteSize("512M"), uint64_t(512) << 20);
  EXPECT_EQ(*parseByteSize("8G"), uint64_t(8) << 30);
  EXPECT_EQ(*parseByteSize("8g"), uint64_t(8) << 30);
  EXPECT_EQ(*parseByteSize("64k"), uint64_t(64) << 10);
  EXPECT_EQ(*parseByteSize("2GiB"), uint64_t(2) << 30);
  EXPECT_EQ(*parseByteSize("2GB"), uint64_t(2) << 30);
  EXPECT_EQ(*parseByteSize("1T"), uint64_t(1) << 40);
  EXPECT_EQ(*parseByteSize("16777215T"), uint64_t(16777215) << 40);
}

TEST(ByteSize, RefusesWhatIsNotASize) {
  EXPECT_EQ(parseError(""), "'' is not a size: expected a number of bytes, or "
                            "a whole number followed by K, M, G or T (512M, "
                            "8G)");
  EXPECT_EQ(parseError("-1G"), "'-1G' is not a size: expected a number of "
                               "bytes, or a whole number followed by K, M, G "
                               "or T (512M, 8G)");
  EXPECT_EQ(parseError("1.5G"), "'1.5G' is not a size: expected a whole "
                                "number; use a smaller unit (1536M, not 1.5G)");
  EXPECT_EQ(parseError("8Q"),
            "'8Q' is not a size: unknown unit 'Q'; use K, M, G or T");
  EXPECT_EQ(parseError("8Gb!"),
            "'8Gb!' is not a size: unknown unit 'Gb!'; use K, M, G or T");
  EXPECT_EQ(parseError("0"), "'0' is not a size: it must be positive");
  EXPECT_EQ(parseError("0M"), "'0M' is not a size: it must be positive");
  EXPECT_EQ(parseError("16777216T"),
            "'16777216T' is not a size: it does not fit in 64 bits");
  EXPECT_EQ(parseError("18446744073709551616"),
            "'18446744073709551616' is not a size: it does not fit in 64 "
            "bits");
}

TEST(TensorDataAllocate, RefusedMemoryIsAnError) {
  // 2^47 f32 elements: 512 TiB, more than any machine will hand out.
  TensorType huge = TensorType::f32({int64_t(1) << 47});
  llvm::Expected<TensorData> t = TensorData::allocate(huge);
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(firstMessage(t.takeError()),
            "cannot allocate 512.0 TiB for a tensor of type "
            "f32[140737488355328]");
  llvm::Expected<TensorData> bad = TensorData::allocate(TensorType::f32({0}));
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(firstMessage(bad.takeError()),
            "dimension 0 of shape [0] is 0; dimensions must be positive");
}

TEST(TensorDataAllocate, ZeroedAndClonable) {
  llvm::Expected<TensorData> t = TensorData::allocate(TensorType::f64({3}));
  ASSERT_TRUE(bool(t)) << firstMessage(t.takeError());
  EXPECT_EQ(t->get(2), 0.0);
  t->set(1, 2.5);
  llvm::Expected<TensorData> copy = t->clone();
  ASSERT_TRUE(bool(copy)) << firstMessage(copy.takeError());
  EXPECT_EQ(copy->get(1), 2.5);
  EXPECT_NE(copy->raw(), t->raw());
}

TEST(MemoryLimit, DefaultIsHalfThePhysicalMemory) {
  uint64_t physical = physicalMemoryBytes();
  ASSERT_GT(physical, 0u);
  EXPECT_EQ(memoryLimit(CompileOptions{}), physical / 2);
  CompileOptions given;
  given.maxMemoryBytes = 12345;
  EXPECT_EQ(memoryLimit(given), 12345u);
}

std::string compileError(const Graph &g, uint64_t limit) {
  CompileOptions options;
  options.maxMemoryBytes = limit;
  llvm::Expected<std::unique_ptr<Executable>> exe =
      createReferenceBackend()->compile(g, options);
  if (exe)
    return "<compiled>";
  return firstMessage(exe.takeError());
}

TEST(ReferenceMemoryLimit, PeakIsTheLiveSetAtItsWorst) {
  Graph g = chainOfKiBs();
  EXPECT_EQ(compileError(g, 5 * 1024), "<compiled>");
  EXPECT_EQ(compileError(g, 5 * 1024 - 1),
            "running this graph needs 5.0 KiB at its peak ('add' producing "
            "%w holds 1.0 KiB); the limit is 5.0 KiB (--max-memory)");
}

TEST(ReferenceMemoryLimit, NamesTheLargestTensorAtThePeak) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({1024}));
  TensorId big = b.iota(TensorType::f32({64, 1024}), 1, "big");
  TensorId s = b.reduce("sum", big, {0}, false, "s");
  b.output(b.add(x, s, "out"));
  ASSERT_FALSE(bool(b.takeError()));
  // x and the caller's out: 8 KiB; big (256 KiB) and s (4 KiB) are alive
  // together while s is computed.
  EXPECT_EQ(compileError(g, 1024),
            "running this graph needs 268.0 KiB at its peak ('iota' "
            "producing %big holds 256.0 KiB); the limit is 1.0 KiB "
            "(--max-memory)");

  Graph args;
  Builder a(args);
  TensorId q = a.input("q", TensorType::f32({64, 1024}));
  a.output(a.reduce("sum", q, {1}, false, "r"));
  ASSERT_FALSE(bool(a.takeError()));
  EXPECT_EQ(compileError(args, 1024),
            "running this graph needs 256.5 KiB at its peak (argument %q "
            "holds 256.0 KiB); the limit is 1.0 KiB (--max-memory)");
}

TEST(ReferenceMemoryLimit, SumsThatOverflow64BitsStillRefuse) {
  // 2^13 outputs of 2^51 bytes each need 2^64 bytes: a 64-bit sum would
  // wrap around to a small number.
  Graph g;
  Builder b(g);
  for (int i = 0; i < 8192; ++i)
    b.output(b.iota(TensorType::f64({int64_t(1) << 48}), 0));
  ASSERT_FALSE(bool(b.takeError()));
  EXPECT_EQ(compileError(g, UINT64_MAX - 1),
            "running this graph needs 16.0 EiB at its peak ('iota' producing "
            "%8191 holds 2.0 PiB); the limit is 16.0 EiB (--max-memory)");
}

TEST(ReferenceMemoryLimit, RunsWithinTheLimit) {
  Graph g = chainOfKiBs();
  CompileOptions options;
  options.maxMemoryBytes = 5 * 1024;
  llvm::Expected<std::unique_ptr<Executable>> exe =
      createReferenceBackend()->compile(g, options);
  ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
  TensorData x(TensorType::f32({256}));
  llvm::Expected<std::vector<TensorData>> out = (*exe)->runNamed({{"x", x}});
  ASSERT_TRUE(bool(out)) << firstMessage(out.takeError());
  EXPECT_EQ((*out)[0].get(0), 0.0); // exp(0) - exp(0)
}

} // namespace
