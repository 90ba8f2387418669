//===- Size.cpp - Interned symbolic sizes and their arithmetic ------------===//
//
// The table is process-wide, like an MLIR context's uniquer, and never
// shrinks: a handle stays valid as long as the process runs, so graphs,
// types and attributes can hold plain int64_t. Entries are keyed by their
// canonical text, which is also what the printer writes. A deque keeps
// references to entries stable while other threads add to it; the lock
// covers both lookup and insertion.
//
//===----------------------------------------------------------------------===//
#include "ir/Size.h"
#include "ir/Diagnostic.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <deque>
#include <mutex>
#include <numeric>
#include <unordered_map>

namespace einsum {

namespace {

struct InternedSize {
  SizeExpr expr;
  std::string text;
};

class SizeTable {
public:
  std::optional<int64_t> intern(SizeExpr e, std::string text) {
    std::lock_guard<std::mutex> guard(lock);
    auto it = byText.find(text);
    if (it != byText.end())
      return it->second;
    if (int64_t(entries.size()) >= kMaxSymbolicSizes)
      return std::nullopt;
    int64_t handle = kSymbolicSizeBegin + int64_t(entries.size());
    entries.push_back({std::move(e), text});
    byText.emplace(std::move(text), handle);
    count.store(int64_t(entries.size()), std::memory_order_release);
    return handle;
  }

  bool contains(int64_t handle) const {
    return handle < kSymbolicSizeBegin + count.load(std::memory_order_acquire);
  }

