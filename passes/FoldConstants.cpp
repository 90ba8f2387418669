//===- FoldConstants.cpp - fold-constants ---------------------------------===//
//
// 1. Walk the nodes in topological order.
// 2. An elementwise or shape op whose inputs are all `constant` nodes is
//    evaluated (with ir/ElementwiseSemantics, rounding to the element type as
//    the graph would) and becomes a constant defining the same tensor.
// 3. A result that is a splat stays a splat whatever its size; one that
//    needs stored data is folded only up to max-elements elements.
// Generators are never folded: they describe data without storing it, and
// fusion reads them symbolically (a folded distance would be an S x S
// matrix).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "ir/ElementwiseSemantics.h"

#include <algorithm>
#include <optional>

namespace einsum {

namespace {

/// A constant's values: one for a splat, else row-major data.
struct ConstantValue {
  TensorType type;
  std::vector<double> values;
  bool isSplat() const { return values.size() == 1; }
  double at(int64_t i) const { return isSplat() ? values[0] : values[i]; }
};

std::optional<ConstantValue> constantOf(const Graph &g, TensorId t) {
  NodeId p = g.producer(t);
  if (!p || g.node(p).op != OpKind::Constant)
    return std::nullopt;
  const Node &n = g.node(p);
  ConstantValue c{g.type(t), n.attr("data").getFloats()};
  if (c.values.empty())
    c.values = {n.attr("value").getFloat()};
  return c;
}

double roundTo(DType t, double v) {
  return t == DType::F32 ? double(float(v)) : v;
}

/// Flat index into `in` of the element that broadcasts to flat index `i`
/// of `out` (numpy rules: shapes aligned right, size-1 dimensions repeat).
int64_t broadcastIndex(llvm::ArrayRef<int64_t> out, llvm::ArrayRef<int64_t> in,
                       int64_t i) {
  int64_t index = 0, stride = 1;
  for (size_t d = 0; d < in.size(); ++d) {
    size_t od = out.size() - 1 - d, id = in.size() - 1 - d;
    int64_t coord = i % out[od];
    i /= out[od];
    if (in[id] != 1)
      index += coord * stride;
    stride *= in[id];
  }
  return index;
}

class FoldConstants : public Pass {
public:
  llvm::StringRef name() const override { return "fold-constants"; }
  llvm::StringRef summary() const override {
    return "evaluate elementwise and shape ops on constants (never "
           "generators, never more than max-elements of stored data)";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    bool changed = false;
    for (NodeId id : *order)
      changed |= fold(g, id);
    if (changed)
      eraseDeadNodes(g);
    return changed;
  }

private:
  bool fold(Graph &g, NodeId id) {
    const Node &n = g.node(id);
    OpCategory cat = n.info().category;
    if (cat != OpCategory::Unary && cat != OpCategory::Binary &&
        n.op != OpKind::ExpandDims && n.op != OpKind::Reshape)
      return false;
    std::vector<ConstantValue> ins;
    for (TensorId in : n.inputs) {
      std::optional<ConstantValue> c = constantOf(g, in);
      if (!c)
        return false;
      ins.push_back(std::move(*c));
    }
    TensorId result = n.result();
    const TensorType &type = g.type(result);
    bool splat =
        std::all_of(ins.begin(), ins.end(),
                    [](const ConstantValue &c) { return c.isSplat(); });
    int64_t count = splat ? 1 : type.numElements();
    if (count > maxElements) {
      ++numSkipped;
      return false;
    }
    std::vector<double> values(count);
    for (int64_t i = 0; i < count; ++i) {
      auto input = [&](size_t k) {
        return ins[k].at(
            ins[k].isSplat()
                ? 0
                : broadcastIndex(type.shape(), ins[k].type.shape(), i));
      };
      double v;
      if (cat == OpCategory::Unary)
        v = applyUnary(n.op, input(0));
      else if (cat == OpCategory::Binary)
        v = applyBinary(n.op, input(0), input(1));
      else
        v = ins[0].at(i); // expand_dims and reshape keep row-major data.
      values[i] = roundTo(type.elementType(), v);
    }
    NamedAttribute attr =
        splat ? NamedAttribute{"value", Attribute::ofFloat(values[0])}
              : NamedAttribute{"data", Attribute::ofFloats(std::move(values))};
    if (llvm::Error err = redefine(g, result, OpKind::Constant, {}, {attr})) {
      llvm::consumeError(std::move(err));
      return false;
    }
    ++numFolded;
    return true;
  }

  Option<int64_t> maxElements{*this, "max-elements",
                              "largest non-splat result folded into stored "
                              "data",
                              1024};
  Statistic numFolded{*this, "folded", "nodes folded into constants"};
  Statistic numSkipped{*this, "skipped-large",
                       "nodes left alone: their result exceeds max-elements"};
};

} // namespace

std::unique_ptr<Pass> createFoldConstantsPass() {
  return std::make_unique<FoldConstants>();
}

} // namespace einsum
