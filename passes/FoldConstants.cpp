//===- FoldConstants.cpp - fold-constants ---------------------------------===//
//
// 1. Mark the tensors whose values an epilogue could read: walking the nodes
//    backwards, a tensor is bias-bound when a reader of it is a contraction
//    or attention node, or also reads a value computed from an einsum,
//    contraction or attention result, or has a bias-bound result.
// 2. Walk the nodes in topological order. An elementwise op, expand_dims,
//    reshape, transpose, concat or reduce whose inputs are all constants,
//    or also generators of at most max-elements elements when its result
//    is not bias-bound, is evaluated and becomes a constant defining the
//    same tensor.
// 3. A result computed from splats, or of one element, is a splat whatever
//    its size (a concat only of splats of one value; a reduce of a splat
//    only if each of its groups has at most max-elements elements: it adds
//    them one by one); one that needs stored data is folded only up to
//    max-elements elements.
//
// The values are the reference interpreter's: constants and generators
// rounded to their element type as the graph stores them, the scalar ops of
// ir/ElementwiseSemantics.h, the generators, reduce, transpose and concat of
// ir/TensorSemantics.h, and each result rounded to its element type. The
// interpreter evaluates with the same two headers (concat it copies byte
// for byte, which moves the same values); they are in ir because the passes
// sit below the backends and may not depend on them.
//
// A generator is folded only through a consumer, never alone (it describes
// its data without storing it), and never when its value reaches a
// contraction's epilogue: the epilogue and attention fusions read distance,
// causal_mask and iota in closed form (passes/BiasExpression.cpp; folded,
// they would be read as stored Sq x Sk operands), and the cpu backend knows
// an alibi_slopes operand to be positive and finite, which lets it skip the
// key blocks a causal bias masks.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/RewriteUtils.h"

#include "ir/ElementwiseSemantics.h"
#include "ir/HalfFloat.h"
#include "ir/TensorSemantics.h"
#include "ir/TypeInference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

bool isContractionLike(OpKind op) {
  return op == OpKind::Einsum || op == OpKind::Contraction ||
         op == OpKind::Attention;
}

/// Step 1: per tensor, whether an epilogue could read its value.
std::vector<bool> biasBound(const Graph &g, llvm::ArrayRef<NodeId> order) {
  std::vector<bool> fromContraction(g.numTensors(), false);
  for (NodeId id : order) {
    const Node &n = g.node(id);
    bool derived =
        isContractionLike(n.op) || llvm::any_of(n.inputs, [&](TensorId in) {
          return fromContraction[in.index()];
        });
    for (TensorId out : n.outputs)
      fromContraction[out.index()] = derived;
  }
  std::vector<bool> bound(g.numTensors(), false);
  // Readers come after producers: walking backwards settles a result
  // before the inputs it marks.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node &n = g.node(*it);
    bool marks = n.op == OpKind::Contraction || n.op == OpKind::Attention ||
                 llvm::any_of(n.inputs,
                              [&](TensorId in) {
                                return fromContraction[in.index()];
                              }) ||
                 llvm::any_of(n.outputs,
                              [&](TensorId out) { return bound[out.index()]; });
    if (marks)
      for (TensorId in : n.inputs)
        bound[in.index()] = true;
  }
  return bound;
}

bool isFoldable(const Node &n) {
  OpCategory cat = n.info().category;
  return cat == OpCategory::Unary || cat == OpCategory::Binary ||
         n.op == OpKind::ExpandDims || n.op == OpKind::Reshape ||
         n.op == OpKind::Transpose || n.op == OpKind::Concat ||
         n.op == OpKind::Reduce;
}

class FoldConstants : public Pass {
public:
  llvm::StringRef name() const override { return "fold-constants"; }
  llvm::StringRef summary() const override {
    return "evaluate elementwise, shape and reduce ops on constants and small "
           "generators (never generators an epilogue could read, never more "
           "than max-elements of stored data)";
  }

