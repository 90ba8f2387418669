//===- TerminalTextTest.cpp - The one sanitiser for echoed text ----------===//
#include "ir/Diagnostic.h"
#include "ir/Lexer.h"

#include <gtest/gtest.h>

using namespace einsum;

namespace {

TEST(TerminalTextTest, EscapesControlBytes) {
  EXPECT_EQ(terminalText("s\x1b[31m"), "s\\x1B[31m");
  EXPECT_EQ(terminalText(llvm::StringRef("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(terminalText("\x7f\r"), "\\x7F\\x0D");
  EXPECT_FALSE(isTerminalText("s\x1b[31m"));
}

TEST(TerminalTextTest, EscapesC1ControlsByteByByte) {
  // U+009B is CSI: to a terminal the same as ESC [.
  EXPECT_EQ(terminalText("y\xc2\x9b"
                         "31m"),
            "y\\xC2\\x9B31m");
  EXPECT_EQ(terminalText("\xc2\x80\xc2\x9f"), "\\xC2\\x80\\xC2\\x9F");
  EXPECT_FALSE(isTerminalText("\xc2\x85"));
}

TEST(TerminalTextTest, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(terminalText("caf\xc3("), "caf\\xC3(");
  EXPECT_EQ(terminalText("\xff\xe2\x82"), "\\xFF\\xE2\\x82");
}

TEST(TerminalTextTest, KeepsText) {
  for (llvm::StringRef s : {"plain", "tab\tand\nnewline", "caf\xc3\xa9",
                            "\xc2\xa0 no-break space", "\xe2\x86\x92", ""}) {
    EXPECT_EQ(terminalText(s), s.str());
    EXPECT_TRUE(isTerminalText(s));
  }
}

TEST(TerminalTextTest, EchoedSourceLineShowsOneQuestionMarkPerCharacter) {
  Diagnostic d;
  d.loc.line = 1;
  d.loc.col = 5;
  d.loc.lineText = "a\xc2\x9b"
                   "b\x1b";
  d.message = "m\xc2\x9b";
  EXPECT_EQ(d.str(), "<input>:1:5: error: m\\xC2\\x9B\na?b?\n    ^\n");
}

TEST(TerminalTextTest, QuotedNamesEscapeC1Controls) {
  // The printer's spelling is read back byte for byte, and keeps a file
  // printed to a terminal free of escape sequences.
  EXPECT_EQ(quoteString("y\xc2\x9b"), "\"y\\C2\\9B\"");
  EXPECT_EQ(quoteString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

} // namespace
