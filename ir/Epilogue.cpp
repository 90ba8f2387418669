//===- Epilogue.cpp - Construction, printing, checks, transforms ----------===//
#include "ir/Epilogue.h"

#include "ir/Attribute.h"
#include "ir/Diagnostic.h"

#include <fmt/format.h>

#include <bit>
#include <cassert>
#include <cmath>

namespace einsum {

llvm::StringRef epilogueOpSpelling(EpilogueOp op) {
  switch (op) {
  case EpilogueOp::Number:
    return "number";
  case EpilogueOp::Acc:
    return "acc";
  case EpilogueOp::Label:
    return "label";
  case EpilogueOp::Operand:
    return "operand";
  case EpilogueOp::Neg:
  case EpilogueOp::Sub:
    return "-";
  case EpilogueOp::Add:
    return "+";
  case EpilogueOp::Mul:
    return "*";
  case EpilogueOp::Div:
    return "/";
  case EpilogueOp::Lt:
    return "<";
  case EpilogueOp::Le:
    return "<=";
  case EpilogueOp::Gt:
    return ">";
  case EpilogueOp::Ge:
    return ">=";
  case EpilogueOp::Eq:
    return "==";
  case EpilogueOp::Ne:
    return "!=";
  case EpilogueOp::Abs:
    return "abs";
  case EpilogueOp::Exp:
    return "exp";
  case EpilogueOp::Log:
    return "log";
  case EpilogueOp::Sqrt:
    return "sqrt";
  case EpilogueOp::Min:
    return "min";
  case EpilogueOp::Max:
    return "max";
  case EpilogueOp::Select:
    return "select";
  }
  return "?";
}

bool isComparison(EpilogueOp op) {
  return op >= EpilogueOp::Lt && op <= EpilogueOp::Ne;
}

bool isCall(EpilogueOp op) {
  return op >= EpilogueOp::Abs && op <= EpilogueOp::Select;
}

/// How many children a node of `op` has.
static unsigned arity(EpilogueOp op) {
  if (op <= EpilogueOp::Operand)
    return 0;
  if (op == EpilogueOp::Neg ||
      (op >= EpilogueOp::Abs && op <= EpilogueOp::Sqrt))
    return 1;
  return op == EpilogueOp::Select ? 3 : 2;
}

bool EpilogueExpr::operator==(const EpilogueExpr &o) const {
  return op == o.op &&
         std::bit_cast<uint64_t>(value) == std::bit_cast<uint64_t>(o.value) &&
         label == o.label && operand == o.operand && indices == o.indices &&
         children == o.children;
}

//===--- Construction -----------------------------------------------------===//

static Epilogue node(EpilogueOp op, std::vector<Epilogue> args) {
  assert(args.size() == arity(op) && "wrong number of operands");
  EpilogueExpr e;
  e.op = op;
  for (Epilogue &a : args)
    e.children.push_back(a.root());
  return Epilogue(std::move(e));
}

Epilogue Epilogue::acc() { return Epilogue(); }

Epilogue Epilogue::constant(double value) {
  EpilogueExpr e;
  e.op = EpilogueOp::Number;
  e.value = value;
  return Epilogue(std::move(e));
}

Epilogue Epilogue::label(char c) {
  EpilogueExpr e;
  e.op = EpilogueOp::Label;
  e.label = c;
  return Epilogue(std::move(e));
}

Epilogue Epilogue::operand(unsigned index, llvm::StringRef labels) {
  EpilogueExpr e;
  e.op = EpilogueOp::Operand;
  e.operand = index;
  e.indices = labels.str();
  return Epilogue(std::move(e));
}

Epilogue Epilogue::binary(EpilogueOp op, Epilogue a, Epilogue b) {
  assert(
      ((op >= EpilogueOp::Add && op <= EpilogueOp::Div) || isComparison(op)) &&
      "not a binary operator");
  return node(op, {std::move(a), std::move(b)});
}

Epilogue Epilogue::neg(Epilogue a) {
  return node(EpilogueOp::Neg, {std::move(a)});
}

Epilogue Epilogue::call(EpilogueOp fn, std::vector<Epilogue> args) {
  assert(isCall(fn) && "not a function");
  return node(fn, std::move(args));
}

Epilogue Epilogue::select(Epilogue cond, Epilogue ifTrue, Epilogue ifFalse) {
  return node(EpilogueOp::Select,
              {std::move(cond), std::move(ifTrue), std::move(ifFalse)});
}

Epilogue operator+(Epilogue a, Epilogue b) {
  return Epilogue::binary(EpilogueOp::Add, std::move(a), std::move(b));
}
Epilogue operator-(Epilogue a, Epilogue b) {
  return Epilogue::binary(EpilogueOp::Sub, std::move(a), std::move(b));
}
Epilogue operator*(Epilogue a, Epilogue b) {
  return Epilogue::binary(EpilogueOp::Mul, std::move(a), std::move(b));
}
Epilogue operator/(Epilogue a, Epilogue b) {
  return Epilogue::binary(EpilogueOp::Div, std::move(a), std::move(b));
}
Epilogue operator-(Epilogue a) { return Epilogue::neg(std::move(a)); }

//===--- Printing ---------------------------------------------------------===//

// Binding strength, loosest first; an operand binding more loosely than its
// context needs parentheses.
enum Prec { CmpPrec = 1, SumPrec, ProdPrec, UnaryPrec, AtomPrec };

static bool printsNegative(const EpilogueExpr &e) {
  return e.op == EpilogueOp::Number && std::signbit(e.value) &&
         !std::isnan(e.value);
}

static int precedence(const EpilogueExpr &e) {
  switch (e.op) {
  case EpilogueOp::Number:
    return printsNegative(e) ? UnaryPrec : AtomPrec;
  case EpilogueOp::Neg:
    return UnaryPrec;
  case EpilogueOp::Add:
  case EpilogueOp::Sub:
    return SumPrec;
  case EpilogueOp::Mul:
  case EpilogueOp::Div:
    return ProdPrec;
  default:
    return isComparison(e.op) ? CmpPrec : AtomPrec;
  }
}

static std::string formatNumber(double v) {
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  // Integers print as integers while every integer is exact (2^53).
  if (v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0)
    return std::signbit(v) && v == 0 ? "-0" : std::to_string(int64_t(v));
  return formatFloat(v);
}

static void print(const EpilogueExpr &e, int minPrec, std::string &out);

static void printRaw(const EpilogueExpr &e, std::string &out) {
  switch (e.op) {
  case EpilogueOp::Number:
    out += formatNumber(e.value);
    return;
  case EpilogueOp::Acc:
    out += "acc";
    return;
  case EpilogueOp::Label:
    out += e.label;
    return;
  case EpilogueOp::Operand:
    out += fmt::format("${}[", e.operand);
    for (size_t i = 0; i < e.indices.size(); ++i)
      (out += i ? "," : "") += e.indices[i];
    out += ']';
    return;
  case EpilogueOp::Neg:
    out += '-';
    // `-(-x)` rather than `--x`, and `-(a * b)` keeps its tree.
    print(e.children[0], AtomPrec, out);
    return;
  default:
    break;
  }
  if (isCall(e.op)) {
    out += epilogueOpSpelling(e.op);
    out += '(';
    for (size_t i = 0; i < e.children.size(); ++i) {
      out += i ? ", " : "";
      print(e.children[i], 0, out);
    }
    out += ')';
    return;
  }
  // Binary operators are left-associative: the right operand must bind
  // strictly tighter, so `a - (b - c)` keeps its parentheses.
  int p = precedence(e);
  bool cmp = p == CmpPrec;
  print(e.children[0], cmp ? SumPrec : p, out);
  out += ' ';
  out += epilogueOpSpelling(e.op);
  out += ' ';
  print(e.children[1], cmp ? SumPrec : p + 1, out);
}

static void print(const EpilogueExpr &e, int minPrec, std::string &out) {
  bool parens = precedence(e) < minPrec;
  if (parens)
    out += '(';
  printRaw(e, out);
  if (parens)
    out += ')';
}

std::string Epilogue::str() const {
  std::string out;
  print(tree, 0, out);
  return out;
}

std::string canonicalEpilogueText(llvm::StringRef text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (!e) {
    llvm::consumeError(e.takeError());
    return text.str();
  }
  return e->str();
}

//===--- Queries ----------------------------------------------------------===//

static bool anyNode(const EpilogueExpr &e,
                    llvm::function_ref<bool(const EpilogueExpr &)> pred) {
  if (pred(e))
    return true;
  for (const EpilogueExpr &c : e.children)
    if (anyNode(c, pred))
      return true;
  return false;
}

bool Epilogue::isIdentity() const { return tree.op == EpilogueOp::Acc; }

bool Epilogue::usesAcc() const {
  return anyNode(tree,
                 [](const EpilogueExpr &e) { return e.op == EpilogueOp::Acc; });
}

bool Epilogue::usesLabel(char c) const {
  return anyNode(tree, [c](const EpilogueExpr &e) {
    return (e.op == EpilogueOp::Label && e.label == c) ||
           (e.op == EpilogueOp::Operand &&
            e.indices.find(c) != std::string::npos);
  });
}

unsigned Epilogue::operandCount() const {
  unsigned count = 0;
  anyNode(tree, [&](const EpilogueExpr &e) {
    if (e.op == EpilogueOp::Operand)
      count = std::max(count, e.operand + 1);
    return false;
  });
  return count;
}

//===--- Checks -----------------------------------------------------------===//

namespace {
/// Walks a tree that may have been built by hand, stopping at the first
/// problem.
class Checker {
public:
  Checker(llvm::StringRef labels, llvm::ArrayRef<TensorType> operandTypes,
          const std::map<char, int64_t> &labelSizes)
      : labels(labels), operandTypes(operandTypes), labelSizes(labelSizes) {}

