//===- InputChunks.h - --split-input-file -----------------------*- C++ -*-===//
#ifndef EINSUM_TOOLS_INPUTCHUNKS_H
#define EINSUM_TOOLS_INPUTCHUNKS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace einsum {

/// A piece of the input processed on its own. Its text is preceded by as
/// many newlines as lines before it, so locations are the file's.
struct Chunk {
  std::string text;
};

/// The `// -----` separated chunks of `text` if `split`, else all of it as
/// one chunk.
std::vector<Chunk> splitInput(llvm::StringRef text, bool split);

} // namespace einsum

#endif // EINSUM_TOOLS_INPUTCHUNKS_H
