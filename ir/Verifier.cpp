//===- Verifier.cpp -------------------------------------------------------===//
//
// 1. Arguments: valid, typed, well-shaped, listed once.
// 2. Nodes: arity, ids, attributes against the op table, then the result
//    type against type inference.
// 3. Definitions: every tensor defined at most once; every tensor read by a
//    node or returned is defined.
// 4. Names unique; outputs listed once; at least one output.
// 5. Sizes known only at run time: every symbol a type, a size attribute or
//    an epilogue mentions is a whole dimension of some argument, where a
//    run reads its value (SizeBindings.h).
// 6. No cycles (only if everything above held: a cycle report about a graph
//    with dangling ids would be noise).
//
//===----------------------------------------------------------------------===//
#include "ir/Verifier.h"
#include "ir/TypeInference.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace einsum {

namespace {

class Verifier {
public:
  explicit Verifier(const Graph &g) : g(g) {}

  llvm::Error run() {
    checkArguments();
    for (NodeId n : g.liveNodes())
      checkNode(n);
    checkDefinitions();
    checkNamesAndOutputs();
    checkSymbols();
    if (diags.empty()) {
      llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
      if (!order)
        return order.takeError();
    }
    return diags.empty() ? llvm::Error::success() : makeError(std::move(diags));
  }

private:
  void report(std::string message, const SourceLoc &loc) {
    Diagnostic d;
    d.loc = loc;
    d.message = std::move(message);
    diags.push_back(std::move(d));
  }

  void checkArguments() {
    std::vector<bool> seen(g.numTensors(), false);
    for (TensorId a : g.arguments()) {
      if (!g.isValid(a)) {
        report(fmt::format("graph argument is tensor id {}, but the graph "
                           "has {} tensors",
                           a.index(), g.numTensors()),
               {});
        continue;
      }
      const Tensor &t = g.tensor(a);
      if (seen[a.index()])
        report(fmt::format("{} is listed twice as a graph argument",
                           g.describeTensor(a)),
               t.loc);
      seen[a.index()] = true;
      if (!t.type) {
        report(
            fmt::format("graph argument {} has no type", g.describeTensor(a)),
            t.loc);
        continue;
      }
      std::string bad = checkShape(t.type->shape());
      if (!bad.empty())
        report(fmt::format("graph argument {}: {}", g.describeTensor(a), bad),
               t.loc);
    }
  }

  void checkSymbols() {
    std::set<std::string> bound;
    for (TensorId a : g.arguments())
      if (g.isValid(a) && g.tensor(a).type)
        for (int64_t d : g.tensor(a).type->shape())
          if (std::optional<std::string> s = loneSymbol(d))
            bound.insert(*s);
    std::set<std::string> reported;
    // One message per tensor or node, for its first symbol not reported
    // yet: a size of 10^5 unbound terms is one error, not 10^5.
    auto check = [&](const std::set<std::string> &used, llvm::StringRef where,
                     const SourceLoc &loc) {
      for (const std::string &s : used)
        if (!bound.count(s) && reported.insert(s).second) {
          report(fmt::format("size ?{} in {} is not given by any graph "
                             "argument: a size known only at run time must "
                             "be a whole dimension of an input, as in "
                             "f32[?{}]",
                             s, where.str(), s),
                 loc);
          return;
        }
    };
    for (size_t t = 0; t < g.numTensors(); ++t) {
      const Tensor &tensor = g.tensor(TensorId(t));
      if (!tensor.type || tensor.type->isStatic())
        continue;
      std::set<std::string> used;
      for (int64_t d : tensor.type->shape())
        collectSymbols(d, used);
      check(used,
            fmt::format("the type of {}", g.describeTensor(TensorId(t))),
            tensor.loc);
    }
    for (NodeId id : g.liveNodes()) {
      const Node &n = g.node(id);
      std::set<std::string> used;
      for (size_t i = 0; i < n.attrs.size() && i < n.info().attrs.size(); ++i) {
        const Attribute &a = n.attrs[i];
        AttrKind kind = n.info().attrs[i].kind;
        if (kind == AttrKind::Size && a.isInt())
          collectSymbols(a.getInt(), used);
        else if (kind == AttrKind::Sizes && a.isInts())
          for (int64_t v : a.getInts())
            collectSymbols(v, used);
        else if (a.isEpilogue())
          a.getEpilogue().collectSymbols(used);
      }
      if (!used.empty())
        check(used, g.describeNode(id), n.loc);
    }
  }

