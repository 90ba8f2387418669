//===- Builder.cpp --------------------------------------------------------===//
#include "ir/Builder.h"

#include <fmt/format.h>

namespace einsum {

void Builder::fail(std::string message) {
  Diagnostic d;
  d.message = std::move(message);
  diags.push_back(std::move(d));
}

llvm::Error Builder::takeError() {
  if (diags.empty())
    return llvm::Error::success();
  return makeError(std::exchange(diags, {}));
}

TensorId Builder::input(std::string name, TensorType type) {
  std::string bad = checkShape(type.shape());
  if (!bad.empty()) {
    fail(fmt::format("input %{}: {}", name, bad));
    return TensorId::invalid();
  }
  return g.addInput(std::move(name), std::move(type));
}

TensorId Builder::parameter(std::string name, TensorType type) {
  std::string bad = checkShape(type.shape());
  if (!bad.empty()) {
    fail(fmt::format("parameter %{}: {}", name, bad));
    return TensorId::invalid();
  }
  return g.addParameter(std::move(name), std::move(type));
}

void Builder::output(TensorId id, std::string name) {
  if (!g.isValid(id))
    return;
  if (!name.empty())
    g.tensor(id).name = std::move(name);
  g.addOutput(id);
}

TensorId Builder::op(OpKind kind, llvm::ArrayRef<TensorId> inputs,
                     llvm::ArrayRef<NamedAttribute> attrs, std::string name,
                     std::optional<TensorType> declared) {
  for (TensorId in : inputs)
    if (!in.isValid())
      return TensorId::invalid(); // An earlier call failed and said why.
  TensorId out = declared ? g.addTensor(name, *declared) : g.addTensor(name);
  llvm::Expected<NodeId> node = g.addNode(kind, inputs, {out}, attrs);
  if (node)
    return out;
  // The result tensor stays in the graph unreferenced; give it no name so
  // that it cannot clash with a later, valid one.
  g.tensor(out).name.clear();
  std::string msg = firstMessage(node.takeError());
  fail(name.empty() ? msg : fmt::format("%{}: {}", name, msg));
  return TensorId::invalid();
}

TensorId Builder::einsum(llvm::StringRef spec, llvm::ArrayRef<TensorId> inputs,
                         std::string name) {
  return op(OpKind::Einsum, inputs, {{"spec", Attribute::ofString(spec.str())}},
            std::move(name));
}

TensorId Builder::unary(OpKind kind, TensorId x, std::string name) {
  assert(opInfo(kind).category == OpCategory::Unary && "not a unary op");
  return op(kind, {x}, {}, std::move(name));
}
TensorId Builder::neg(TensorId x, std::string name) {
  return unary(OpKind::Neg, x, std::move(name));
}
TensorId Builder::abs(TensorId x, std::string name) {
  return unary(OpKind::Abs, x, std::move(name));
}
TensorId Builder::exp(TensorId x, std::string name) {
  return unary(OpKind::Exp, x, std::move(name));
}
TensorId Builder::sqrt(TensorId x, std::string name) {
  return unary(OpKind::Sqrt, x, std::move(name));
}

TensorId Builder::cast(TensorId x, DType to, std::string name) {
  if (!x.isValid())
    return TensorId::invalid();
  if (!g.isValid(x) || !g.tensor(x).type) {
    fail(fmt::format("cast: input {} has no type", x.index()));
    return TensorId::invalid();
  }
  return op(OpKind::Cast, {x}, {}, std::move(name),
            g.type(x).withElementType(to));
}

TensorId Builder::binary(OpKind kind, TensorId a, TensorId b,
                         std::string name) {
  assert(opInfo(kind).category == OpCategory::Binary && "not a binary op");
  return op(kind, {a, b}, {}, std::move(name));
}
TensorId Builder::add(TensorId a, TensorId b, std::string name) {
  return binary(OpKind::Add, a, b, std::move(name));
}
TensorId Builder::sub(TensorId a, TensorId b, std::string name) {
  return binary(OpKind::Sub, a, b, std::move(name));
}
TensorId Builder::mul(TensorId a, TensorId b, std::string name) {
  return binary(OpKind::Mul, a, b, std::move(name));
}
TensorId Builder::div(TensorId a, TensorId b, std::string name) {
  return binary(OpKind::Div, a, b, std::move(name));
}

TensorId Builder::reduce(llvm::StringRef kind, TensorId x,
                         std::vector<int64_t> axes, bool keepDims,
                         std::string name) {
  return op(OpKind::Reduce, {x},
            {{"kind", Attribute::ofString(kind.str())},
             {"axes", Attribute::ofInts(std::move(axes))},
             {"keepdims", Attribute::ofBool(keepDims)}},
            std::move(name));
}

TensorId Builder::softmax(TensorId x, int64_t axis, std::string name) {
  return op(OpKind::Softmax, {x}, {{"axis", Attribute::ofInt(axis)}},
            std::move(name));
}

TensorId Builder::expandDims(TensorId x, std::vector<int64_t> axes,
                             std::string name) {
  return op(OpKind::ExpandDims, {x},
            {{"axes", Attribute::ofInts(std::move(axes))}}, std::move(name));
}

TensorId Builder::reshape(TensorId x, std::vector<int64_t> shape,
                          std::string name) {
  return op(OpKind::Reshape, {x},
            {{"shape", Attribute::ofInts(std::move(shape))}}, std::move(name));
}

TensorId Builder::transpose(TensorId x, std::vector<int64_t> perm,
                            std::string name) {
  return op(OpKind::Transpose, {x},
            {{"perm", Attribute::ofInts(std::move(perm))}}, std::move(name));
}

TensorId Builder::gather(TensorId table, TensorId indices, int64_t axis,
                         std::string name) {
  return op(OpKind::Gather, {table, indices},
            {{"axis", Attribute::ofInt(axis)}}, std::move(name));
}

TensorId Builder::concat(llvm::ArrayRef<TensorId> inputs, int64_t axis,
                         std::string name) {
  return op(OpKind::Concat, inputs, {{"axis", Attribute::ofInt(axis)}},
            std::move(name));
}

TensorId Builder::scalar(double value, DType dtype, std::string name) {
  return splat(value, TensorType(dtype, {}), std::move(name));
}

TensorId Builder::splat(double value, TensorType type, std::string name) {
  return op(OpKind::Constant, {}, {{"value", Attribute::ofFloat(value)}},
            std::move(name), std::move(type));
}

TensorId Builder::constant(std::vector<double> data, TensorType type,
                           std::string name) {
  return op(OpKind::Constant, {},
            {{"data", Attribute::ofFloats(std::move(data))}}, std::move(name),
            std::move(type));
}

TensorId Builder::iota(TensorType type, int64_t axis, std::string name,
                       int64_t offset) {
  std::vector<NamedAttribute> attrs = {{"axis", Attribute::ofInt(axis)}};
  if (offset != 0)
    attrs.emplace_back("offset", Attribute::ofInt(offset));
  return op(OpKind::Iota, {}, std::move(attrs), std::move(name),
            std::move(type));
}

TensorId Builder::distance(TensorType type, llvm::StringRef form,
                           int64_t queryOffset, std::string name) {
  return op(OpKind::Distance, {},
            {{"form", Attribute::ofString(form.str())},
             {"query_offset", Attribute::ofInt(queryOffset)}},
            std::move(name), std::move(type));
}

TensorId Builder::alibiSlopes(int64_t nHeads, DType dtype, SlopeRecipe recipe,
                              double maxBias, int64_t headOffset,
                              int64_t totalHeads, std::string name) {
  return op(OpKind::AlibiSlopes, {},
            {{"max_bias", Attribute::ofFloat(maxBias)},
             {"recipe", Attribute::ofString(slopeRecipeName(recipe).str())},
             {"head_offset", Attribute::ofInt(headOffset)},
             {"total_heads", Attribute::ofInt(totalHeads)}},
            std::move(name), TensorType(dtype, {nHeads}));
}

TensorId Builder::causalMask(TensorType type, int64_t queryOffset,
                             std::string name) {
  return op(OpKind::CausalMask, {},
            {{"query_offset", Attribute::ofInt(queryOffset)}}, std::move(name),
            std::move(type));
}

} // namespace einsum
