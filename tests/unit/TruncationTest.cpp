//===- TruncationTest.cpp - Every prefix of a graph is handled ------------===//
//
// A file cut off at any byte must give a graph or a located error, never a
// crash: the lit tests in tests/lit/hostile pin the messages at a few cuts,
// this tries them all, in-process so that it stays fast.
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

std::string readExample(llvm::StringRef name) {
  std::string path = std::string(EG_SOURCE_DIR) + "/examples/" + name.str();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

TEST(Truncation, EveryPrefixGivesAGraphOrALocatedError) {
  for (llvm::StringRef name : {"alibi_attention.eg", "alibi_seed_chain.eg"}) {
    SCOPED_TRACE(name.str());
    std::string text = readExample(name);
    ASSERT_FALSE(text.empty());
    std::string full = printGraph(llvm::cantFail(parseGraph(text, "x.eg")));
    for (size_t n = 0; n < text.size(); ++n) {
      llvm::Expected<Graph> g = parseGraph(text.substr(0, n), "x.eg");
      if (g) {
        // Only a cut in the trailing newline or comment leaves the graph.
        EXPECT_EQ(printGraph(*g), full) << "prefix of " << n << " bytes";
        continue;
      }
      std::vector<Diagnostic> diags = takeDiagnostics(g.takeError());
      ASSERT_EQ(diags.size(), 1u) << "prefix of " << n << " bytes";
      EXPECT_EQ(diags[0].loc.file, "x.eg");
      EXPECT_GE(diags[0].loc.line, 1u) << diags[0].message;
      EXPECT_GE(diags[0].loc.col, 1u) << diags[0].message;
      EXPECT_FALSE(diags[0].message.empty());
    }
  }
}

TEST(Truncation, EveryPrefixOfAPrintedGraphVerifiesOrFailsCleanly) {
  // Cuts that still parse (a shorter return list, say) must then verify or
  // be refused by the verifier: no half-built graph gets further.
  std::string text = "graph @g(%x: f32[4], %y: f32[4]) {\n"
                     "  %a = add %x, %y : f32[4]\n"
                     "  %b = mul %a, %a : f32[4]\n"
                     "  return %a, %b\n"
                     "}\n";
  for (size_t n = 0; n <= text.size(); ++n) {
    llvm::Expected<Graph> g = parseGraph(text.substr(0, n), "x.eg");
    if (!g) {
      llvm::consumeError(g.takeError());
      continue;
    }
    llvm::consumeError(verify(*g));
  }
}

} // namespace
