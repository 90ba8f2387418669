//===- RewriteRule.h - Rewrite rules written as one line of text -*- C++
//-*-===//
//
// A rule reads `pattern => replacement`:
//
//   neg(neg(x)) => x
//   mul(mul(x, c1), c2) => mul(x, [c1 * c2])
//
// In a pattern, `op(...)` matches a node of that op (both operand orders
// for add, mul, max and min), a lowercase name binds any tensor (the same
// name twice must be the same tensor), a name starting with `c` binds a
// splat constant, and a number matches a splat constant of that value.
// A replacement is a bound tensor or one op over bound tensors and
// `[expr]`, a new splat constant computed from bound constants with + - * /.
// A rewrite applies only if the replacement has the matched result's exact
// type, so broadcasting can never change a shape.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_PASSES_REWRITERULE_H
#define EINSUM_PASSES_REWRITERULE_H

#include "ir/Graph.h"

#include <memory>
#include <string>

namespace einsum {

class RewriteRule {
public:
  /// Parses a rule; the rule tables are ours, so a malformed one is a bug
  /// reported with the rule text.
  static llvm::Expected<RewriteRule> parse(llvm::StringRef text);

  /// Tries the rule on the node defining `root`; returns whether the graph
  /// changed.
  bool apply(Graph &g, TensorId root) const;

  const std::string &text() const { return ruleText; }

  struct Term;

private:
  std::string ruleText;
  std::shared_ptr<const Term> pattern, replacement;
};

} // namespace einsum

#endif // EINSUM_PASSES_REWRITERULE_H
