//===- Size.h - Sizes known when compiling or only when running -*- C++ -*-===//
//
// A size (a tensor dimension, or a size-valued attribute such as a decode
// query offset) is an int64_t. A size known when the graph is compiled is
// its value. A size known only when it runs is a *symbolic size*: a handle
// to an affine expression over named symbols, `?s`, `?past+1`, `2*?s`,
// `?keys-?queries`. Handles are interned once per process, one per distinct
// expression, so two sizes are equal exactly when their int64_t values are:
// type equality, einsum label matching and broadcasting compare sizes as
// they always did, and code that only copies shapes needs no change.
//
// Handles occupy [kSymbolicSizeBegin, kSymbolicSizeBegin + 2^40), far below
// any static value the IR admits (magnitudes up to 2^52), so a handle is
// never mistaken for a number. Code that computes with sizes goes through
// the arithmetic below, which works on both kinds; code that needs a
// number asks `isSymbolicSize` first and refuses with a diagnostic.
//
// Symbols stand for positive integers read from a graph's inputs when it
// runs (ir/SizeBindings.h). Expressions are canonical: terms sorted by
// symbol name, no zero coefficients; an expression without terms is the
// static size itself.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_SIZE_H
#define EINSUM_IR_SIZE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace einsum {

struct SizeTerm {
  std::string symbol;
  int64_t coefficient = 0;
  bool operator==(const SizeTerm &o) const {
    return symbol == o.symbol && coefficient == o.coefficient;
  }
};

/// constant + sum of coefficient * symbol.
struct SizeExpr {
  int64_t constant = 0;
  /// Sorted by symbol, each symbol once, no zero coefficient.
  std::vector<SizeTerm> terms;

  bool isStatic() const { return terms.empty(); }
  bool operator==(const SizeExpr &o) const {
    return constant == o.constant && terms == o.terms;
  }
};

/// The value of each symbol for one run.
using SizeBindings = std::map<std::string, int64_t>;

inline constexpr int64_t kSymbolicSizeBegin =
    std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxSymbolicSizes = int64_t(1) << 40;
/// The largest magnitude of a static size, a coefficient or a constant:
/// sums and products of a few stay far from int64 overflow.
inline constexpr int64_t kMaxSizeMagnitude = int64_t(1) << 52;

/// Whether `s` is the handle of an interned expression. Other values in the
/// handle range are merely (invalid, negative) numbers.
bool isSymbolicSize(int64_t s);

/// Whether `name` may name a symbol: [A-Za-z_][A-Za-z0-9_]*.
bool isSymbolName(llvm::StringRef name);

/// The size `?name`; `name` must satisfy isSymbolName.
int64_t symbolSize(llvm::StringRef name);
/// The size of `e` in canonical form: the constant if it has no terms, else
/// the handle. Nothing if a coefficient or the constant exceeds
/// kMaxSizeMagnitude, or a term names an invalid symbol.
std::optional<int64_t> makeSize(SizeExpr e);
/// The expression a size stands for (a static size has only a constant).
SizeExpr sizeExpr(int64_t s);
/// `64`, `?s`, `?past+1`, `2*?s`, `?keys-?queries`: what the text format
/// reads back as the same size.
std::string sizeStr(int64_t s);

/// The symbol of a size that is exactly one symbol (`?s`), else nothing.
std::optional<std::string> loneSymbol(int64_t s);
/// Adds the symbols `s` mentions to `out`.
void collectSymbols(int64_t s, std::set<std::string> &out);

/// Arithmetic on sizes of either kind; nothing when a magnitude would pass
/// kMaxSizeMagnitude.
std::optional<int64_t> addSizes(int64_t a, int64_t b);
std::optional<int64_t> subSizes(int64_t a, int64_t b);
std::optional<int64_t> scaleSize(int64_t a, int64_t factor);
/// a * b when at most one of them is symbolic (the product stays affine).
std::optional<int64_t> multiplySizes(int64_t a, int64_t b);
/// a / divisor when every coefficient and the constant divide exactly.
std::optional<int64_t> divideSize(int64_t a, int64_t divisor);
/// a = factor * rest with factor the largest positive integer dividing
/// every coefficient and the constant of a symbolic size (1 for a static
/// one, whose rest is 1 * a): the form reshape compares products in.
std::pair<int64_t, int64_t> splitFactor(int64_t a);

/// The value of `s` with `bindings`: an error naming an unbound symbol, or
/// saying that the value overflows.
llvm::Expected<int64_t> evaluateSize(int64_t s, const SizeBindings &bindings);

/// Whether `s` is certainly below `bound` whatever positive values its
/// symbols take: a static size below it, or one whose coefficients are all
/// at most 0 and whose value at every symbol 1 is below it.
bool alwaysBelow(int64_t s, int64_t bound);

} // namespace einsum

#endif // EINSUM_IR_SIZE_H
