//===- SizeBindings.cpp ---------------------------------------------------===//
#include "ir/SizeBindings.h"

#include "ir/Diagnostic.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>

#include <cassert>

namespace einsum {

std::set<std::string> graphSymbols(const Graph &g) {
  std::set<std::string> out;
  for (size_t t = 0; t < g.numTensors(); ++t)
    if (const std::optional<TensorType> &type = g.tensor(TensorId(t)).type)
      for (int64_t d : type->shape())
        collectSymbols(d, out);
  for (NodeId id : g.liveNodes()) {
    const Node &n = g.node(id);
    const OpInfo &info = n.info();
    for (size_t i = 0; i < n.attrs.size() && i < info.attrs.size(); ++i) {
      const Attribute &a = n.attrs[i];
      if (info.attrs[i].kind == AttrKind::Size && a.isInt())
        collectSymbols(a.getInt(), out);
      else if (info.attrs[i].kind == AttrKind::Sizes && a.isInts())
        for (int64_t s : a.getInts())
          collectSymbols(s, out);
      else if (a.isEpilogue())
        a.getEpilogue().collectSymbols(out);
    }
  }
  return out;
}

std::vector<SymbolSource>
symbolSources(llvm::ArrayRef<TensorType> argumentTypes) {
  std::map<std::string, SymbolSource> first;
  for (auto [a, type] : llvm::enumerate(argumentTypes))
    for (unsigned d = 0; d < type.rank(); ++d)
      if (std::optional<std::string> s = loneSymbol(type.dim(d)))
        first.emplace(*s, SymbolSource{*s, unsigned(a), d});
  std::vector<SymbolSource> out;
  for (auto &[symbol, source] : first)
    out.push_back(std::move(source));
  return out;
}

/// "?k = 7, ?q = 1" for the symbols `s` mentions.
static std::string valuesOf(int64_t s, const SizeBindings &bindings) {
  std::set<std::string> symbols;
  collectSymbols(s, symbols);
  SizeBindings used;
  for (const std::string &name : symbols) {
    auto it = bindings.find(name);
    if (it != bindings.end())
      used.insert(*it);
  }
  return bindingsStr(used);
}

std::string bindingsStr(const SizeBindings &bindings) {
  std::string s;
  for (const auto &[name, value] : bindings)
    s += fmt::format("{}?{} = {}", s.empty() ? "" : ", ", name, value);
  return s;
}

llvm::Expected<SizeBindings> bindSizes(llvm::ArrayRef<TensorType> declared,
                                       llvm::ArrayRef<std::string> names,
                                       llvm::ArrayRef<TensorType> given,
                                       llvm::StringRef what) {
  assert(declared.size() == given.size() && names.size() == given.size() &&
         "one given type per argument");
  auto subject = [&](size_t i) {
    return fmt::format("{} {} ('{}')", what.str(), i, names[i]);
  };
  auto mismatch = [&](size_t i, std::string detail) {
    return makeError(fmt::format("{} has type {}, expected {}{}", subject(i),
                                 given[i].str(), declared[i].str(), detail));
  };
  SizeBindings bindings;
  std::map<std::string, std::pair<size_t, unsigned>> source;
  for (size_t i = 0; i < declared.size(); ++i) {
    const TensorType &want = declared[i], &got = given[i];
    if (want.rank() != got.rank() || want.elementType() != got.elementType())
      return mismatch(i, "");
    for (unsigned d = 0; d < want.rank(); ++d) {
      if (!isSymbolicSize(want.dim(d))) {
        if (want.dim(d) != got.dim(d))
          return mismatch(i, "");
        continue;
      }
      std::optional<std::string> symbol = loneSymbol(want.dim(d));
      if (!symbol)
        continue;
      auto [it, added] = bindings.emplace(*symbol, got.dim(d));
      if (added) {
        source[*symbol] = {i, d};
        continue;
      }
      if (it->second != got.dim(d)) {
        auto [from, fromDim] = source[*symbol];
        return mismatch(
            i, fmt::format(": ?{} is {} here but {} on dimension {} of {}",
                           *symbol, got.dim(d), it->second, fromDim,
                           from == i ? "the same " + what.str()
                                     : subject(from)));
      }
    }
  }
  // Dimensions that are expressions, once every symbol has its value.
  for (size_t i = 0; i < declared.size(); ++i)
    for (unsigned d = 0; d < declared[i].rank(); ++d) {
      int64_t want = declared[i].dim(d);
      if (!isSymbolicSize(want) || loneSymbol(want))
        continue;
      llvm::Expected<int64_t> v = evaluateSize(want, bindings);
      if (!v)
        return makeError(subject(i) + ": " + firstMessage(v.takeError()));
      if (*v != given[i].dim(d))
        return mismatch(i, fmt::format(": dimension {} is {}, which is {} "
                                       "with {}",
                                       d, sizeStr(want), *v,
                                       valuesOf(want, bindings)));
    }
  return bindings;
}

llvm::Expected<TensorType> specializeType(const TensorType &t,
                                          const SizeBindings &bindings) {
  if (t.isStatic())
    return t;
  std::vector<int64_t> dims;
  for (unsigned d = 0; d < t.rank(); ++d) {
    llvm::Expected<int64_t> v = evaluateSize(t.dim(d), bindings);
    if (!v)
      return v.takeError();
    if (*v < 1)
      return makeError(fmt::format("dimension {} of {} is {} with {}; "
                                   "dimensions must be positive",
                                   d, t.str(), *v,
                                   valuesOf(t.dim(d), bindings)));
    dims.push_back(*v);
  }
  std::string bad = checkShape(dims);
  if (!bad.empty())
    return makeError(fmt::format("{} with {}: {}", t.str(),
                                 bindingsStr(bindings), bad));
  return TensorType(t.elementType(), std::move(dims));
}

//===--- Requirements -----------------------------------------------------===//

SizeRequirements::SizeRequirements(const Graph &g) {
  std::set<std::vector<int64_t>> seen;
  for (size_t t = 0; t < g.numTensors(); ++t) {
    const std::optional<TensorType> &type = g.tensor(TensorId(t)).type;
    if (!type || type->isStatic() ||
        !seen.insert(type->shape().vec()).second)
      continue;
    shapes.push_back({g.describeTensor(TensorId(t)) + ": " + type->str(),
                      type->shape().vec()});
  }
  for (NodeId id : g.liveNodes()) {
    const Node &n = g.node(id);
    const OpInfo &info = n.info();
    for (size_t i = 0; i < n.attrs.size() && i < info.attrs.size(); ++i)
      if (info.attrs[i].kind == AttrKind::Size && n.attrs[i].isInt() &&
          isSymbolicSize(n.attrs[i].getInt()))
        offsets.push_back(
            {g.describeNode(id), info.attrs[i].name, n.attrs[i].getInt()});
  }
}

llvm::Error SizeRequirements::check(const SizeBindings &bindings) const {
  for (const Shape &s : shapes) {
    std::vector<int64_t> dims;
    for (int64_t d : s.dims) {
      llvm::Expected<int64_t> v = evaluateSize(d, bindings);
      if (!v)
        return makeError(s.subject + ": " + firstMessage(v.takeError()));
      if (*v < 1)
        return makeError(fmt::format("{}: dimension {} is {} with {}; "
                                     "dimensions must be positive",
                                     s.subject, sizeStr(d), *v,
                                     valuesOf(d, bindings)));
      dims.push_back(*v);
    }
    std::string bad = checkShape(dims);
    if (!bad.empty())
      return makeError(fmt::format("{} with {}: {}", s.subject,
                                   bindingsStr(bindings), bad));
  }
  for (const Offset &o : offsets) {
    llvm::Expected<int64_t> v = evaluateSize(o.size, bindings);
    if (!v)
      return makeError(o.subject + ": " + firstMessage(v.takeError()));
    if (*v < -kMaxElements || *v > kMaxElements)
      return makeError(fmt::format("{}: {} {} is {} with {}; expected -2^48 "
                                   "to 2^48",
                                   o.subject, o.attribute, sizeStr(o.size), *v,
                                   valuesOf(o.size, bindings)));
  }
  return llvm::Error::success();
}

//===--- Instantiation ----------------------------------------------------===//

llvm::Expected<Graph> specializeGraph(const Graph &g,
                                      const SizeBindings &bindings) {
  Graph out = g;
  for (size_t t = 0; t < g.numTensors(); ++t) {
    const std::optional<TensorType> &type = g.tensor(TensorId(t)).type;
    if (!type || type->isStatic())
      continue;
    llvm::Expected<TensorType> s = specializeType(*type, bindings);
    if (!s)
      return makeError(g.describeTensor(TensorId(t)) + ": " +
                       firstMessage(s.takeError()));
    out.tensor(TensorId(t)).type = std::move(*s);
  }
  for (size_t i = 0; i < g.numNodes(); ++i) {
    Node &n = out.node(NodeId(i));
    const OpInfo &info = n.info();
    for (size_t k = 0; k < n.attrs.size() && k < info.attrs.size(); ++k) {
      Attribute &a = n.attrs[k];
      auto valueOf = [&](int64_t s) -> llvm::Expected<int64_t> {
        llvm::Expected<int64_t> v = evaluateSize(s, bindings);
        if (!v)
          return makeError(g.describeNode(NodeId(i)) + ": " +
                           firstMessage(v.takeError()));
        return v;
      };
      if (info.attrs[k].kind == AttrKind::Size && a.isInt()) {
        llvm::Expected<int64_t> v = valueOf(a.getInt());
        if (!v)
          return v.takeError();
        a = Attribute::ofInt(*v);
      } else if (info.attrs[k].kind == AttrKind::Sizes && a.isInts()) {
        std::vector<int64_t> values;
        for (int64_t s : a.getInts()) {
          llvm::Expected<int64_t> v = valueOf(s);
          if (!v)
            return v.takeError();
          values.push_back(*v);
        }
        a = Attribute::ofInts(std::move(values));
      } else if (a.isEpilogue()) {
        llvm::Expected<Epilogue> e =
            a.getEpilogue().substituteSymbols(bindings);
        if (!e)
          return makeError(g.describeNode(NodeId(i)) + ": " +
                           firstMessage(e.takeError()));
        a = Attribute::ofEpilogue(std::move(*e));
      }
    }
  }
  return out;
}

} // namespace einsum
