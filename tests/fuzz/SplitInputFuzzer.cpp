//===- SplitInputFuzzer.cpp - --split-input-file chunks and locations -----===//
//
// Splits the input as --split-input-file does and checks two things:
// - the chunks are the input: each one is the text between two separator
//   lines, starting on the line Chunk::firstLine says, so nothing is lost,
//   added or shifted;
// - locations are the file's: parsing, verifying and checking the
//   --verify-diagnostics annotations of a chunk from its first line gives
//   exactly the diagnostics (file:line:col, source line, message) that the
//   same chunk gives when padded with a newline for every line before it,
//   which is how the file's lines were once kept and is right by
//   construction.
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "tools/alibi-opt/DiagnosticVerifier.h"
#include "tools/alibi-opt/InputChunks.h"

#include <cstdio>
#include <cstdlib>

using namespace einsum;

[[noreturn]] static void fail(const char *what, const std::string &detail) {
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  std::abort();
}

static bool isSeparator(llvm::StringRef line) {
  return line.rtrim("\r").trim() == "// -----";
}

/// Every diagnostic of `err` as printed, one after the other.
static std::string printed(llvm::Error err) {
  std::string out;
  for (const Diagnostic &d : takeDiagnostics(std::move(err)))
    out += std::string(severityName(d.severity)) + ": " + d.str() + "\n";
  return out;
}

/// What alibi-opt reports for `text`: the parser's diagnostics, or the
/// verifier's, then what --verify-diagnostics makes of them.
static std::string diagnostics(llvm::StringRef text, unsigned firstLine) {
  llvm::Expected<Graph> g = parseGraph(text, "fuzz.eg", firstLine);
  llvm::Error err = g ? verify(*g) : g.takeError();
  std::vector<Diagnostic> produced = takeDiagnostics(std::move(err));
  std::string out;
  for (const Diagnostic &d : produced)
    out += std::string(severityName(d.severity)) + ": " + d.str() + "\n";
  out += "--verify-diagnostics:\n";
  return out + printed(verifyDiagnostics(text, "fuzz.eg", produced, firstLine));
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  std::vector<Chunk> chunks = splitInput(text, /*split=*/true);
  if (chunks.empty())
    fail("no chunks", text.str());

  // Walk the input line by line alongside the chunks.
  size_t pos = 0;
  unsigned line = 1;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk &chunk = chunks[i];
    if (chunk.firstLine != line)
      fail("chunk starts on the wrong line", std::to_string(chunk.firstLine) +
                                                 " instead of " +
                                                 std::to_string(line));
    if (text.substr(pos, chunk.text.size()) != chunk.text)
      fail("chunk is not the input's text", chunk.text);
    // No separator line inside a chunk.
    llvm::StringRef rest = chunk.text;
    while (!rest.empty()) {
      auto [lineText, after] = rest.split('\n');
      if (isSeparator(lineText))
        fail("separator inside a chunk", chunk.text);
      rest = after;
    }
    pos += chunk.text.size();
    line += llvm::StringRef(chunk.text).count('\n');
    if (i + 1 < chunks.size()) {
      // Between two chunks: exactly one separator line.
      size_t eol = text.find('\n', pos);
      size_t next = eol == llvm::StringRef::npos ? text.size() : eol + 1;
      if (!isSeparator(text.slice(pos, next).rtrim("\n")))
        fail("chunks are not separated by a separator line",
             text.slice(pos, next).str());
      pos = next;
      ++line;
    }
  }
  if (pos != text.size())
    fail("the chunks end before the input", text.substr(pos).str());

  for (const Chunk &chunk : chunks) {
    std::string padded = std::string(chunk.firstLine - 1, '\n') + chunk.text;
    std::string got = diagnostics(chunk.text, chunk.firstLine);
    std::string want = diagnostics(padded, 1);
    if (got != want)
      fail("locations differ from the padded chunk's",
           chunk.text + "\n--- from its first line:\n" + got + "--- padded:\n" +
               want);
  }
  return 0;
}