  const InternedSize &get(int64_t handle) {
    std::lock_guard<std::mutex> guard(lock);
    assert(handle - kSymbolicSizeBegin < int64_t(entries.size()) &&
           "not a size handle");
    return entries[size_t(handle - kSymbolicSizeBegin)];
  }

private:
  std::mutex lock;
  std::deque<InternedSize> entries;
  std::unordered_map<std::string, int64_t> byText;
  /// entries.size(), readable without the lock.
  std::atomic<int64_t> count{0};
};

SizeTable &table() {
  static SizeTable t;
  return t;
}

bool withinMagnitude(int64_t v) {
  return v >= -kMaxSizeMagnitude && v <= kMaxSizeMagnitude;
}

std::string exprText(const SizeExpr &e) {
  std::string s;
  for (const SizeTerm &t : e.terms) {
    int64_t c = t.coefficient;
    if (c < 0)
      s += '-';
    else if (!s.empty())
      s += '+';
    int64_t m = c < 0 ? -c : c;
    if (m != 1)
      s += std::to_string(m) + "*";
    s += "?" + t.symbol;
  }
  if (e.constant > 0 && !s.empty())
    s += '+';
  if (e.constant != 0 || s.empty())
    s += std::to_string(e.constant);
  return s;
}

/// Sorts and merges terms, dropping zero coefficients.
std::optional<SizeExpr> canonical(SizeExpr e) {
  std::sort(e.terms.begin(), e.terms.end(),
            [](const SizeTerm &a, const SizeTerm &b) {
              return a.symbol < b.symbol;
            });
  std::vector<SizeTerm> merged;
  for (SizeTerm &t : e.terms) {
    if (!merged.empty() && merged.back().symbol == t.symbol) {
      if (__builtin_add_overflow(merged.back().coefficient, t.coefficient,
                                 &merged.back().coefficient))
        return std::nullopt;
      continue;
    }
    merged.push_back(std::move(t));
  }
  merged.erase(std::remove_if(merged.begin(), merged.end(),
                              [](const SizeTerm &t) {
                                return t.coefficient == 0;
                              }),
               merged.end());
  e.terms = std::move(merged);
  return e;
}

} // namespace

bool isSymbolicSize(int64_t s) { return table().contains(s); }

bool isSymbolName(llvm::StringRef name) {
  if (name.empty() || !(llvm::isAlpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::optional<int64_t> makeSize(SizeExpr e) {
  std::optional<SizeExpr> c = canonical(std::move(e));
  if (!c || !withinMagnitude(c->constant))
    return std::nullopt;
  for (const SizeTerm &t : c->terms)
    if (!withinMagnitude(t.coefficient) || !isSymbolName(t.symbol))
      return std::nullopt;
  if (c->terms.empty())
    return c->constant;
  std::string text = exprText(*c);
  return table().intern(std::move(*c), std::move(text));
}

int64_t symbolSize(llvm::StringRef name) {
  assert(isSymbolName(name) && "not a symbol name");
  SizeExpr e;
  e.terms.push_back({name.str(), 1});
  std::optional<int64_t> s = makeSize(std::move(e));
  assert(s && "a lone symbol is always a valid size");
  return *s;
}

SizeExpr sizeExpr(int64_t s) {
  if (!isSymbolicSize(s)) {
    SizeExpr e;
    e.constant = s;
    return e;
  }
  return table().get(s).expr;
}

std::string sizeStr(int64_t s) {
  if (!isSymbolicSize(s))
    return std::to_string(s);
  return table().get(s).text;
}

std::optional<std::string> loneSymbol(int64_t s) {
  if (!isSymbolicSize(s))
    return std::nullopt;
  const SizeExpr &e = table().get(s).expr;
  if (e.constant != 0 || e.terms.size() != 1 || e.terms[0].coefficient != 1)
    return std::nullopt;
  return e.terms[0].symbol;
}

void collectSymbols(int64_t s, std::set<std::string> &out) {
  if (!isSymbolicSize(s))
    return;
  for (const SizeTerm &t : table().get(s).expr.terms)
    out.insert(t.symbol);
}

/// x * a + y * b, term by term.
static std::optional<int64_t> combine(int64_t a, int64_t x, int64_t b,
                                      int64_t y) {
  SizeExpr ea = sizeExpr(a), eb = sizeExpr(b), r;
  int64_t ca, cb;
  if (__builtin_mul_overflow(ea.constant, x, &ca) ||
      __builtin_mul_overflow(eb.constant, y, &cb) ||
      __builtin_add_overflow(ca, cb, &r.constant))
    return std::nullopt;
  for (auto [e, f] : {std::pair(&ea, x), std::pair(&eb, y)})
    for (const SizeTerm &t : e->terms) {
      int64_t c;
      if (__builtin_mul_overflow(t.coefficient, f, &c))
        return std::nullopt;
      r.terms.push_back({t.symbol, c});
    }
  return makeSize(std::move(r));
}

std::optional<int64_t> addSizes(int64_t a, int64_t b) {
  return combine(a, 1, b, 1);
}

std::optional<int64_t> subSizes(int64_t a, int64_t b) {
  return combine(a, 1, b, -1);
}

std::optional<int64_t> scaleSize(int64_t a, int64_t factor) {
  return combine(a, factor, 0, 0);
}

std::optional<int64_t> multiplySizes(int64_t a, int64_t b) {
  if (!isSymbolicSize(a))
    return scaleSize(b, a);
  if (!isSymbolicSize(b))
    return scaleSize(a, b);
  return std::nullopt;
}

std::optional<int64_t> divideSize(int64_t a, int64_t divisor) {
  if (divisor == 0)
    return std::nullopt;
  SizeExpr e = sizeExpr(a);
  if (e.constant % divisor)
    return std::nullopt;
  e.constant /= divisor;
  for (SizeTerm &t : e.terms) {
    if (t.coefficient % divisor)
      return std::nullopt;
    t.coefficient /= divisor;
  }
  return makeSize(std::move(e));
}

std::pair<int64_t, int64_t> splitFactor(int64_t a) {
  if (!isSymbolicSize(a))
    return {a, 1};
  SizeExpr e = sizeExpr(a);
  int64_t g = e.constant < 0 ? -e.constant : e.constant;
  for (const SizeTerm &t : e.terms)
    g = std::gcd(g, t.coefficient < 0 ? -t.coefficient : t.coefficient);
  if (g <= 1)
    return {1, a};
  std::optional<int64_t> rest = divideSize(a, g);
  assert(rest && "the gcd divides every coefficient");
  return {g, *rest};
}

llvm::Expected<int64_t> evaluateSize(int64_t s, const SizeBindings &bindings) {
  if (!isSymbolicSize(s))
    return s;
  const SizeExpr &e = table().get(s).expr;
  int64_t v = e.constant;
  for (const SizeTerm &t : e.terms) {
    auto it = bindings.find(t.symbol);
    if (it == bindings.end())
      return makeError(
          fmt::format("size ?{} is not known: no input gives it", t.symbol));
    int64_t term;
    if (__builtin_mul_overflow(t.coefficient, it->second, &term) ||
        __builtin_add_overflow(v, term, &v))
      return makeError(fmt::format("size {} overflows with ?{} = {}",
                                   sizeStr(s), t.symbol, it->second));
  }
  return v;
}

bool alwaysBelow(int64_t s, int64_t bound) {
  SizeExpr e = sizeExpr(s);
  int64_t atOne = e.constant;
  for (const SizeTerm &t : e.terms) {
    if (t.coefficient > 0)
      return false;
    atOne += t.coefficient;
  }
  return atOne < bound;
}

} // namespace einsum
