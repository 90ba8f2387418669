//===- EpilogueParser.cpp - Text to epilogue trees ------------------------===//
//
// Recursive descent over the grammar in docs/ir-reference.md, one function
// per precedence level. Each result remembers whether it is a comparison
// (and where its operator is), so a comparison used as a number, or a number
// used as select's condition, is reported at the column where it happens.
// A minus before a literal folds into it: `-2` is the number -2, as printed.
//
//===----------------------------------------------------------------------===//
#include "ir/Diagnostic.h"
#include "ir/Epilogue.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>

namespace einsum {

namespace {

struct Parsed {
  EpilogueExpr expr;
  /// Levels of the tree: bounded, since printing, checking and even
  /// destroying an expression recurse once per level.
  unsigned height = 1;
  /// For a comparison, the 1-based column of its operator; 0 for numbers.
  size_t cmpCol = 0;
};

class EpilogueParser {
public:
  explicit EpilogueParser(llvm::StringRef text) : text(text) {}

  llvm::Expected<Epilogue> run() {
    std::optional<Parsed> p = parseExpr();
    if (p && requireNumber(*p)) {
      skipSpace();
      if (pos == text.size())
        return Epilogue(std::move(p->expr));
      fail(pos, "unexpected " + describeAt(pos));
    }
    // A hostile expression can be megabytes long: quote its start only.
    std::string quoted =
        text.size() <= 80 ? text.str() : text.take_front(60).str() + "...";
    return makeError(fmt::format("epilogue '{}': {}", quoted, error));
  }

private:
  //===--- Characters and errors ------------------------------------------===//

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
      ++pos;
  }
  char peek() {
    skipSpace();
    return pos < text.size() ? text[pos] : '\0';
  }
  bool consume(llvm::StringRef s) {
    skipSpace();
    if (!text.substr(pos).starts_with(s))
      return false;
    pos += s.size();
    return true;
  }

  static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
  static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

  /// The token at `at`, quoted, for messages.
  std::string describeAt(size_t at) const {
    if (at >= text.size())
      return "end of expression";
    char c = text[at];
    size_t end = at + 1;
    if (isIdentStart(c) || llvm::isDigit(c))
      while (end < text.size() && (isIdentChar(text[end]) || text[end] == '.'))
        ++end;
    if (!llvm::isPrint(c))
      return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
    return "'" + text.slice(at, end).str() + "'";
  }

  /// Records the first error only: later ones follow from it.
  void fail(size_t at, llvm::StringRef message) {
    if (error.empty())
      error = fmt::format("{} at column {}", message.str(), at + 1);
  }
  bool expect(llvm::StringRef s, llvm::StringRef context = "") {
    if (consume(s))
      return true;
    fail(pos, fmt::format("expected '{}'{} but found {}", s.str(),
                          context.str(), describeAt(pos)));
    return false;
  }

  bool requireNumber(const Parsed &p) {
    if (!p.cmpCol)
      return true;
    fail(p.cmpCol - 1,
         fmt::format("comparison '{}' is only allowed as the condition of "
                     "select",
                     epilogueOpSpelling(p.expr.op).str()));
    return false;
  }

  static Parsed combine(EpilogueOp op, std::vector<Parsed> args,
                        size_t cmpCol = 0) {
    Parsed p;
    p.expr.op = op;
    for (Parsed &a : args) {
      p.height = std::max(p.height, a.height + 1);
      p.expr.children.push_back(std::move(a.expr));
    }
    p.cmpCol = cmpCol;
    return p;
  }

  /// Refuses a tree deeper than Epilogue::kMaxDepth before it grows further.
  std::optional<Parsed> bounded(Parsed p) {
    if (p.height <= Epilogue::kMaxDepth)
      return p;
    fail(pos, fmt::format("expression nested more than {} levels deep",
                          Epilogue::kMaxDepth));
    return std::nullopt;
  }

  //===--- Grammar --------------------------------------------------------===//

  std::optional<Parsed> parseExpr() {
    // Parentheses, call arguments and indices recurse through here.
    if (nesting >= Epilogue::kMaxDepth) {
      fail(pos, fmt::format("expression nested more than {} levels deep",
                            Epilogue::kMaxDepth));
      return std::nullopt;
    }
    ++nesting;
    std::optional<Parsed> p = parseCmp();
    --nesting;
    return p;
  }

