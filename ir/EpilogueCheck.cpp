//===- EpilogueCheck.cpp - Is an epilogue well formed for a node ----------===//
//
// check() walks a tree that may have been built by hand, stopping at the
// first problem. An operand index that is not a plain label is read without
// any bounds test at run time, so it must be provably in range: it has to be
// an integer expression, and interval arithmetic over the label sizes bounds
// it. The intervals are sound (never narrower than the values reached) and
// exact for the forms fusion emits: a label plus an offset, and rel_bucket,
// whose values lie in [0, num_buckets).
//
//===----------------------------------------------------------------------===//
#include "ir/Diagnostic.h"
#include "ir/Epilogue.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>

#include <cassert>
#include <cmath>

namespace einsum {

/// Integers up to here are exact in the double arithmetic of evaluation.
static constexpr int64_t kMaxExactInt = int64_t(1) << 53;

namespace {

class Checker {
public:
  Checker(llvm::StringRef labels, llvm::ArrayRef<TensorType> operandTypes,
          const std::map<char, int64_t> &labelSizes)
      : labels(labels), operandTypes(operandTypes), labelSizes(labelSizes) {}

  std::string run(const EpilogueExpr &e, bool wantCondition) {
    if (std::string msg = kindError(e, wantCondition); !msg.empty())
      return msg;
    if (std::string msg = arityError(e); !msg.empty())
      return msg;
    if (e.op == EpilogueOp::Number && std::isnan(e.value))
      return "constant nan is not allowed";
    if (e.op == EpilogueOp::Label)
      return labelError(e.label);
    if (e.op == EpilogueOp::Operand)
      return operandError(e);
    if (e.op == EpilogueOp::RelBucket) {
      IndexRange r;
      return integerError(e, r);
    }
    for (size_t i = 0; i < e.children.size(); ++i)
      if (std::string msg =
              run(e.children[i], e.op == EpilogueOp::Select && i == 0);
          !msg.empty())
        return msg;
    return "";
  }

  /// Sets `r` to the values of the integer expression `e`, or says why it
  /// is not one.
  std::string integerError(const EpilogueExpr &e, IndexRange &r) const {
    if (std::string msg = arityError(e); !msg.empty())
      return msg;
    switch (e.op) {
    case EpilogueOp::Number:
      if (!isIntegral(e.value))
        return notInteger(e);
      r = {int64_t(e.value), int64_t(e.value)};
      return "";
    case EpilogueOp::Label: {
      if (std::string msg = labelError(e.label); !msg.empty())
        return msg;
      auto size = labelSizes.find(e.label);
      assert(size != labelSizes.end() && "loop label without a size");
      // A size known only at run time is at most the element limit.
      r = {0, isSymbolicSize(size->second)
                  ? kMaxElements - 1
                  : std::max<int64_t>(size->second, 1) - 1};
      return "";
    }
    case EpilogueOp::Symbol:
      r = {1, kMaxElements};
      return "";
    case EpilogueOp::Neg:
      if (std::string msg = integerError(e.children[0], r); !msg.empty())
        return msg;
      r = {-r.hi, -r.lo};
      return "";
    case EpilogueOp::Add:
    case EpilogueOp::Sub: {
      IndexRange a, b;
      if (std::string msg = integerError(e.children[0], a); !msg.empty())
        return msg;
      if (std::string msg = integerError(e.children[1], b); !msg.empty())
        return msg;
      // Operands are within 2^53, so these do not overflow.
      r = e.op == EpilogueOp::Add ? IndexRange{a.lo + b.lo, a.hi + b.hi}
                                  : IndexRange{a.lo - b.hi, a.hi - b.lo};
      if (r.lo < -kMaxExactInt || r.hi > kMaxExactInt)
        return fmt::format("'{}' may reach {}, beyond 2^53 where the "
                           "arithmetic is no longer exact",
                           Epilogue(e).str(),
                           r.hi > kMaxExactInt ? r.hi : r.lo);
      return "";
    }
    case EpilogueOp::RelBucket:
      return relBucketError(e, r);
    default:
      return notInteger(e);
    }
  }

private:
  static bool isIntegral(double v) {
    return std::isfinite(v) && v == std::trunc(v) &&
           std::fabs(v) <= double(kMaxExactInt);
  }

  static std::string notInteger(const EpilogueExpr &e) {
    return fmt::format("'{}' is not an integer expression (labels, integer "
                       "constants, +, - and rel_bucket)",
                       Epilogue(e).str());
  }

  static std::string kindError(const EpilogueExpr &e, bool wantCondition) {
    if (isComparison(e.op) && !wantCondition)
      return fmt::format(
          "comparison '{}' is only allowed as the condition of select",
          epilogueOpSpelling(e.op).str());
    if (!isComparison(e.op) && wantCondition)
      return "the condition of select must be a comparison";
    return "";
  }

