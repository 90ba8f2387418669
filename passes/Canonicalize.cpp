//===- Canonicalize.cpp - canonicalize ------------------------------------===//
//
// 1. Parse the rule table below once.
// 2. Walk the nodes in topological order and try every rule on each; repeat
//    until a walk changes nothing (or max-iterations walks).
// 3. Erase the nodes the rewrites left unused.
//
// Each rule is exact in IEEE arithmetic for every input (x * 1, -(-x), ...)
// or folds constants the way the graph would have computed them, so the
// rewritten graph gives the same results. Casts have typed rules of their
// own (foldCast): a cast to the type its input has is that input, and a
// cast of an exact widening is one cast from the source.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteRule.h"
#include "passes/RewriteUtils.h"

namespace einsum {

namespace {

/// The rules, one per line: `pattern => replacement` (see RewriteRule.h).
const char *const kRules[] = {
    "neg(neg(x)) => x",
    "abs(neg(x)) => abs(x)",
    "abs(abs(x)) => abs(x)",
    "mul(x, 1) => x",
    "div(x, 1) => x",
    "add(x, 0) => x",
    "sub(x, 0) => x",
    "mul(x, -1) => neg(x)",
    "sub(0, x) => neg(x)",
    "sub(x, neg(y)) => add(x, y)",
    "add(x, neg(y)) => sub(x, y)",
    "neg(mul(x, c)) => mul(x, [-c])",
    "neg(div(x, c)) => div(x, [-c])",
    "mul(neg(x), c) => mul(x, [-c])",
    "mul(mul(x, c1), c2) => mul(x, [c1 * c2])",
    "neg(c) => [-c]",
    "add(c1, c2) => [c1 + c2]",
    "sub(c1, c2) => [c1 - c2]",
    "mul(c1, c2) => [c1 * c2]",
    "div(c1, c2) => [c1 / c2]",
};

/// Whether every value of type `from` is a value of type `to`.
bool holdsEveryValue(DType to, DType from) {
  if (to == from)
    return true;
  if (to == DType::F64)
    return from == DType::F32 || isHalfFloat(from);
  return to == DType::F32 && isHalfFloat(from);
}

/// cast(x) to x's own type is x; cast(cast(x)) is one cast of x when the
/// inner one widens exactly (then the outer one is the only rounding).
bool foldCast(Graph &g, TensorId result) {
  NodeId p = g.producer(result);
  if (!p || g.node(p).op != OpKind::Cast)
    return false;
  TensorId x = g.node(p).inputs[0];
  if (g.type(x) == g.type(result))
    return replaceIfInternal(g, result, x);
  NodeId inner = g.producer(x);
  if (!inner || g.node(inner).op != OpKind::Cast)
    return false;
  TensorId source = g.node(inner).inputs[0];
  if (!holdsEveryValue(g.type(x).elementType(), g.type(source).elementType()))
    return false;
  if (g.type(source) == g.type(result) && replaceIfInternal(g, result, source))
    return true;
  return !llvm::errorToBool(redefine(g, result, OpKind::Cast, {source}));
}

class Canonicalize : public Pass {
public:
  llvm::StringRef name() const override { return "canonicalize"; }
  llvm::StringRef summary() const override {
    return "algebraic simplification by a table of rewrite rules";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &) override {
    if (rules.empty())
      for (const char *text : kRules) {
        llvm::Expected<RewriteRule> rule = RewriteRule::parse(text);
        if (!rule)
          return rule.takeError();
        rules.push_back(std::move(*rule));
      }
    bool changed = false;
    for (int64_t iteration = 0; iteration < maxIterations; ++iteration) {
      bool walkChanged = false;
      llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
      if (!order)
        return order.takeError();
      for (NodeId id : *order) {
        if (g.node(id).erased)
          continue;
        TensorId result = g.node(id).result();
        if (foldCast(g, result)) {
          ++numRewrites;
          walkChanged = true;
          continue;
        }
        for (const RewriteRule &rule : rules)
          if (rule.apply(g, result)) {
            ++numRewrites;
            walkChanged = true;
            break;
          }
      }
      changed |= walkChanged;
      if (!walkChanged)
        break;
    }
    size_t erased = eraseDeadNodes(g);
    numErased += erased;
    return changed || erased > 0;
  }

private:
  std::vector<RewriteRule> rules;
  Option<int64_t> maxIterations{*this, "max-iterations",
                                "walks over the graph before giving up", 10};
  Statistic numRewrites{*this, "rewrites", "rules applied"};
  Statistic numErased{*this, "erased", "nodes left unused and erased"};
};

} // namespace

std::unique_ptr<Pass> createCanonicalizePass() {
  return std::make_unique<Canonicalize>();
}

} // namespace einsum
