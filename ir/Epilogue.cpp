//===- Epilogue.cpp - Construction, printing, checks, transforms ----------===//
#include "ir/Epilogue.h"

#include "ir/Attribute.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>

#include <bit>
#include <cassert>
#include <cmath>

namespace einsum {

namespace {
struct OpRow {
  llvm::StringRef spelling;
  EpilogueForm form;
  unsigned arity;
};
} // namespace

static const OpRow kOps[] = {
#define EPILOGUE_OP(Id, Spelling, Form, Arity, GraphOp, Value)                 \
  {Spelling, EpilogueForm::Form, Arity},
#include "ir/EpilogueOps.def"
};

static const OpRow &row(EpilogueOp op) {
  assert(size_t(op) < std::size(kOps) && "not an epilogue op");
  return kOps[size_t(op)];
}

llvm::StringRef epilogueOpSpelling(EpilogueOp op) { return row(op).spelling; }
EpilogueForm epilogueOpForm(EpilogueOp op) { return row(op).form; }
unsigned epilogueOpArity(EpilogueOp op) { return row(op).arity; }

bool isComparison(EpilogueOp op) {
  return epilogueOpForm(op) == EpilogueForm::Compare;
}

bool isCall(EpilogueOp op) { return epilogueOpForm(op) == EpilogueForm::Call; }

llvm::ArrayRef<EpilogueOp> epilogueOpsOfForm(EpilogueForm form) {
  static const std::vector<std::vector<EpilogueOp>> byForm = [] {
    std::vector<std::vector<EpilogueOp>> v(size_t(EpilogueForm::Call) + 1);
    for (size_t i = 0; i < std::size(kOps); ++i)
      v[size_t(kOps[i].form)].push_back(EpilogueOp(i));
    return v;
  }();
  return byForm[size_t(form)];
}

bool EpilogueExpr::operator==(const EpilogueExpr &o) const {
  return op == o.op &&
         std::bit_cast<uint64_t>(value) == std::bit_cast<uint64_t>(o.value) &&
         label == o.label && operand == o.operand && size == o.size &&
         children == o.children;
}

//===--- Construction -----------------------------------------------------===//

static Epilogue node(EpilogueOp op, std::vector<Epilogue> args) {
  assert(args.size() == epilogueOpArity(op) && "wrong number of operands");
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

Epilogue Epilogue::size(int64_t s) {
  if (!isSymbolicSize(s))
    return constant(double(s));
  SizeExpr e = sizeExpr(s);
  std::optional<Epilogue> sum;
  for (const SizeTerm &t : e.terms) {
    EpilogueExpr leaf;
    leaf.op = EpilogueOp::Symbol;
    leaf.size = symbolSize(t.symbol);
    int64_t m = t.coefficient < 0 ? -t.coefficient : t.coefficient;
    Epilogue term(std::move(leaf));
    if (m != 1)
      term = constant(double(m)) * term;
    if (!sum)
      sum = t.coefficient < 0 ? -term : term;
    else
      sum = t.coefficient < 0 ? *sum - term : *sum + term;
  }
  if (e.constant > 0)
    sum = *sum + constant(double(e.constant));
  else if (e.constant < 0)
    sum = *sum - constant(double(-e.constant));
  return *sum;
}

Epilogue Epilogue::operand(unsigned index, llvm::StringRef labels) {
  std::vector<Epilogue> indices;
  for (char c : labels)
    indices.push_back(label(c));
  return operand(index, std::move(indices));
}

Epilogue Epilogue::operand(unsigned index, std::vector<Epilogue> indices) {
  EpilogueExpr e;
  e.op = EpilogueOp::Operand;
  e.operand = index;
  for (Epilogue &i : indices)
    e.children.push_back(std::move(i.tree));
  return Epilogue(std::move(e));
}

Epilogue Epilogue::binary(EpilogueOp op, Epilogue a, Epilogue b) {
  EpilogueForm form = epilogueOpForm(op);
  assert((form == EpilogueForm::Sum || form == EpilogueForm::Product ||
          form == EpilogueForm::Compare) &&
         "not a binary operator");
  (void)form;
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

Epilogue Epilogue::relBucket(Epilogue rel, int64_t numBuckets,
                             int64_t maxDistance, bool bidirectional) {
  return node(EpilogueOp::RelBucket,
              {std::move(rel), constant(double(numBuckets)),
               constant(double(maxDistance)), constant(bidirectional)});
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
  if (e.op == EpilogueOp::Number)
    return printsNegative(e) ? UnaryPrec : AtomPrec;
  switch (epilogueOpForm(e.op)) {
  case EpilogueForm::Prefix:
    return UnaryPrec;
  case EpilogueForm::Sum:
    return SumPrec;
  case EpilogueForm::Product:
    return ProdPrec;
  case EpilogueForm::Compare:
    return CmpPrec;
  case EpilogueForm::Leaf:
  case EpilogueForm::Call:
    return AtomPrec;
  }
  return AtomPrec;
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
  case EpilogueOp::Symbol:
    out += sizeStr(e.size);
    return;
  case EpilogueOp::Operand: {
    // Plain labels stay compact (`$0[h,i]`); computed indices are spaced
    // like call arguments (`$0[rel_bucket(j - i, 32, 128, 1), h]`).
    bool plain = llvm::all_of(e.children, [](const EpilogueExpr &c) {
      return c.op == EpilogueOp::Label;
    });
    out += fmt::format("${}[", e.operand);
    for (size_t i = 0; i < e.children.size(); ++i) {
      out += i ? (plain ? "," : ", ") : "";
      print(e.children[i], 0, out);
    }
    out += ']';
    return;
  }
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

static unsigned depthOf(const EpilogueExpr &e) {
  unsigned d = 0;
  for (const EpilogueExpr &c : e.children)
    d = std::max(d, depthOf(c));
  return d + 1;
}

unsigned Epilogue::depth() const { return depthOf(tree); }

bool Epilogue::usesAcc() const {
  return anyNode(tree,
                 [](const EpilogueExpr &e) { return e.op == EpilogueOp::Acc; });
}

bool Epilogue::usesLabel(char c) const {
  // Operand indices are child expressions, so this finds them too.
  return anyNode(tree, [c](const EpilogueExpr &e) {
    return e.op == EpilogueOp::Label && e.label == c;
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

void Epilogue::collectSymbols(std::set<std::string> &out) const {
  anyNode(tree, [&](const EpilogueExpr &e) {
    if (e.op == EpilogueOp::Symbol)
      einsum::collectSymbols(e.size, out);
    return false;
  });
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
    // Operand indices are children: their labels are renamed here too.
    if (n.op == EpilogueOp::Label)
      n.label = renamed(n.label);
  });
  return Epilogue(std::move(e));
}

llvm::Expected<Epilogue> Epilogue::substituteSymbols(
    const std::map<std::string, int64_t> &bindings) const {
  EpilogueExpr e = tree;
  llvm::Error err = llvm::Error::success();
  rewrite(e, [&](EpilogueExpr &n) {
    if (n.op != EpilogueOp::Symbol || err)
      return;
    llvm::Expected<int64_t> v = evaluateSize(n.size, bindings);
    if (!v) {
      err = v.takeError();
      return;
    }
    n = EpilogueExpr();
    n.op = EpilogueOp::Number;
    n.value = double(*v);
  });
  if (err)
    return std::move(err);
  return Epilogue(std::move(e));
}

} // namespace einsum