  static std::string arityError(const EpilogueExpr &e) {
    // An operand has one index per dimension, checked against its type.
    if (e.op == EpilogueOp::Operand ||
        e.children.size() == epilogueOpArity(e.op))
      return "";
    return fmt::format("'{}' has {} operands; it takes {}",
                       epilogueOpSpelling(e.op).str(), e.children.size(),
                       epilogueOpArity(e.op));
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

  /// The same limits as the relative_buckets generator: each direction
  /// needs exact buckets and a logarithmic range beyond them.
  std::string relBucketError(const EpilogueExpr &e, IndexRange &r) const {
    static const char *names[] = {"num_buckets", "max_distance",
                                  "bidirectional"};
    int64_t v[3];
    for (unsigned k = 0; k < 3; ++k) {
      const EpilogueExpr &c = e.children[k + 1];
      if (c.op != EpilogueOp::Number || !isIntegral(c.value))
        return fmt::format("rel_bucket's {} must be an integer constant, "
                           "not '{}'",
                           names[k], Epilogue(c).str());
      v[k] = int64_t(c.value);
    }
    int64_t buckets = v[0], maxDistance = v[1], bidirectional = v[2];
    if (bidirectional != 0 && bidirectional != 1)
      return fmt::format("rel_bucket's bidirectional is {}; expected 0 or 1",
                         bidirectional);
    int64_t perSide = bidirectional ? buckets / 2 : buckets;
    if (buckets > (int64_t(1) << 30) || perSide < 2)
      return fmt::format("rel_bucket's num_buckets is {}; expected at least "
                         "{} and at most 2^30",
                         buckets, bidirectional ? 4 : 2);
    if (maxDistance <= perSide / 2 || maxDistance > kMaxElements)
      return fmt::format("rel_bucket's max_distance is {}; expected more "
                         "than the {} exact buckets and at most 2^48",
                         maxDistance, perSide / 2);
    IndexRange rel;
    if (std::string msg = integerError(e.children[0], rel); !msg.empty())
      return "the first argument of rel_bucket: " + msg;
    r = {0, buckets - 1};
    return "";
  }

  std::string operandError(const EpilogueExpr &e) const {
    size_t n = operandTypes.size();
    if (e.operand >= n)
      return fmt::format("operand ${} does not exist: the node has {} "
                         "epilogue operand{}",
                         e.operand, n, n == 1 ? "" : "s");
    const TensorType &t = operandTypes[e.operand];
    if (!isFloat(t.elementType()))
      return fmt::format("operand ${} has type {}; expected a float type",
                         e.operand, t.str());
    size_t count = e.children.size();
    if (count != t.rank()) {
      bool plain = llvm::all_of(e.children, [](const EpilogueExpr &c) {
        return c.op == EpilogueOp::Label;
      });
      return fmt::format("operand ${} has type {} but is indexed by {} {}; "
                         "expected {}",
                         e.operand, t.str(), count,
                         plain ? (count == 1 ? "label" : "labels")
                               : (count == 1 ? "index" : "indices"),
                         t.rank());
    }
    for (size_t d = 0; d < count; ++d) {
      const EpilogueExpr &index = e.children[d];
      if (index.op == EpilogueOp::Label) {
        if (std::string msg = labelError(index.label); !msg.empty())
          return msg;
        auto size = labelSizes.find(index.label);
        assert(size != labelSizes.end() && "loop label without a size");
        if (t.dim(d) != size->second && t.dim(d) != 1)
          return fmt::format("dimension {} of operand ${} ({}) is {} but "
                             "label '{}' has size {}; expected {} or 1",
                             d, e.operand, t.str(), sizeStr(t.dim(d)),
                             index.label, sizeStr(size->second),
                             sizeStr(size->second));
        continue;
      }
      IndexRange r;
      if (std::string msg = integerError(index, r); !msg.empty())
        return fmt::format("index {} of ${}: {}", d, e.operand, msg);
      if (isSymbolicSize(t.dim(d)))
        return fmt::format("index {} of ${} is computed, but the dimension "
                           "has size {}, known only at run time: a computed "
                           "index must stay within a static size",
                           d, e.operand, sizeStr(t.dim(d)));
      if (r.lo < 0 || r.hi >= t.dim(d))
        return fmt::format("index {} of ${} ranges over [{}, {}) but the "
                           "dimension has size {}",
                           d, e.operand, r.lo, r.hi + 1, t.dim(d));
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

llvm::Expected<IndexRange>
integerRange(const Epilogue &e, llvm::StringRef labels,
             const std::map<char, int64_t> &labelSizes) {
  IndexRange r;
  std::string msg = Checker(labels, {}, labelSizes).integerError(e.root(), r);
  if (!msg.empty())
    return makeError(msg);
  return r;
}

} // namespace einsum
