//===- EpilogueMask.cpp - Where an epilogue masks scores out --------------===//
//
// An abstract evaluation of the epilogue over the region j - i >= D (with
// D = offset + 1, i >= 0), in a domain of four kinds: a finite value within
// an interval, +inf, -inf, or unknown. Expressions linear in i and j (the
// distances) are evaluated exactly over the region, which decides the
// comparisons that select masks with. Candidate offsets come from those
// comparisons' boundaries; the smallest that proves -inf wins.
//
// Sizes known only at run time (`?k - ?q`, a decode offset) are carried
// exactly as a symbolic part of a linear expression's constant: the offset
// found is then a size of the same form (ir/Size.h), and a comparison whose
// sign over the region would depend on the symbols' values decides nothing.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/EpilogueMask.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

namespace einsum {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// ci * i + cj * j + k + sym, where sym is a size whose constant is 0 (0:
/// none).
struct Linear {
  double ci = 0, cj = 0, k = 0;
  int64_t sym = 0;
};

/// A size as its static constant and its symbolic rest (a size with
/// constant 0, or 0).
std::pair<double, int64_t> splitSize(int64_t s) {
  if (!isSymbolicSize(s))
    return {double(s), 0};
  SizeExpr e = sizeExpr(s);
  double c = double(e.constant);
  e.constant = 0;
  return {c, *makeSize(std::move(e))};
}

/// x * f for an integral f, or nothing.
std::optional<int64_t> scaleSym(int64_t x, double f) {
  if (x == 0 || f == 0)
    return int64_t(0);
  if (f != std::trunc(f) || std::abs(f) > 1e6)
    return std::nullopt;
  return scaleSize(x, int64_t(f));
}

struct Abstract {
  enum Kind { Finite, PosInf, NegInf, Unknown } kind = Unknown;
  /// Finite: every value lies in [lo, hi] (infinite bounds: unbounded).
  double lo = -kInf, hi = kInf;

  static Abstract finite(double lo, double hi) { return {Finite, lo, hi}; }
  static Abstract of(Kind k) { return {k, -kInf, kInf}; }
  bool isFinite() const { return kind == Finite; }
};

/// Interval product of finite values: 0 * an unbounded end is 0.
double boundProduct(double a, double b) { return a == 0 || b == 0 ? 0 : a * b; }

class Evaluator {
public:
  /// Over j - i >= distance, a size.
  Evaluator(char row, char col, llvm::ArrayRef<OperandFact> facts,
            int64_t distance)
      : row(row), col(col), facts(facts) {
    std::tie(this->distance, distanceSym) = splitSize(distance);
  }

  std::optional<Linear> linear(const EpilogueExpr &e) const {
    switch (e.op) {
    case EpilogueOp::Number:
      if (!std::isfinite(e.value))
        return std::nullopt;
      return Linear{0, 0, e.value};
    case EpilogueOp::Symbol:
      return Linear{0, 0, 0, e.size};
    case EpilogueOp::Label:
      if (e.label == row)
        return Linear{1, 0, 0};
      if (e.label == col)
        return Linear{0, 1, 0};
      return std::nullopt;
    case EpilogueOp::Neg: {
      std::optional<Linear> x = linear(e.children[0]);
      if (!x)
        return std::nullopt;
      std::optional<int64_t> sym = scaleSym(x->sym, -1);
      if (!sym)
        return std::nullopt;
      return Linear{-x->ci, -x->cj, -x->k, *sym};
    }
    case EpilogueOp::Add:
    case EpilogueOp::Sub: {
      std::optional<Linear> a = linear(e.children[0]),
                            b = linear(e.children[1]);
      if (!a || !b)
        return std::nullopt;
      double s = e.op == EpilogueOp::Add ? 1 : -1;
      std::optional<int64_t> bs = scaleSym(b->sym, s);
      std::optional<int64_t> sym = bs ? addSizes(a->sym, *bs) : std::nullopt;
      if (!sym)
        return std::nullopt;
      return Linear{a->ci + s * b->ci, a->cj + s * b->cj, a->k + s * b->k,
                    *sym};
    }
    default:
      return std::nullopt;
    }
  }