  std::string run(const EpilogueExpr &e, bool wantCondition) {
    if (std::string msg = kindError(e, wantCondition); !msg.empty())
      return msg;
    if (e.children.size() != arity(e.op))
      return fmt::format("'{}' has {} operands; it takes {}",
                         epilogueOpSpelling(e.op).str(), e.children.size(),
                         arity(e.op));
    if (e.op == EpilogueOp::Number && std::isnan(e.value))
      return "constant nan is not allowed";
    if (e.op == EpilogueOp::Label)
      return labelError(e.label);
    if (e.op == EpilogueOp::Operand)
      return operandError(e);
    for (size_t i = 0; i < e.children.size(); ++i)
      if (std::string msg =
              run(e.children[i], e.op == EpilogueOp::Select && i == 0);
          !msg.empty())
        return msg;
    return "";
  }

private:
  static std::string kindError(const EpilogueExpr &e, bool wantCondition) {
    if (isComparison(e.op) && !wantCondition)
      return fmt::format(
          "comparison '{}' is only allowed as the condition of select",
          epilogueOpSpelling(e.op).str());
    if (!isComparison(e.op) && wantCondition)
      return "the condition of select must be a comparison";
    return "";
  }

  std::string labelError(char c) const {
    if (labels.find(c) != llvm::StringRef::npos)
      return "";
    if (labels.empty())
      return fmt::format("label '{}' is not a loop label: the node has none",
                         c);
    return fmt::format("label '{}' is not a loop label of the node (loop "
                       "labels: {})",
                       c, labels.str());
  }

