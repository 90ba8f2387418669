//===- InputChunks.cpp ----------------------------------------------------===//
#include "tools/alibi-opt/InputChunks.h"

namespace einsum {

std::vector<Chunk> splitInput(llvm::StringRef text, bool split) {
  if (!split)
    return {Chunk{text.str(), 1}};
  // Chunks start where their first line starts, so columns need no
  // adjustment; lines are counted from Chunk::firstLine. (Padding each chunk
  // with the newlines before it instead made the run quadratic in the
  // number of chunks.)
  std::vector<Chunk> chunks;
  size_t begin = 0, pos = 0;
  unsigned line = 1, firstLine = 1;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == llvm::StringRef::npos ? text.size() : eol + 1;
    llvm::StringRef lineText = text.slice(pos, next).rtrim("\n").rtrim("\r");
    if (lineText.trim() == "// -----") {
      chunks.push_back(Chunk{text.slice(begin, pos).str(), firstLine});
      begin = next;
      firstLine = line + 1;
    }
    pos = next;
    ++line;
  }
  chunks.push_back(Chunk{text.substr(begin).str(), firstLine});
  return chunks;
}

} // namespace einsum