  /// The range of ci * i + cj * j + k over i >= 0, j - i >= distance.
  Abstract range(const Linear &l) const {
    // With j = i + d: (ci + cj) i + cj d + k, i >= 0, d >= distance. A
    // symbolic part left at the corner leaves the bounds unknown.
    std::optional<int64_t> corner = scaleSym(distanceSym, l.cj);
    std::optional<int64_t> residue =
        corner ? addSizes(*corner, l.sym) : std::nullopt;
    if (!residue || *residue != 0)
      return Abstract::finite(-kInf, kInf);
    double iCoeff = l.ci + l.cj, atCorner = l.cj * distance + l.k;
    double lo = iCoeff < 0 || l.cj < 0 ? -kInf : atCorner;
    double hi = iCoeff > 0 || l.cj > 0 ? kInf : atCorner;
    return Abstract::finite(lo, hi);
  }

  /// True or false over the whole region, or nullopt.
  std::optional<bool> condition(const EpilogueExpr &e) const {
    if (isComparison(e.op)) {
      std::optional<Linear> a = linear(e.children[0]),
                            b = linear(e.children[1]);
      if (!a || !b)
        return std::nullopt;
      std::optional<int64_t> bs = scaleSym(b->sym, -1);
      std::optional<int64_t> sym = bs ? addSizes(a->sym, *bs) : std::nullopt;
      if (!sym)
        return std::nullopt;
      Abstract d =
          range({a->ci - b->ci, a->cj - b->cj, a->k - b->k, *sym});
      switch (e.op) {
      case EpilogueOp::Lt:
        return d.hi < 0    ? std::optional(true)
               : d.lo >= 0 ? std::optional(false)
                           : std::nullopt;
      case EpilogueOp::Le:
        return d.hi <= 0  ? std::optional(true)
               : d.lo > 0 ? std::optional(false)
                          : std::nullopt;
      case EpilogueOp::Gt:
        return d.lo > 0    ? std::optional(true)
               : d.hi <= 0 ? std::optional(false)
                           : std::nullopt;
      case EpilogueOp::Ge:
        return d.lo >= 0  ? std::optional(true)
               : d.hi < 0 ? std::optional(false)
                          : std::nullopt;
      case EpilogueOp::Eq:
        return d.lo > 0 || d.hi < 0 ? std::optional(false) : std::nullopt;
      case EpilogueOp::Ne:
        return d.lo > 0 || d.hi < 0 ? std::optional(true) : std::nullopt;
      default:
        return std::nullopt;
      }
    }
    Abstract v = value(e);
    if (v.kind == Abstract::PosInf || v.kind == Abstract::NegInf)
      return true;
    if (v.isFinite() && (v.lo > 0 || v.hi < 0))
      return true;
    if (v.isFinite() && v.lo == 0 && v.hi == 0)
      return false;
    return std::nullopt;
  }