  /// The longest spelling of `form` at the cursor, consumed.
  std::optional<EpilogueOp> operatorOf(EpilogueForm form) {
    std::optional<EpilogueOp> best;
    for (EpilogueOp op : epilogueOpsOfForm(form))
      if (text.substr(pos).starts_with(epilogueOpSpelling(op)) &&
          (!best ||
           epilogueOpSpelling(op).size() > epilogueOpSpelling(*best).size()))
        best = op;
    if (best)
      pos += epilogueOpSpelling(*best).size();
    return best;
  }

  std::optional<EpilogueOp> comparisonOp() {
    return operatorOf(EpilogueForm::Compare);
  }

  std::optional<Parsed> parseCmp() {
    std::optional<Parsed> lhs = parseSum();
    if (!lhs)
      return std::nullopt;
    skipSpace();
    size_t opPos = pos;
    std::optional<EpilogueOp> op = comparisonOp();
    if (!op)
      return lhs;
    if (!requireNumber(*lhs))
      return std::nullopt;
    std::optional<Parsed> rhs = parseSum();
    if (!rhs || !requireNumber(*rhs))
      return std::nullopt;
    return bounded(combine(*op, {std::move(*lhs), std::move(*rhs)}, opPos + 1));
  }

  /// One left-associative level: operands from `next`, joined by the
  /// operators of `form`.
  template <typename Next>
  std::optional<Parsed> parseLevel(Next next, EpilogueForm form) {
    std::optional<Parsed> lhs = (this->*next)();
    while (lhs) {
      skipSpace();
      std::optional<EpilogueOp> op = operatorOf(form);
      if (!op)
        return lhs;
      if (!requireNumber(*lhs))
        return std::nullopt;
      std::optional<Parsed> rhs = (this->*next)();
      if (!rhs || !requireNumber(*rhs))
        return std::nullopt;
      lhs = bounded(combine(*op, {std::move(*lhs), std::move(*rhs)}));
    }
    return std::nullopt;
  }

  std::optional<Parsed> parseSum() {
    return parseLevel(&EpilogueParser::parseProd, EpilogueForm::Sum);
  }

  std::optional<Parsed> parseProd() {
    return parseLevel(&EpilogueParser::parseUnary, EpilogueForm::Product);
  }

  std::optional<Parsed> parseUnary() {
    if (!consume("-"))
      return parseAtom();
    if (++unaryRun > Epilogue::kMaxDepth) {
      fail(pos, fmt::format("expression nested more than {} levels deep",
                            Epilogue::kMaxDepth));
      return std::nullopt;
    }
    std::optional<Parsed> operand = parseUnary();
    --unaryRun;
    if (!operand || !requireNumber(*operand))
      return std::nullopt;
    if (operand->expr.op == EpilogueOp::Number) {
      operand->expr.value = -operand->expr.value;
      return operand;
    }
    return bounded(combine(EpilogueOp::Neg, {std::move(*operand)}));
  }

  std::optional<Parsed> parseAtom() {
    char c = peek();
    if (llvm::isDigit(c))
      return parseNumber();
    if (c == '$')
      return parseOperand();
    if (c == '?')
      return parseSymbol();
    if (c == '(') {
      ++pos;
      std::optional<Parsed> inner = parseExpr();
      if (!inner || !expect(")"))
        return std::nullopt;
      return inner;
    }
    if (!isIdentStart(c)) {
      fail(pos, "unexpected " + describeAt(pos));
      return std::nullopt;
    }
    size_t start = pos;
    while (pos < text.size() && isIdentChar(text[pos]))
      ++pos;
    llvm::StringRef name = text.slice(start, pos);
    Parsed p;
    if (name == "acc") {
      p.expr.op = EpilogueOp::Acc;
      return p;
    }
    if (name == "inf") {
      p.expr.op = EpilogueOp::Number;
      p.expr.value = INFINITY;
      return p;
    }
    if (peek() == '(')
      return parseCall(name, start);
    if (name.size() == 1 && llvm::isAlpha(name[0])) {
      p.expr.op = EpilogueOp::Label;
      p.expr.label = name[0];
      return p;
    }
    fail(start, fmt::format("unknown name '{}'", name.str()));
    return std::nullopt;
  }

