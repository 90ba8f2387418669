//===- CommonSubexpressionElimination.cpp - cse ---------------------------===//
//
// 1. Walk the nodes in topological order, keyed by (op, inputs, attributes,
//    result type); all ops are pure, generators included.
// 2. A node whose key was seen reads as the earlier node: its uses move to
//    the earlier result and it is erased, unless its result is a graph
//    output (whose name is part of the interface).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "ir/Attribute.h"

#include <map>

namespace einsum {

namespace {

/// A string that is equal for two nodes exactly when they compute the same
/// thing. Floats are keyed by their shortest exact spelling, so NaN
/// attributes compare equal to themselves here.
std::string nodeKey(const Graph &g, const Node &n) {
  std::string key = opName(n.op).str() + "(";
  for (TensorId in : n.inputs)
    key += std::to_string(in.index()) + ",";
  key += "){";
  for (const Attribute &a : n.attrs) {
    if (a.isInt())
      key += std::to_string(a.getInt());
    else if (a.isFloat())
      key += formatFloat(a.getFloat());
    else if (a.isBool())
      key += a.getBool() ? "T" : "F";
    else if (a.isString())
      key += std::to_string(a.getString().size()) + ":" + a.getString();
    else if (a.isInts())
      for (int64_t v : a.getInts())
        key += std::to_string(v) + " ";
    else if (a.isEpilogue())
      // Canonical text, numbers exact: equal text computes equal values
      // (-1 and -(1) print alike and are alike).
      key += "e:" + a.getEpilogue().str();
    else
      for (double v : a.getFloats())
        key += formatFloat(v) + " ";
    key += ";";
  }
  return key + "}:" + g.type(n.result()).str();
}

class CommonSubexpressionElimination : public Pass {
public:
  llvm::StringRef name() const override { return "cse"; }
  llvm::StringRef summary() const override {
    return "merge nodes computing the same value from the same inputs";
  }
  llvm::Expected<bool> run(Graph &g, PassContext &) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    std::map<std::string, TensorId> seen;
    bool changed = false;
    for (NodeId id : *order) {
      const Node &n = g.node(id);
      auto [it, inserted] = seen.emplace(nodeKey(g, n), n.result());
      if (inserted)
        continue;
      if (!replaceIfInternal(g, n.result(), it->second))
        continue;
      g.eraseNode(id);
      ++numMerged;
      changed = true;
    }
    return changed;
  }

private:
  Statistic numMerged{*this, "merged", "nodes merged into an equal one"};
};

} // namespace

std::unique_ptr<Pass> createCommonSubexpressionEliminationPass() {
  return std::make_unique<CommonSubexpressionElimination>();
}

} // namespace einsum
