//===- TempDir.h - A temporary directory for file tests ---------*- C++ -*-===//
#ifndef EINSUM_TESTS_UNIT_TEMPDIR_H
#define EINSUM_TESTS_UNIT_TEMPDIR_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

namespace einsum::testing {

/// A fresh directory, named after `prefix`, removed with its contents at the
/// end of the test.
class TempDir {
public:
  explicit TempDir(llvm::StringRef prefix) {
    std::error_code ec = llvm::sys::fs::createUniqueDirectory(prefix, path);
    EXPECT_FALSE(ec) << ec.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  std::string file(llvm::StringRef name) const {
    llvm::SmallString<256> p(path);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }
  llvm::SmallString<256> path;
};

} // namespace einsum::testing

#endif // EINSUM_TESTS_UNIT_TEMPDIR_H