  std::optional<Parsed> parseNumber() {
    size_t start = pos;
    while (pos < text.size() && llvm::isDigit(text[pos]))
      ++pos;
    if (pos < text.size() && text[pos] == '.')
      for (++pos; pos < text.size() && llvm::isDigit(text[pos]);)
        ++pos;
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      size_t digits = pos + 1;
      if (digits < text.size() && (text[digits] == '+' || text[digits] == '-'))
        ++digits;
      if (digits >= text.size() || !llvm::isDigit(text[digits])) {
        fail(start, fmt::format("malformed number {}", describeAt(start)));
        return std::nullopt;
      }
      for (pos = digits; pos < text.size() && llvm::isDigit(text[pos]);)
        ++pos;
    }
    llvm::StringRef literal = text.slice(start, pos);
    Parsed p;
    p.expr.op = EpilogueOp::Number;
    auto [end, ec] =
        std::from_chars(literal.begin(), literal.end(), p.expr.value);
    if (ec != std::errc() || end != literal.end()) {
      fail(start, fmt::format("number '{}' is out of range", literal.str()));
      return std::nullopt;
    }
    return p;
  }

  std::optional<Parsed> parseSymbol() {
    size_t start = pos++;
    while (pos < text.size() && (llvm::isAlnum(text[pos]) || text[pos] == '_'))
      ++pos;
    llvm::StringRef name = text.slice(start + 1, pos);
    if (!isSymbolName(name)) {
      fail(start + 1,
           "expected a size symbol name after '?' but found " +
               describeAt(start + 1));
      return std::nullopt;
    }
    Parsed p;
    p.expr.op = EpilogueOp::Symbol;
    p.expr.size = symbolSize(name);
    return p;
  }

  std::optional<Parsed> parseOperand() {
    size_t start = pos++;
    size_t digits = pos;
    while (pos < text.size() && llvm::isDigit(text[pos]))
      ++pos;
    if (pos == digits) {
      fail(pos,
           "expected an operand number after '$' but found " + describeAt(pos));
      return std::nullopt;
    }
    llvm::StringRef number = text.slice(digits, pos);
    Parsed p;
    p.expr.op = EpilogueOp::Operand;
    // Far more operands than any node has; keeps the index in range.
    if (number.size() > 6 || number.getAsInteger(10, p.expr.operand)) {
      fail(start, fmt::format("operand number ${} is too large", number.str()));
      return std::nullopt;
    }
    if (!expect("[", fmt::format(" after '${}'", number.str())))
      return std::nullopt;
    if (consume("]"))
      return p;
    // Whether an index is a valid integer expression is check()'s to say;
    // the grammar only keeps comparisons out.
    while (true) {
      std::optional<Parsed> index = parseExpr();
      if (!index || !requireNumber(*index))
        return std::nullopt;
      p.height = std::max(p.height, index->height + 1);
      p.expr.children.push_back(std::move(index->expr));
      if (consume("]"))
        return bounded(std::move(p));
      if (!expect(",", " or ']'"))
        return std::nullopt;
    }
  }

  std::optional<Parsed> parseCall(llvm::StringRef name, size_t start) {
    llvm::ArrayRef<EpilogueOp> fns = epilogueOpsOfForm(EpilogueForm::Call);
    auto fn = llvm::find_if(
        fns, [&](EpilogueOp f) { return epilogueOpSpelling(f) == name; });
    if (fn == fns.end()) {
      fail(start, fmt::format("unknown function '{}'", name.str()));
      return std::nullopt;
    }
    EpilogueOp op = *fn;
    consume("(");
    std::vector<Parsed> args;
    while (true) {
      skipSpace();
      size_t argPos = pos;
      std::optional<Parsed> arg = parseExpr();
      if (!arg)
        return std::nullopt;
      bool wantCondition = op == EpilogueOp::Select && args.empty();
      if (wantCondition && !arg->cmpCol) {
        fail(argPos, "the condition of select must be a comparison");
        return std::nullopt;
      }
      if (!wantCondition && !requireNumber(*arg))
        return std::nullopt;
      args.push_back(std::move(*arg));
      if (consume(")"))
        break;
      if (!expect(",", " or ')'"))
        return std::nullopt;
    }
    size_t want = epilogueOpArity(op);
    if (args.size() != want) {
      fail(start, fmt::format("'{}' takes {} argument{}, got {}", name.str(),
                              want, want == 1 ? "" : "s", args.size()));
      return std::nullopt;
    }
    return bounded(combine(op, std::move(args)));
  }

  llvm::StringRef text;
  size_t pos = 0;
  std::string error;
  /// Recursion guards: open parentheses/calls/indices, and a run of '-'.
  unsigned nesting = 0, unaryRun = 0;
};

} // namespace

llvm::Expected<Epilogue> parseEpilogue(llvm::StringRef text) {
  return EpilogueParser(text).run();
}

} // namespace einsum
