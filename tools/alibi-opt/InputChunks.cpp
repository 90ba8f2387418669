//===- InputChunks.cpp ----------------------------------------------------===//
#include "tools/alibi-opt/InputChunks.h"

namespace einsum {

std::vector<Chunk> splitInput(llvm::StringRef text, bool split) {
  if (!split)
    return {Chunk{text.str()}};
  std::vector<Chunk> chunks;
  std::string current;
  unsigned line = 0, firstLine = 0;
  while (!text.empty()) {
    auto [lineText, rest] = text.split('\n');
    bool hasNewline = text.size() > lineText.size();
    text = rest;
    ++line;
    if (lineText.rtrim("\r").trim() == "// -----") {
      chunks.push_back(Chunk{std::string(firstLine, '\n') + current});
      current.clear();
      firstLine = line;
      continue;
    }
    current += lineText;
    if (hasNewline)
      current += '\n';
  }
  chunks.push_back(Chunk{std::string(firstLine, '\n') + current});
  return chunks;
}

} // namespace einsum
