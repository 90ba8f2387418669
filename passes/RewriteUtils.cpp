//===- RewriteUtils.cpp ---------------------------------------------------===//
#include "passes/RewriteUtils.h"

#include <algorithm>

namespace einsum {

size_t eraseDeadNodes(Graph &g) {
  llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
  if (!order) {
    // A cyclic graph is the verifier's to report; erase nothing.
    llvm::consumeError(order.takeError());
    return 0;
  }
  std::vector<bool> needed(g.numTensors(), false);
  for (TensorId out : g.outputs())
    needed[out.index()] = true;
  size_t erased = 0;
  // Consumers come after producers, so walking backwards sees every user of
  // a tensor before its producer.
  for (auto it = order->rbegin(); it != order->rend(); ++it) {
    Node &n = g.node(*it);
    bool live = std::any_of(n.outputs.begin(), n.outputs.end(),
                            [&](TensorId t) { return needed[t.index()]; });
    if (!live) {
      g.eraseNode(*it);
      ++erased;
      continue;
    }
    for (TensorId in : n.inputs)
      needed[in.index()] = true;
  }
  return erased;
}

llvm::Error redefine(Graph &g, TensorId result, OpKind op,
                     llvm::ArrayRef<TensorId> inputs,
                     llvm::ArrayRef<NamedAttribute> attrs) {
  // In the old node's place when there is one, so printed order stays put.
  NodeId old = g.producer(result);
  llvm::Expected<NodeId> node = old ? g.replaceNode(old, op, inputs, attrs)
                                    : g.addNode(op, inputs, {result}, attrs);
  return node ? llvm::Error::success() : node.takeError();
}

bool replaceIfInternal(Graph &g, TensorId from, TensorId to) {
  if (from == to || g.isOutput(from) || g.type(from) != g.type(to))
    return false;
  g.replaceAllUsesWith(from, to);
  return true;
}

std::optional<double> splatValue(const Graph &g, TensorId t) {
  NodeId p = g.producer(t);
  if (!p || g.node(p).op != OpKind::Constant)
    return std::nullopt;
  const Node &n = g.node(p);
  const std::vector<double> &data = n.attr("data").getFloats();
  if (data.empty())
    return n.attr("value").getFloat();
  if (std::all_of(data.begin(), data.end(),
                  [&](double v) { return v == data.front(); }))
    return data.front();
  return std::nullopt;
}

TensorId addSplat(Graph &g, const TensorType &type, double value) {
  TensorId t = g.addTensor("", type);
  // A splat of a valid type always type-checks.
  llvm::cantFail(g.addNode(OpKind::Constant, {}, {t},
                           {{"value", Attribute::ofFloat(value)}}));
  return t;
}

} // namespace einsum
