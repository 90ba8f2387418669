//===- InputFileTest.cpp - Reading inputs with a size limit ---------------===//
#include "ir/InputFile.h"

#include "TempDir.h"
#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace einsum;
using einsum::testing::TempDir;

namespace {

std::string readError(llvm::StringRef path, uint64_t maxBytes,
                      llvm::StringRef limitName = "") {
  llvm::Expected<std::string> text = readInputFile(path, maxBytes, limitName);
  if (text)
    return "<read " + std::to_string(text->size()) + " bytes>";
  return firstMessage(text.takeError());
}

void writeFile(const std::string &path, const std::string &contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

} // namespace

TEST(InputFileTest, ReadsUpToTheLimitAndNotAByteMore) {
  TempDir dir("input-file-test");
  std::string path = dir.file("g.eg");
  writeFile(path, std::string(1024, 'x'));
  llvm::Expected<std::string> text = readInputFile(path, 1024);
  ASSERT_TRUE(bool(text)) << firstMessage(text.takeError());
  EXPECT_EQ(*text, std::string(1024, 'x'));
  EXPECT_EQ(readError(path, 1023, "--max-input-size"),
            "cannot read '" + path +
                "': the input is larger than 1023 bytes (--max-input-size)");
  EXPECT_EQ(readError(path, 1023),
            "cannot read '" + path + "': the input is larger than 1023 bytes");
}

TEST(InputFileTest, ReadsAnEmptyFile) {
  TempDir dir("input-file-test");
  std::string path = dir.file("empty.eg");
  writeFile(path, "");
  EXPECT_EQ(readError(path, 1), "<read 0 bytes>");
}

TEST(InputFileTest, EndlessDevicesStopAtTheLimit) {
  // Sizes across several pieces, and one that is not a multiple of any.
  for (uint64_t limit : {uint64_t(1), uint64_t(1) << 20, uint64_t(3000017)}) {
    SCOPED_TRACE(limit);
    EXPECT_EQ(readError("/dev/zero", limit),
              "cannot read '/dev/zero': the input is larger than " +
                  formatBytes(limit));
    EXPECT_EQ(readError("/dev/urandom", limit),
              "cannot read '/dev/urandom': the input is larger than " +
                  formatBytes(limit));
  }
}

TEST(InputFileTest, ProcFilesAreReadThoughTheirSizeIsZero) {
  llvm::Expected<std::string> text =
      readInputFile("/proc/self/status", uint64_t(1) << 20);
  ASSERT_TRUE(bool(text)) << firstMessage(text.takeError());
  EXPECT_TRUE(llvm::StringRef(*text).starts_with("Name:")) << *text;
}

TEST(InputFileTest, NamesWhatCannotBeRead) {
  TempDir dir("input-file-test");
  std::string missing = dir.file("missing.eg");
  EXPECT_EQ(readError(missing, 1024),
            "cannot read '" + missing + "': No such file or directory");
  EXPECT_EQ(readError(dir.path, 1024),
            "cannot read '" + dir.path.str().str() + "': Is a directory");
}
