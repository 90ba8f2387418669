//===- InputChunks.h - --split-input-file -----------------------*- C++ -*-===//
#ifndef EINSUM_TOOLS_INPUTCHUNKS_H
#define EINSUM_TOOLS_INPUTCHUNKS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace einsum {

/// A piece of the input processed on its own: its text, and the line of the
/// file it starts on, which the parser and the diagnostic verifier count
/// from so that locations are the file's.
struct Chunk {
  std::string text;
  unsigned firstLine = 1;
};

/// The `// -----` separated chunks of `text` if `split`, else all of it as
/// one chunk. Time and memory are linear in the size of `text`, however many
/// chunks it holds.
std::vector<Chunk> splitInput(llvm::StringRef text, bool split);

} // namespace einsum

#endif // EINSUM_TOOLS_INPUTCHUNKS_H
