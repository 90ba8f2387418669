//===- InputFile.cpp ------------------------------------------------------===//
#include "ir/InputFile.h"

#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"

#include "llvm/Support/FileSystem.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace einsum {

llvm::Expected<std::string> readInputFile(llvm::StringRef path,
                                          uint64_t maxBytes,
                                          llvm::StringRef limitName) {
  namespace fs = llvm::sys::fs;
  bool stdinInput = path == "-";
  auto cannotRead = [&](llvm::StringRef why) {
    return makeError(
        fmt::format("cannot read '{}': {}", path.str(), why.str()));
  };
  auto tooLarge = [&] {
    std::string message = "the input is larger than " + formatBytes(maxBytes);
    if (!limitName.empty())
      message += " (" + limitName.str() + ")";
    return cannotRead(message);
  };

  fs::file_t file = fs::getStdinHandle();
  if (!stdinInput) {
    llvm::Expected<fs::file_t> opened = fs::openNativeFileForRead(path);
    if (!opened)
      return cannotRead(llvm::toString(opened.takeError()));
    file = *opened;
  }
  // Closed on every return; standard input is left open.
  struct Closer {
    fs::file_t file;
    bool owned;
    ~Closer() {
      if (owned)
        fs::closeFile(file);
    }
  } closer{file, !stdinInput};

  // A regular file's size is only a hint: enough to refuse a big file
  // without reading it and to allocate once. The loop below still stops at
  // the limit whatever the size said.
  uint64_t hint = 0;
  fs::file_status status;
  if (!fs::status(file, status) &&
      status.type() == fs::file_type::regular_file) {
    if (status.getSize() > maxBytes)
      return tooLarge();
    hint = status.getSize();
  }

  // Pieces that grow geometrically and are joined once at the end: no
  // reallocation copies while reading, and a regular file (its size the
  // first piece) is one piece read in place. One byte past the limit tells
  // "exactly the limit" from "more".
  uint64_t cap = maxBytes == UINT64_MAX ? maxBytes : maxBytes + 1;
  std::vector<std::string> pieces;
  uint64_t total = 0;
  uint64_t pieceSize = hint ? hint + 1 : 64 * 1024;
  while (total < cap) {
    std::string &piece = pieces.emplace_back();
    piece.resize(std::min(pieceSize, cap - total));
    size_t filled = 0;
    while (filled < piece.size()) {
      llvm::Expected<size_t> got = fs::readNativeFile(
          file, llvm::MutableArrayRef<char>(piece.data() + filled,
                                            piece.size() - filled));
      if (!got)
        return cannotRead(llvm::toString(got.takeError()));
      if (*got == 0)
        break;
      filled += *got;
    }
    total += filled;
    if (filled < piece.size()) {
      piece.resize(filled);
      if (pieces.size() == 1)
        return std::move(piece);
      std::string text;
      text.reserve(total);
      for (const std::string &p : pieces)
        text += p;
      return text;
    }
    pieceSize = std::min<uint64_t>(2 * pieceSize, 16 << 20);
  }
  return tooLarge();
}

} // namespace einsum