  void checkNode(NodeId id) {
    const Node &n = g.node(id);
    const OpInfo &info = n.info();
    // Described only on failure: describing is not free on large graphs.
    auto fail = [&](std::string msg) {
      report(g.describeNode(id) + ": " + msg, n.loc);
    };
    int numIn = n.inputs.size();
    if (numIn < info.minInputs ||
        (info.maxInputs >= 0 && numIn > info.maxInputs))
      return fail(fmt::format("has {} inputs; '{}' takes {}{}", numIn,
                              info.name.str(), info.minInputs,
                              info.maxInputs < 0 ? " or more"
                              : info.maxInputs == info.minInputs
                                  ? ""
                                  : fmt::format(" to {}", info.maxInputs)));
    if (n.outputs.size() != 1)
      return fail(fmt::format("has {} results; '{}' has 1", n.outputs.size(),
                              info.name.str()));
    std::vector<TensorType> inTypes;
    bool typed = true;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      TensorId in = n.inputs[i];
      if (!g.isValid(in)) {
        fail(fmt::format("input {} is tensor id {}, but the graph has {} "
                         "tensors",
                         i, in.index(), g.numTensors()));
        typed = false;
      } else if (!g.tensor(in).type) {
        typed = false; // Reported as undefined or untyped by its definer.
      } else {
        inTypes.push_back(*g.tensor(in).type);
      }
    }
    TensorId out = n.outputs.front();
    if (!g.isValid(out))
      return fail(fmt::format("result is tensor id {}, but the graph has {} "
                              "tensors",
                              out.index(), g.numTensors()));
    if (n.attrs.size() != info.attrs.size())
      return fail(fmt::format("has {} attribute values; '{}' declares {}",
                              n.attrs.size(), info.name.str(),
                              info.attrs.size()));
    for (size_t i = 0; i < n.attrs.size(); ++i) {
      llvm::Expected<Attribute> a = checkAttribute(info.attrs[i], n.attrs[i]);
      if (!a)
        return fail(firstMessage(a.takeError()));
      // Compared by kind, not value: a NaN attribute equals nothing.
      if (a->kindName() != n.attrs[i].kindName())
        return fail(fmt::format("attribute '{}' holds {} values; expected {}",
                                info.attrs[i].name, n.attrs[i].kindName().str(),
                                attrKindName(info.attrs[i].kind).str()));
    }
    if (!g.tensor(out).type)
      return fail("the result has no type");
    if (!typed)
      return;
    llvm::Expected<TensorType> t =
        inferResultType(n.op, inTypes, n.attrs, g.tensor(out).type);
    if (!t)
      fail(firstMessage(t.takeError()));
  }

  void checkDefinitions() {
    std::vector<unsigned> defs(g.numTensors(), 0);
    for (TensorId a : g.arguments())
      if (g.isValid(a))
        ++defs[a.index()];
    for (NodeId id : g.liveNodes())
      for (TensorId out : g.node(id).outputs)
        if (g.isValid(out) && ++defs[out.index()] == 2)
          report(fmt::format("{} is defined more than once; the second "
                             "definition is {}",
                             g.describeTensor(out), g.describeNode(id)),
                 g.node(id).loc);
    // The reader is described only on failure: building the text for
    // every input of every node would be most of the verifier's time.
    auto requireDefined = [&](TensorId t, auto describeUser,
                              const SourceLoc &loc) {
      if (g.isValid(t) && defs[t.index()] == 0)
        report(fmt::format("{} reads {}, which is neither a graph argument "
                           "nor defined by a node",
                           describeUser(), g.describeTensor(t)),
               loc);
    };
    for (NodeId id : g.liveNodes())
      for (TensorId in : g.node(id).inputs)
        requireDefined(
            in, [&] { return g.describeNode(id); }, g.node(id).loc);
    for (TensorId out : g.outputs())
      requireDefined(out, [] { return std::string("the graph's return"); }, {});
  }

  void checkNamesAndOutputs() {
    std::map<std::string, TensorId> names;
    auto checkName = [&](TensorId t) {
      if (!g.isValid(t) || g.tensor(t).name.empty())
        return;
      auto [it, inserted] = names.emplace(g.tensor(t).name, t);
      if (!inserted && it->second != t)
        report(fmt::format("tensor name %{} is used by two tensors (ids {} "
                           "and {})",
                           g.tensor(t).name, it->second.index(), t.index()),
               g.tensor(t).loc);
    };
    for (TensorId a : g.arguments())
      checkName(a);
    for (NodeId id : g.liveNodes())
      for (TensorId out : g.node(id).outputs)
        checkName(out);

    if (g.outputs().empty())
      report("the graph has no outputs: nothing would be computed",
             g.returnLoc());
    std::vector<bool> seen(g.numTensors(), false);
    for (size_t i = 0; i < g.outputs().size(); ++i) {
      TensorId out = g.outputs()[i];
      if (!g.isValid(out)) {
        report(fmt::format("graph output is tensor id {}, but the graph has "
                           "{} tensors",
                           out.index(), g.numTensors()),
               g.outputLoc(i));
        continue;
      }
      if (seen[out.index()])
        report(fmt::format("{} is returned twice", g.describeTensor(out)),
               g.outputLoc(i));
      seen[out.index()] = true;
    }
  }

  const Graph &g;
  std::vector<Diagnostic> diags;
};

} // namespace

llvm::Error verify(const Graph &g) { return Verifier(g).run(); }

} // namespace einsum