  Abstract value(const EpilogueExpr &e) const {
    if (std::optional<Linear> l = linear(e))
      return range(*l);
    switch (e.op) {
    case EpilogueOp::Number:
      if (e.value == kInf)
        return Abstract::of(Abstract::PosInf);
      if (e.value == -kInf)
        return Abstract::of(Abstract::NegInf);
      return Abstract::of(Abstract::Unknown); // NaN
    case EpilogueOp::Acc:
      return Abstract::finite(-kInf, kInf);
    case EpilogueOp::Label: // another loop label: an index
      return Abstract::finite(0, kInf);
    case EpilogueOp::Symbol: // (linear() takes it first)
      return Abstract::finite(1, kInf);
    case EpilogueOp::Operand:
      if (e.operand < facts.size() &&
          facts[e.operand] == OperandFact::PositiveFinite)
        return Abstract::finite(std::numeric_limits<double>::denorm_min(),
                                kInf);
      if (e.operand < facts.size() && facts[e.operand] == OperandFact::Finite)
        return Abstract::finite(-kInf, kInf);
      return Abstract::of(Abstract::Unknown);
    case EpilogueOp::RelBucket:
      return Abstract::finite(0, kInf);
    case EpilogueOp::Lt:
    case EpilogueOp::Le:
    case EpilogueOp::Gt:
    case EpilogueOp::Ge:
    case EpilogueOp::Eq:
    case EpilogueOp::Ne:
      return Abstract::finite(0, 1);
    case EpilogueOp::Select: {
      std::optional<bool> c = condition(e.children[0]);
      if (c)
        return value(e.children[*c ? 1 : 2]);
      return join(value(e.children[1]), value(e.children[2]));
    }
    case EpilogueOp::Neg:
      return negate(value(e.children[0]));
    case EpilogueOp::Add:
      return add(value(e.children[0]), value(e.children[1]));
    case EpilogueOp::Sub:
      return add(value(e.children[0]), negate(value(e.children[1])));
    case EpilogueOp::Mul:
      return multiply(value(e.children[0]), value(e.children[1]));
    case EpilogueOp::Div:
      return divide(value(e.children[0]), value(e.children[1]));
    case EpilogueOp::Abs: {
      Abstract x = value(e.children[0]);
      if (x.kind == Abstract::PosInf || x.kind == Abstract::NegInf)
        return Abstract::of(Abstract::PosInf);
      if (x.isFinite())
        return Abstract::finite(x.lo >= 0 ? x.lo : (x.hi <= 0 ? -x.hi : 0),
                                std::max(std::abs(x.lo), std::abs(x.hi)));
      return x;
    }
    case EpilogueOp::Exp: {
      Abstract x = value(e.children[0]);
      if (x.kind == Abstract::NegInf)
        return Abstract::finite(0, 0);
      if (x.kind == Abstract::PosInf)
        return x;
      // exp of a large finite value overflows to +inf.
      if (x.isFinite() && x.hi < 700)
        return Abstract::finite(0, std::exp(x.hi));
      return Abstract::of(Abstract::Unknown);
    }
    case EpilogueOp::Min:
    case EpilogueOp::Max:
      return extremum(value(e.children[0]), value(e.children[1]),
                      e.op == EpilogueOp::Min);
    case EpilogueOp::Log:
    case EpilogueOp::Sqrt:
      return Abstract::of(Abstract::Unknown);
    }
    return Abstract::of(Abstract::Unknown);
  }

private:
  static Abstract negate(Abstract x) {
    if (x.kind == Abstract::PosInf)
      return Abstract::of(Abstract::NegInf);
    if (x.kind == Abstract::NegInf)
      return Abstract::of(Abstract::PosInf);
    if (x.isFinite())
      return Abstract::finite(-x.hi, -x.lo);
    return x;
  }

  static Abstract add(Abstract a, Abstract b) {
    if (a.isFinite() && b.isFinite())
      return Abstract::finite(a.lo + b.lo, a.hi + b.hi);
    for (Abstract::Kind inf : {Abstract::PosInf, Abstract::NegInf})
      if ((a.kind == inf && (b.isFinite() || b.kind == inf)) ||
          (b.kind == inf && a.isFinite()))
        return Abstract::of(inf);
    return Abstract::of(Abstract::Unknown);
  }

  static Abstract multiply(Abstract a, Abstract b) {
    if (a.isFinite() && b.isFinite()) {
      double p[] = {boundProduct(a.lo, b.lo), boundProduct(a.lo, b.hi),
                    boundProduct(a.hi, b.lo), boundProduct(a.hi, b.hi)};
      return Abstract::finite(*std::min_element(p, p + 4),
                              *std::max_element(p, p + 4));
    }
    if (b.kind == Abstract::PosInf || b.kind == Abstract::NegInf)
      std::swap(a, b);
    if ((a.kind == Abstract::PosInf || a.kind == Abstract::NegInf) &&
        b.isFinite()) {
      if (b.lo > 0)
        return a;
      if (b.hi < 0)
        return negate(a);
    }
    if ((a.kind == Abstract::PosInf || a.kind == Abstract::NegInf) &&
        (b.kind == Abstract::PosInf || b.kind == Abstract::NegInf))
      return Abstract::of(a.kind == b.kind ? Abstract::PosInf
                                           : Abstract::NegInf);
    return Abstract::of(Abstract::Unknown);
  }