  std::string operandError(const EpilogueExpr &e) const {
    size_t n = operandTypes.size();
    if (e.operand >= n)
      return fmt::format("operand ${} does not exist: the node has {} "
                         "epilogue operand{}",
                         e.operand, n, n == 1 ? "" : "s");
    const TensorType &t = operandTypes[e.operand];
    if (!isFloat(t.elementType()))
      return fmt::format("operand ${} has type {}; expected f32 or f64",
                         e.operand, t.str());
    if (e.indices.size() != t.rank())
      return fmt::format("operand ${} has type {} but is indexed by {} "
                         "label{}; expected {}",
                         e.operand, t.str(), e.indices.size(),
                         e.indices.size() == 1 ? "" : "s", t.rank());
    for (size_t d = 0; d < e.indices.size(); ++d) {
      char c = e.indices[d];
      if (std::string msg = labelError(c); !msg.empty())
        return msg;
      auto size = labelSizes.find(c);
      assert(size != labelSizes.end() && "loop label without a size");
      if (t.dim(d) != size->second && t.dim(d) != 1)
        return fmt::format("dimension {} of operand ${} ({}) is {} but label "
                           "'{}' has size {}; expected {} or 1",
                           d, e.operand, t.str(), t.dim(d), c, size->second,
                           size->second);
    }
    return "";
  }

  llvm::StringRef labels;
  llvm::ArrayRef<TensorType> operandTypes;
  const std::map<char, int64_t> &labelSizes;
};
} // namespace

llvm::Error Epilogue::check(llvm::StringRef labels,
                            llvm::ArrayRef<TensorType> operandTypes,
                            const std::map<char, int64_t> &labelSizes) const {
  std::string msg =
      Checker(labels, operandTypes, labelSizes).run(tree, /*cond=*/false);
  if (msg.empty())
    return llvm::Error::success();
  return makeError(fmt::format("epilogue '{}': {}", str(), msg));
}

//===--- Transforms -------------------------------------------------------===//

static void rewrite(EpilogueExpr &e,
                    llvm::function_ref<void(EpilogueExpr &)> f) {
  for (EpilogueExpr &c : e.children)
    rewrite(c, f);
  f(e);
}

Epilogue Epilogue::substituteAcc(const Epilogue &inner) const {
  EpilogueExpr e = tree;
  rewrite(e, [&](EpilogueExpr &n) {
    if (n.op == EpilogueOp::Acc)
      n = inner.tree;
  });
  return Epilogue(std::move(e));
}

Epilogue Epilogue::remapOperands(llvm::ArrayRef<unsigned> newIndex) const {
  EpilogueExpr e = tree;
  rewrite(e, [&](EpilogueExpr &n) {
    if (n.op != EpilogueOp::Operand)
      return;
    assert(n.operand < newIndex.size() && "operand without a new index");
    n.operand = newIndex[n.operand];
  });
  return Epilogue(std::move(e));
}

Epilogue Epilogue::renameLabels(const std::map<char, char> &renaming) const {
  auto renamed = [&](char c) {
    auto it = renaming.find(c);
    return it == renaming.end() ? c : it->second;
  };
  EpilogueExpr e = tree;
  rewrite(e, [&](EpilogueExpr &n) {
    if (n.op == EpilogueOp::Label)
      n.label = renamed(n.label);
    for (char &c : n.indices)
      c = renamed(c);
  });
  return Epilogue(std::move(e));
}

} // namespace einsum
