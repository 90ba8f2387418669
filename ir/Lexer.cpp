//===- Lexer.cpp - Tokens of the textual IR -------------------------------===//
#include "ir/Lexer.h"
#include "ir/Size.h"

#include "ir/Diagnostic.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"

#include <fmt/format.h>

namespace einsum {

/// Longer lines keep no text in their locations (see Lexer::lineText).
static constexpr size_t kMaxLineText = 4096;

static bool isDigit(char c) { return c >= '0' && c <= '9'; }
static bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool isIdentStart(char c) { return isAlpha(c) || c == '_'; }
static bool isNameChar(char c) {
  return isAlpha(c) || isDigit(c) || c == '_' || c == '.' || c == '$' ||
         c == '-';
}
static int hexValue(char c) {
  if (isDigit(c))
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// The length of the valid UTF-8 sequence at `p`, or 0 if it is invalid.
static unsigned utf8Length(const char *p, const char *end) {
  auto *u = reinterpret_cast<const llvm::UTF8 *>(p);
  unsigned n = llvm::getNumBytesForUTF8(*u);
  if (n == 0 || n > size_t(end - p) || !llvm::isLegalUTF8Sequence(u, u + n))
    return 0;
  return n;
}

/// Describes a byte that cannot start a token.
static std::string describeInvalid(llvm::StringRef rest) {
  auto c = static_cast<unsigned char>(rest.front());
  if (c < 0x20 || c == 0x7f)
    return fmt::format("invalid character 0x{:02X}", c);
  if (c < 0x80)
    return fmt::format("invalid character '{}'", char(c));
  unsigned n = utf8Length(rest.data(), rest.data() + rest.size());
  if (n == 0)
    return fmt::format("invalid character: byte 0x{:02X} is not UTF-8", c);
  llvm::UTF32 cp = 0;
  const auto *src = reinterpret_cast<const llvm::UTF8 *>(rest.data());
  llvm::UTF32 *dst = &cp;
  llvm::ConvertUTF8toUTF32(&src, src + n, &dst, dst + 1,
                           llvm::strictConversion);
  return fmt::format("invalid character U+{:04X}", unsigned(cp));
}

void Lexer::advanceTo(size_t pos) {
  for (; cur < pos; ++cur)
    if (buf[cur] == '\n') {
      ++curLine;
      curLineStart = cur + 1;
    }
}

void Lexer::skipTrivia() {
  while (cur < buf.size()) {
    char c = buf[cur];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advanceTo(cur + 1);
    } else if (c == '/' && cur + 1 < buf.size() && buf[cur + 1] == '/') {
      size_t eol = buf.find('\n', cur);
      advanceTo(eol == llvm::StringRef::npos ? buf.size() : eol);
    } else {
      return;
    }
  }
}

Token Lexer::makeToken(TokenKind kind, size_t begin) {
  Token t;
  t.kind = kind;
  t.spelling = buf.slice(begin, cur);
  t.line = curLine;
  t.col = colOf(begin);
  t.lineStart = curLineStart;
  return t;
}

Token Lexer::errorToken(std::string message, size_t begin) {
  // Point at the offending byte and stay there: the parser stops at the
  // first error, and not consuming anything cannot loop past the end.
  Token t;
  t.kind = TokenKind::Error;
  t.spelling = buf.slice(begin, begin + 1);
  t.value = std::move(message);
  t.line = curLine;
  t.col = colOf(begin);
  t.lineStart = curLineStart;
  return t;
}

Token Lexer::next() {
  skipTrivia();
  size_t begin = cur;
  if (cur == buf.size())
    return makeToken(TokenKind::Eof, begin);
  char c = buf[cur];
  auto single = [&](TokenKind kind) {
    ++cur;
    return makeToken(kind, begin);
  };
  switch (c) {
  case '(':
    return single(TokenKind::LParen);
  case ')':
    return single(TokenKind::RParen);
  case '{':
    return single(TokenKind::LBrace);
  case '}':
    return single(TokenKind::RBrace);
  case '[':
    return single(TokenKind::LSquare);
  case ']':
    return single(TokenKind::RSquare);
  case ',':
    return single(TokenKind::Comma);
  case ':':
    return single(TokenKind::Colon);
  case '=':
    return single(TokenKind::Equal);
  case '%':
  case '@':
    return lexSigil(begin);
  case '+':
    return single(TokenKind::Plus);
  case '*':
    return single(TokenKind::Star);
  case '?': {
    size_t pos = cur + 1;
    while (pos < buf.size() && (llvm::isAlnum(buf[pos]) || buf[pos] == '_'))
      ++pos;
    llvm::StringRef name = buf.slice(cur + 1, pos);
    if (!isSymbolName(name))
      return errorToken("expected a size symbol name such as ?s after '?'",
                        begin);
    cur = pos;
    Token t = makeToken(TokenKind::Symbol, begin);
    t.value = name.str();
    return t;
  }
  case '"': {
    std::string value, error;
    size_t pos = cur, errorPos = 0;
    if (!lexString(pos, value, error, errorPos))
      return errorToken(std::move(error), errorPos);
    cur = pos;
    Token t = makeToken(TokenKind::String, begin);
    t.value = std::move(value);
    return t;
  }
  case '-':
    if (cur + 1 < buf.size() && isDigit(buf[cur + 1]))
      return lexNumber(begin);
    return single(TokenKind::Minus);
  default:
    break;
  }
  if (isDigit(c))
    return lexNumber(begin);
  if (isIdentStart(c))
    return lexIdentifier(begin);
  return errorToken(describeInvalid(buf.substr(cur)), begin);
}

Token Lexer::lexIdentifier(size_t begin) {
  while (cur < buf.size() && isNameChar(buf[cur]))
    ++cur;
  if (cur < buf.size() && static_cast<unsigned char>(buf[cur]) >= 0x80)
    return nameError(begin, cur, "identifier", "");
  return makeToken(TokenKind::Identifier, begin);
}

Token Lexer::nameError(size_t nameBegin, size_t pos, llvm::StringRef what,
                       llvm::StringRef sigil) {
  // Without this the name would end before the byte and be reported as an
  // unknown op or an undefined tensor, hiding what is actually wrong.
  auto c = static_cast<unsigned char>(buf[pos]);
  unsigned n = utf8Length(buf.data() + pos, buf.data() + buf.size());
  std::string message =
      n == 0 ? fmt::format("invalid UTF-8 in {}: byte 0x{:02X}", what.str(), c)
             : describeInvalid(buf.substr(pos)) + " in " + what.str();
  if (!sigil.empty()) {
    // The whole run of name bytes, as the quoted form that would hold it.
    size_t end = pos;
    while (end < buf.size() && (isNameChar(buf[end]) ||
                                static_cast<unsigned char>(buf[end]) >= 0x80))
      ++end;
    llvm::StringRef name = buf.slice(nameBegin, end);
    if (name.size() <= 40)
      message += fmt::format("; {}, as in {}{}",
                             n == 0 ? "quote the name and write the byte as "
                                      "an escape"
                                    : "quote names that are not ASCII",
                             sigil.str(), quoteString(name));
  }
  cur = pos;
  return errorToken(std::move(message), pos);
}

Token Lexer::lexNumber(size_t begin) {
  auto digits = [&] {
    while (cur < buf.size() && isDigit(buf[cur]))
      ++cur;
  };
  bool isFloat = false;
  if (buf[cur] == '-')
    ++cur;
  digits();
  if (cur < buf.size() && buf[cur] == '.') {
    isFloat = true;
    ++cur;
    digits();
  }
  if (cur < buf.size() && (buf[cur] == 'e' || buf[cur] == 'E')) {
    size_t p = cur + 1;
    if (p < buf.size() && (buf[p] == '+' || buf[p] == '-'))
      ++p;
    if (p < buf.size() && isDigit(buf[p])) {
      isFloat = true;
      cur = p;
      digits();
    }
  }
  // `2x3` or `1.2.3` is one bad literal, not a number followed by a name.
  if (cur < buf.size() && isNameChar(buf[cur]) && buf[cur] != '-') {
    while (cur < buf.size() && isNameChar(buf[cur]) && buf[cur] != '-')
      ++cur;
    std::string msg =
        fmt::format("invalid number literal '{}'", buf.slice(begin, cur).str());
    cur = begin;
    return errorToken(std::move(msg), begin);
  }
  return makeToken(isFloat ? TokenKind::Float : TokenKind::Integer, begin);
}

Token Lexer::lexSigil(size_t begin) {
  bool isTensor = buf[cur] == '%';
  size_t pos = cur + 1;
  std::string value;
  bool quoted = false;
  if (pos < buf.size() && buf[pos] == '"') {
    std::string error;
    size_t errorPos = 0;
    if (!lexString(pos, value, error, errorPos))
      return errorToken(std::move(error), errorPos);
    quoted = true;
    if (isTensor && value.empty())
      return errorToken("tensor name must not be empty", begin);
  } else {
    size_t start = pos;
    bool ok = pos < buf.size() &&
              (isTensor ? isNameChar(buf[pos]) : isIdentStart(buf[pos]));
    while (ok && pos < buf.size() && isNameChar(buf[pos]))
      ++pos;
    if (pos < buf.size() && static_cast<unsigned char>(buf[pos]) >= 0x80)
      return nameError(start, pos, isTensor ? "tensor name" : "graph name",
                       isTensor ? "%" : "@");
    if (!ok)
      return errorToken(isTensor ? "expected a tensor name after '%'"
                                 : "expected a graph name after '@'",
                        begin);
    value = buf.slice(start, pos).str();
  }
  cur = pos;
  Token t =
      makeToken(isTensor ? TokenKind::TensorName : TokenKind::GraphName, begin);
  t.value = std::move(value);
  t.quoted = quoted;
  return t;
}

bool Lexer::lexString(size_t &pos, std::string &out, std::string &error,
                      size_t &errorPos) {
  size_t open = pos;
  ++pos;
  while (true) {
    if (pos >= buf.size() || buf[pos] == '\n' || buf[pos] == '\r') {
      error = "unterminated string";
      errorPos = open;
      return false;
    }
    char c = buf[pos];
    if (c == '"') {
      ++pos;
      return true;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Raw bytes must be text; others are written as escapes, which is
      // also how the printer writes them.
      unsigned n = utf8Length(buf.data() + pos, buf.data() + buf.size());
      if (n == 0) {
        error = fmt::format("invalid UTF-8 in string: byte 0x{:02X}; write "
                            "bytes that are not text as escapes such as "
                            "\\{:02X}",
                            unsigned(uint8_t(c)), unsigned(uint8_t(c)));
        errorPos = pos;
        return false;
      }
      out.append(buf.data() + pos, n);
      pos += n;
      continue;
    }
    if (c != '\\') {
      out += c;
      ++pos;
      continue;
    }
    char e = pos + 1 < buf.size() ? buf[pos + 1] : '\n';
    if (e == '\n' || e == '\r') {
      error = "unterminated string";
      errorPos = open;
      return false;
    }
    int hi = hexValue(e);
    int lo = pos + 2 < buf.size() ? hexValue(buf[pos + 2]) : -1;
    if (e == '"' || e == '\\') {
      out += e;
      pos += 2;
    } else if (e == 'n') {
      out += '\n';
      pos += 2;
    } else if (e == 't') {
      out += '\t';
      pos += 2;
    } else if (hi >= 0 && lo >= 0) {
      out += char(hi * 16 + lo);
      pos += 3;
    } else {
      std::string shown = static_cast<unsigned char>(e) >= 0x20 &&
                                  static_cast<unsigned char>(e) < 0x7f
                              ? std::string(1, e)
                              : fmt::format("x{:02X}", unsigned(uint8_t(e)));
      error = fmt::format("invalid escape '\\{}' in string; use \\\", \\\\, "
                          "\\n, \\t or two hex digits",
                          shown);
      errorPos = pos;
      return false;
    }
  }
}

llvm::StringRef Lexer::lineText(size_t lineStart) const {
  llvm::StringRef rest = buf.substr(lineStart, kMaxLineText + 1);
  size_t eol = rest.find('\n');
  if (eol == llvm::StringRef::npos) {
    if (rest.size() > kMaxLineText)
      return {};
    eol = rest.size();
  }
  llvm::StringRef line = rest.take_front(eol);
  if (line.ends_with("\r"))
    line = line.drop_back();
  return line;
}

//===--- Spelling ---------------------------------------------------------===//

bool isBareIdentifier(llvm::StringRef name) {
  if (name.empty() || !isIdentStart(name.front()))
    return false;
  return llvm::all_of(name, isNameChar);
}

bool isBareTensorName(llvm::StringRef name) {
  return !name.empty() && llvm::all_of(name, isNameChar) &&
         !llvm::all_of(name, isDigit);
}

std::string quoteString(llvm::StringRef s) {
  std::string out = "\"";
  const char *p = s.data(), *end = s.data() + s.size();
  while (p < end) {
    auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\{:02X}", c);
    } else if (c >= 0x80) {
      // Valid UTF-8 stays readable; stray bytes are escaped so the file
      // itself remains valid UTF-8, and so are C1 controls (U+0080 to
      // U+009F), which a terminal showing the file would obey.
      unsigned n = utf8Length(p, end);
      if (n == 0 || !isTerminalText(llvm::StringRef(p, n))) {
        out += fmt::format("\\{:02X}", c);
      } else {
        out.append(p, n);
        p += n;
        continue;
      }
    } else {
      out += char(c);
    }
    ++p;
  }
  return out + "\"";
}

} // namespace einsum