  static Abstract divide(Abstract a, Abstract b) {
    if (b.isFinite() && (b.lo > 0 || b.hi < 0)) {
      if (a.kind == Abstract::PosInf || a.kind == Abstract::NegInf)
        return b.lo > 0 ? a : negate(a);
      if (a.isFinite())
        return Abstract::finite(-kInf, kInf);
    }
    return Abstract::of(Abstract::Unknown);
  }

  static Abstract extremum(Abstract a, Abstract b, bool isMin) {
    if (a.kind == Abstract::Unknown || b.kind == Abstract::Unknown)
      return Abstract::of(Abstract::Unknown);
    Abstract::Kind absorbing = isMin ? Abstract::NegInf : Abstract::PosInf;
    Abstract::Kind neutral = isMin ? Abstract::PosInf : Abstract::NegInf;
    if (a.kind == absorbing || b.kind == absorbing)
      return Abstract::of(absorbing);
    if (a.kind == neutral)
      return b;
    if (b.kind == neutral)
      return a;
    return isMin ? Abstract::finite(std::min(a.lo, b.lo), std::min(a.hi, b.hi))
                 : Abstract::finite(std::max(a.lo, b.lo), std::max(a.hi, b.hi));
  }

  static Abstract join(Abstract a, Abstract b) {
    if (a.isFinite() && b.isFinite())
      return Abstract::finite(std::min(a.lo, b.lo), std::max(a.hi, b.hi));
    if (a.kind == b.kind)
      return a;
    return Abstract::of(Abstract::Unknown);
  }

  char row, col;
  llvm::ArrayRef<OperandFact> facts;
  double distance;
  int64_t distanceSym;
};

/// Offsets around the boundary of every comparison that depends on j - i,
/// as sizes.
void collectCandidates(const EpilogueExpr &e, const Evaluator &ev,
                       std::vector<int64_t> &out) {
  if (isComparison(e.op)) {
    std::optional<Linear> a = ev.linear(e.children[0]),
                          b = ev.linear(e.children[1]);
    std::optional<int64_t> bs = b ? scaleSym(b->sym, -1) : std::nullopt;
    std::optional<int64_t> sym =
        a && bs ? addSizes(a->sym, *bs) : std::nullopt;
    if (sym) {
      double ci = a->ci - b->ci, cj = a->cj - b->cj, k = a->k - b->k;
      // A symbolic boundary -sym / cj is a size when cj is 1 or -1.
      std::optional<int64_t> symBoundary =
          *sym == 0 ? std::optional<int64_t>(0)
          : cj == 1 || cj == -1 ? scaleSym(*sym, -cj)
                                : std::nullopt;
      if (cj != 0 && ci == -cj && symBoundary) {
        double boundary = -k / cj;
        if (std::abs(boundary) < 1e15) {
          auto base = int64_t(std::floor(boundary));
          for (int64_t c : {base - 1, base, base + 1})
            if (std::optional<int64_t> s = addSizes(*symBoundary, c))
              out.push_back(*s);
        }
      }
    }
  }
  for (const EpilogueExpr &c : e.children)
    collectCandidates(c, ev, out);
}

} // namespace

std::optional<int64_t> maskedBeyondDiagonal(const Epilogue &e, char row,
                                            char col,
                                            llvm::ArrayRef<OperandFact> facts) {
  std::vector<int64_t> candidates;
  collectCandidates(e.root(), Evaluator(row, col, facts, 0), candidates);
  // Smallest first among offsets of one symbolic part; parts in the order
  // of their text, so the choice never depends on handle values.
  auto key = [](int64_t s) {
    auto [c, sym] = splitSize(s);
    return std::pair(sym == 0 ? std::string() : sizeStr(sym), c);
  };
  std::sort(candidates.begin(), candidates.end(),
            [&](int64_t a, int64_t b) { return key(a) < key(b); });
  candidates.erase(std::unique(candidates.begin(), candidates.end()),
                   candidates.end());
  for (int64_t offset : candidates) {
    std::optional<int64_t> distance = addSizes(offset, 1);
    if (!distance)
      continue;
    Evaluator ev(row, col, facts, *distance);
    if (ev.value(e.root()).kind == Abstract::NegInf)
      return offset;
  }
  return std::nullopt;
}

} // namespace einsum