  llvm::Expected<bool> run(Graph &g, PassContext &) override {
    llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
    if (!order)
      return order.takeError();
    std::vector<bool> bound = biasBound(g, *order);
    bool changed = false;
    for (NodeId id : *order)
      changed |= fold(g, id, bound);
    if (changed)
      eraseDeadNodes(g);
    return changed;
  }

private:
  /// Why an input has no value to fold with.
  enum class NoValue { Computed, TooLarge };

  /// The value of `t` if a constant produces it, or a generator when
  /// `generators` allows and it has at most max-elements elements.
  std::optional<ConstantValue> valueOf(const Graph &g, TensorId t,
                                       bool generators, NoValue &why) const {
    why = NoValue::Computed;
    NodeId p = g.producer(t);
    if (!p)
      return std::nullopt;
    const Node &n = g.node(p);
    const TensorType &type = g.type(t);
    ConstantValue c{type, {}};
    if (n.op == OpKind::Constant) {
      c.values = n.attr("data").getFloats();
      if (c.values.empty())
        c.values = {n.attr("value").getFloat()};
    } else if (n.info().category == OpCategory::Generator && generators) {
      if (type.numElements() > maxElements) {
        why = NoValue::TooLarge;
        return std::nullopt;
      }
      c.values.resize(type.numElements());
      if (llvm::Error err = generateValues(
              n, type, [&](int64_t i, double v) { c.values[i] = v; })) {
        // The verifier reports a generator's bad attributes.
        llvm::consumeError(std::move(err));
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    for (double &v : c.values)
      v = roundToElementType(type.elementType(), v);
    return c;
  }

  bool skip() {
    ++numSkipped;
    return false;
  }

  /// Steps 2 and 3 for node `id`.
  bool fold(Graph &g, NodeId id, const std::vector<bool> &bound) {
    const Node &n = g.node(id);
    if (!isFoldable(n))
      return false;
    // Values over sizes known only at run time are not known here.
    for (TensorId t : llvm::concat<const TensorId>(n.inputs, n.outputs))
      if (!g.type(t).isStatic())
        return false;
    TensorId result = n.result();
    bool generators = !bound[result.index()];
    std::vector<ConstantValue> ins;
    bool tooLarge = false;
    for (TensorId in : n.inputs) {
      NoValue why;
      std::optional<ConstantValue> c = valueOf(g, in, generators, why);
      if (!c && why == NoValue::Computed)
        return false;
      tooLarge |= !c;
      if (c)
        ins.push_back(std::move(*c));
    }
    if (tooLarge)
      return skip();
    const TensorType &type = g.type(result);
    bool splat =
        std::all_of(ins.begin(), ins.end(),
                    [](const ConstantValue &c) { return c.isSplat(); });
    // Splats of different values join into data. Compared bitwise: ==
    // would tell two NaN splats apart and take -0 for 0.
    if (splat && n.op == OpKind::Concat)
      splat = std::all_of(ins.begin(), ins.end(), [&](const ConstantValue &c) {
        return std::memcmp(&c.values[0], &ins[0].values[0], sizeof(double)) ==
               0;
      });
    int64_t count = splat ? 1 : type.numElements();
    if (count > maxElements)
      return skip();
    std::optional<std::vector<double>> values = evaluate(n, type, ins, splat);
    if (!values)
      return false;
    for (double &v : *values)
      v = roundToElementType(type.elementType(), v);
    // A one-element result is a splat too.
    NamedAttribute attr =
        values->size() == 1
            ? NamedAttribute{"value", Attribute::ofFloat((*values)[0])}
            : NamedAttribute{"data", Attribute::ofFloats(std::move(*values))};
    if (llvm::Error err = redefine(g, result, OpKind::Constant, {}, {attr})) {
      llvm::consumeError(std::move(err));
      return false;
    }
    ++numFolded;
    return true;
  }

  /// The values of `n` over `ins`: one for a splat result, else one per
  /// element of `type`; none if the node cannot be evaluated here.
  std::optional<std::vector<double>> evaluate(const Node &n,
                                              const TensorType &type,
                                              llvm::ArrayRef<ConstantValue> ins,
                                              bool splat) {
    const ConstantValue &x = ins[0];
    if (n.op == OpKind::Reduce)
      return splat ? reduceSplat(n, x) : reduce(n, x, n.attr("axes").getInts());
    int64_t count = splat ? 1 : type.numElements();
    std::vector<double> values(count);
    if (n.op == OpKind::Concat && !splat) {
      std::vector<TensorType> types;
      for (const ConstantValue &c : ins)
        types.push_back(c.type);
      if (llvm::Error err = concatValues(
              n.attr("axis").getInt(), types,
              [&](size_t k, int64_t i) { return ins[k].at(i); },
              [&](int64_t i, double v) { values[i] = v; })) {
        llvm::consumeError(std::move(err));
        return std::nullopt;
      }
      return values;
    }
    if (n.op == OpKind::Transpose && !splat) {
      if (llvm::Error err = transposeValues(
              n.attr("perm").getInts(), x.type,
              [&](int64_t i) { return x.at(i); },
              [&](int64_t i, double v) { values[i] = v; })) {
        llvm::consumeError(std::move(err));
        return std::nullopt;
      }
      return values;
    }
    OpCategory cat = n.info().category;
    for (int64_t i = 0; i < count; ++i) {
      auto input = [&](size_t k) {
        return ins[k].at(
            ins[k].isSplat()
                ? 0
                : broadcastIndex(type.shape(), ins[k].type.shape(), i));
      };
      if (cat == OpCategory::Unary)
        values[i] = applyUnary(n.op, input(0));
      else if (cat == OpCategory::Binary)
        values[i] = applyBinary(n.op, input(0), input(1));
      else
        // expand_dims and reshape keep row-major data, and a transposed
        // splat, or a concat of one splat, is the same splat.
        values[i] = x.at(i);
    }
    return values;
  }

  /// A reduce of a splat: every group holds the same values, so one group
  /// reduced the interpreter's way (element by element) gives the splat.
  std::optional<std::vector<double>> reduceSplat(const Node &n,
                                                 const ConstantValue &x) {
    std::vector<bool> reduced(x.type.rank(), false);
    for (int64_t axis : n.attr("axes").getInts()) {
      llvm::Expected<unsigned> a = normalizeAxis(axis, x.type.rank());
      if (!a) {
        llvm::consumeError(a.takeError());
        return std::nullopt;
      }
      reduced[*a] = true;
    }
    int64_t group = 1;
    for (unsigned d = 0; d < x.type.rank(); ++d)
      if (reduced[d])
        group *= x.type.dim(d);
    if (group > maxElements) {
      ++numSkipped;
      return std::nullopt;
    }
    ConstantValue one{TensorType(x.type.elementType(), {group}), x.values};
    return reduce(n, one, {0});
  }

  std::optional<std::vector<double>>
  reduce(const Node &n, const ConstantValue &x, llvm::ArrayRef<int64_t> axes) {
    llvm::Expected<std::vector<double>> values =
        reduceValues(n.attr("kind").getString(), axes, x.type,
                     [&](int64_t i) { return x.at(i); });
    if (!values) {
      llvm::consumeError(values.takeError());
      return std::nullopt;
    }
    return std::move(*values);
  }

  Option<int64_t> maxElements{*this, "max-elements",
                              "largest non-splat result folded into stored "
                              "data, generator read or group reduced",
                              1024};
  Statistic numFolded{*this, "folded", "nodes folded into constants"};
  Statistic numSkipped{*this, "skipped-large",
                       "nodes left alone: a result, generator or group "
                       "exceeds max-elements"};
};

} // namespace

std::unique_ptr<Pass> createFoldConstantsPass() {
  return std::make_unique<FoldConstants>();
}

} // namespace einsum
