//===- Lexer.h - Tokens of the textual IR -----------------------*- C++ -*-===//
//
// The lexer turns a buffer into tokens, each with its 1-based line and
// column (in bytes, as the caret printer counts). Lexical errors become an
// Error token carrying the message, so the parser reports them like any
// other unexpected token and lexing never fails halfway through a token.
//
// The helpers at the end say how names and strings are spelled; the printer
// uses them so that what it writes is exactly what the lexer reads back.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_LEXER_H
#define EINSUM_IR_LEXER_H

#include "ir/Diagnostic.h"

#include "llvm/ADT/StringRef.h"

#include <string>

namespace einsum {

enum class TokenKind {
  Eof,
  Error,
  Identifier, // graph, param, return, op names, dtypes, enum values, inf
  GraphName,  // @name or @"name"; `value` holds the name
  TensorName, // %name or %"name"; `value` holds the name
  String,     // "..."; `value` holds the decoded bytes
  Integer,    // -?[0-9]+
  Float,      // -?[0-9]+ with a fraction or an exponent
  Minus,      // a '-' not starting a number, as in -inf or ?k-?q
  Plus,       // '+', in sizes: ?p+1
  Star,       // '*', in sizes: 2*?s
  Symbol,     // ?name, a size known at run time; `value` holds the name
  LParen,
  RParen,
  LBrace,
  RBrace,
  LSquare,
  RSquare,
  Comma,
  Colon,
  Equal,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  /// The exact source text of the token.
  llvm::StringRef spelling;
  /// Decoded names and strings; the message of an Error token.
  std::string value;
  /// A TensorName written %"..." rather than bare (so %"0" is not %0).
  bool quoted = false;
  unsigned line = 1;
  unsigned col = 1;
  /// Offset of the first byte of the token's line in the buffer.
  size_t lineStart = 0;

  bool is(TokenKind k) const { return kind == k; }
  bool isKeyword(llvm::StringRef word) const {
    return kind == TokenKind::Identifier && spelling == word;
  }
};

class Lexer {
public:
  /// `firstLine` is the line number of the buffer's first line: a piece of
  /// a larger file (a --split-input-file chunk) reports the file's lines.
  explicit Lexer(llvm::StringRef buffer, unsigned firstLine = 1)
      : buf(buffer), curLine(firstLine) {}

  /// The next token; Eof forever once the end is reached. An Error token
  /// leaves the lexer at the offending byte, so callers stop there.
  Token next();

  /// The text of the line starting at `lineStart`, without its newline;
  /// empty for absurdly long lines, which would make copying it into every
  /// location quadratic and the caret useless anyway.
  llvm::StringRef lineText(size_t lineStart) const;

private:
  Token makeToken(TokenKind kind, size_t begin);
  Token errorToken(std::string message, size_t begin);
  void skipTrivia();
  Token lexIdentifier(size_t begin);
  /// The error for the non-ASCII byte at `pos` inside the name that starts
  /// at `nameBegin`; `sigil` is "%" or "@" for names that may be quoted.
  Token nameError(size_t nameBegin, size_t pos, llvm::StringRef what,
                  llvm::StringRef sigil);
  Token lexNumber(size_t begin);
  Token lexSigil(size_t begin);
  /// Decodes the string literal opening at `pos`; on success `pos` is past
  /// the closing quote, on failure `error` is set.
  bool lexString(size_t &pos, std::string &out, std::string &error,
                 size_t &errorPos);
  void advanceTo(size_t pos);
  unsigned colOf(size_t pos) const { return unsigned(pos - curLineStart) + 1; }

  llvm::StringRef buf;
  size_t cur = 0;
  unsigned curLine = 1;
  size_t curLineStart = 0;
};

/// Whether `name` may follow '@' unquoted: [A-Za-z_][A-Za-z0-9_.$-]*.
bool isBareIdentifier(llvm::StringRef name);
/// Whether a tensor called `name` may follow '%' unquoted: the characters
/// [A-Za-z0-9_.$-], at least one, and not all digits (that means anonymous).
bool isBareTensorName(llvm::StringRef name);
/// `"..."` with quotes, backslashes, control bytes and invalid UTF-8
/// escaped, so the lexer decodes it back to exactly `s`.
std::string quoteString(llvm::StringRef s);

} // namespace einsum

#endif // EINSUM_IR_LEXER_H
