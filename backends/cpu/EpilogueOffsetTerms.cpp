//===- EpilogueOffsetTerms.cpp - Epilogue parts over j - i ----------------===//
//
// A node reads the row and column only through their difference when it
// reads neither, when it is a linear form whose row and column
// coefficients cancel, or when every child does (an operation, a call, an
// operand read at such indices is a function of its children). A label
// alone satisfies none of these: in `(j - i) + j` the first child passes
// and the second does not.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/EpilogueOffsetTerms.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <optional>

namespace einsum {

namespace {

/// The coefficients of `row` and `col` in a linear form of labels and
/// integer constants (other labels may appear with any coefficient).
struct Coefficients {
  int64_t row = 0, col = 0;
};

std::optional<Coefficients> linear(const EpilogueExpr &e, char row, char col) {
  switch (e.op) {
  case EpilogueOp::Number:
    // Integers keep the value-context form exact in floating point, so it
    // does not matter at which (i, j) of a given difference it is computed.
    if (e.value != std::trunc(e.value))
      return std::nullopt;
    return Coefficients{};
  case EpilogueOp::Label:
    return Coefficients{e.label == row, e.label == col};
  case EpilogueOp::Neg: {
    std::optional<Coefficients> x = linear(e.children[0], row, col);
    if (!x)
      return std::nullopt;
    return Coefficients{-x->row, -x->col};
  }
  case EpilogueOp::Add:
  case EpilogueOp::Sub: {
    std::optional<Coefficients> a = linear(e.children[0], row, col),
                                b = linear(e.children[1], row, col);
    if (!a || !b)
      return std::nullopt;
    int64_t s = e.op == EpilogueOp::Add ? 1 : -1;
    return Coefficients{a->row + s * b->row, a->col + s * b->col};
  }
  default:
    return std::nullopt;
  }
}

bool readsLabel(const EpilogueExpr &e, char row, char col) {
  if (e.op == EpilogueOp::Label)
    return e.label == row || e.label == col;
  return llvm::any_of(e.children, [&](const EpilogueExpr &c) {
    return readsLabel(c, row, col);
  });
}

bool usesAcc(const EpilogueExpr &e) {
  return e.op == EpilogueOp::Acc ||
         llvm::any_of(e.children,
                      [](const EpilogueExpr &c) { return usesAcc(c); });
}

bool gathers(const EpilogueExpr &e, char col, bool inIndex,
             llvm::ArrayRef<const EpilogueExpr *> precomputed) {
  if (llvm::is_contained(precomputed, &e))
    return false;
  if (e.op == EpilogueOp::Label)
    return inIndex && e.label == col;
  bool index =
      inIndex || e.op == EpilogueOp::Operand || e.op == EpilogueOp::RelBucket;
  return llvm::any_of(e.children, [&](const EpilogueExpr &c) {
    return gathers(c, col, index, precomputed);
  });
}

void collect(const EpilogueExpr &e, char row, char col,
             std::vector<const EpilogueExpr *> &terms) {
  if (!gathers(e, col, false, {}))
    return;
  if (!usesAcc(e) && readsOnlyOffset(e, row, col)) {
    terms.push_back(&e);
    return;
  }
  // An index is a scalar per lane: a term inside one would still gather.
  if (e.op == EpilogueOp::Operand || e.op == EpilogueOp::RelBucket)
    return;
  for (const EpilogueExpr &c : e.children)
    collect(c, row, col, terms);
}

} // namespace

bool readsOnlyOffset(const EpilogueExpr &e, char row, char col) {
  if (!readsLabel(e, row, col))
    return true;
  if (std::optional<Coefficients> l = linear(e, row, col))
    if (l->row + l->col == 0)
      return true;
  if (e.op == EpilogueOp::Label)
    return false;
  return llvm::all_of(e.children, [&](const EpilogueExpr &c) {
    return readsOnlyOffset(c, row, col);
  });
}

bool gathersByLabel(const EpilogueExpr &e, char col,
                    llvm::ArrayRef<const EpilogueExpr *> precomputed) {
  return gathers(e, col, false, precomputed);
}

std::vector<const EpilogueExpr *> offsetTerms(const Epilogue &e, char row,
                                              char col) {
  std::vector<const EpilogueExpr *> terms;
  collect(e.root(), row, col, terms);
  if (gathersByLabel(e.root(), col, terms))
    return {};
  return terms;
}

} // namespace einsum
