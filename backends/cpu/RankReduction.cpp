//===- RankReduction.cpp - Ops lowered over the dimensions they need ------===//
//
// Each family drops the unit dimensions, then merges neighbours that play
// the same role:
// - elementwise: result dimensions that the same operands walk (the others
//   broadcast along them);
// - reduce: input dimensions that are all reduced or all kept; the result
//   drops the reduced ones (keepdims does not change the element order);
// - softmax: everything before the axis, the axis, everything after it;
// - transpose: input dimensions that stay neighbours, in order, in the
//   result;
// - concat: everything before the axis, then the axis and everything after
//   it (each input's rows are contiguous), dropping the first if it is 1.
// When nothing is left, one dimension of size 1 stands for the scalar.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/RankReduction.h"

#include "ir/TypeInference.h"

#include <algorithm>
#include <numeric>

namespace einsum::cpu {

namespace {

void setAttr(Node &node, llvm::StringRef name, Attribute value) {
  std::optional<unsigned> idx = node.info().attrIndex(name);
  assert(idx && *idx < node.attrs.size() && "attribute not declared");
  node.attrs[*idx] = std::move(value);
}

/// Result dimensions of size > 1, merged where the same operands walk them:
/// bit k of a mask says operand k has the dimension (else it broadcasts).
ReducedNode reduceElementwise(const Graph &g, const Node &node) {
  const TensorType &result = g.type(node.result());
  std::vector<int64_t> sizes;
  std::vector<unsigned> masks;
  for (unsigned d = 0; d < result.rank(); ++d) {
    if (result.dim(d) == 1)
      continue;
    unsigned mask = 0;
    for (auto [k, t] : llvm::enumerate(node.inputs)) {
      const TensorType &operand = g.type(t);
      unsigned lead = result.rank() - operand.rank();
      if (d >= lead && operand.dim(d - lead) == result.dim(d))
        mask |= 1u << k;
    }
    std::optional<int64_t> merged =
        !masks.empty() && masks.back() == mask
            ? multiplySizes(sizes.back(), result.dim(d))
            : std::nullopt;
    if (merged) {
      sizes.back() = *merged;
    } else {
      sizes.push_back(result.dim(d));
      masks.push_back(mask);
    }
  }
  if (sizes.empty()) {
    sizes.push_back(1);
    masks.push_back(~0u);
  }
  ReducedNode r{node, {}, TensorType(result.elementType(), sizes)};
  for (auto [k, t] : llvm::enumerate(node.inputs)) {
    std::vector<int64_t> shape(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i)
      shape[i] = (masks[i] >> k) & 1 ? sizes[i] : 1;
    r.inputs.emplace_back(g.type(t).elementType(), std::move(shape));
  }
  return r;
}

std::optional<ReducedNode> reduceReduce(const Graph &g, const Node &node) {
  const TensorType &in = g.type(node.inputs[0]);
  std::vector<bool> reduced(in.rank(), false);
  for (int64_t axis : node.attr("axes").getInts()) {
    llvm::Expected<unsigned> a = normalizeAxis(axis, in.rank());
    if (!a) {
      llvm::consumeError(a.takeError());
      return std::nullopt;
    }
    reduced[*a] = true;
  }
  // A unit dimension adds one element to a group: dropping it, reduced or
  // not, changes no sum (the lowering starts every element at the identity
  // whether or not anything is reduced).
  std::vector<int64_t> sizes;
  std::vector<bool> groupReduced;
  for (unsigned d = 0; d < in.rank(); ++d) {
    if (in.dim(d) == 1)
      continue;
    std::optional<int64_t> merged =
        !sizes.empty() && groupReduced.back() == reduced[d]
            ? multiplySizes(sizes.back(), in.dim(d))
            : std::nullopt;
    if (merged) {
      sizes.back() = *merged;
    } else {
      sizes.push_back(in.dim(d));
      groupReduced.push_back(reduced[d]);
    }
  }
  if (sizes.empty()) {
    sizes.push_back(1);
    groupReduced.push_back(false);
  }
  std::vector<int64_t> axes, kept;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (groupReduced[i])
      axes.push_back(i);
    else
      kept.push_back(sizes[i]);
  }
  // Everything reduced merges into one group: keep it as [1] rather than
  // lowering a rank-0 result.
  bool keepDims = kept.empty();
  if (keepDims)
    kept.push_back(1);
  ReducedNode r{node,
                {TensorType(in.elementType(), sizes)},
                TensorType(g.type(node.result()).elementType(), kept)};
  setAttr(r.node, "axes", Attribute::ofInts(axes));
  setAttr(r.node, "keepdims", Attribute::ofBool(keepDims));
  return r;
}

namespace {
/// A node's `axis` attribute, checked against `t`, with the element counts
/// before and after it: the [outer, axis, inner] view of t.
struct AxisSplit {
  unsigned axis;
  int64_t outer = 1, inner = 1;
};
} // namespace

static std::optional<AxisSplit> splitAtAxis(const Node &node,
                                            const TensorType &t) {
  llvm::Expected<unsigned> axisOr =
      normalizeAxis(node.attr("axis").getInt(), t.rank());
  if (!axisOr) {
    llvm::consumeError(axisOr.takeError());
    return std::nullopt;
  }
  AxisSplit s{*axisOr};
  // Sizes, as long as the products stay affine (ir/Size.h).
  for (unsigned d = 0; d < t.rank(); ++d) {
    if (d == s.axis)
      continue;
    int64_t &part = d < s.axis ? s.outer : s.inner;
    std::optional<int64_t> product = multiplySizes(part, t.dim(d));
    if (!product)
      return std::nullopt;
    part = *product;
  }
  return s;
}

std::optional<ReducedNode> reduceSoftmax(const Graph &g, const Node &node) {
  const TensorType &in = g.type(node.inputs[0]);
  std::optional<AxisSplit> split = splitAtAxis(node, in);
  if (!split)
    return std::nullopt;
  auto [axis, outer, inner] = *split;
  // Rows stay a dimension even of size 1: a rank-1 softmax takes the scalar
  // loop nest, not the vector kernel.
  std::vector<int64_t> shape = {outer, in.dim(axis)};
  if (inner != 1)
    shape.push_back(inner);
  TensorType type(in.elementType(), shape);
  ReducedNode r{node, {type}, type};
  setAttr(r.node, "axis", Attribute::ofInt(1));
  return r;
}

std::optional<ReducedNode> reduceTranspose(const Graph &g, const Node &node) {
  const TensorType &in = g.type(node.inputs[0]);
  const std::vector<int64_t> &perm = node.attr("perm").getInts();
  if (perm.size() != in.rank())
    return std::nullopt;
  // Input dimensions of size > 1 get consecutive numbers, so that two of
  // them with only unit dimensions between them count as neighbours.
  std::vector<int64_t> compact(in.rank(), -1);
  int64_t next = 0;
  for (unsigned d = 0; d < in.rank(); ++d)
    if (in.dim(d) != 1)
      compact[d] = next++;
  // Runs of neighbouring input dimensions in result order: {first, size}.
  std::vector<std::pair<int64_t, int64_t>> runs;
  int64_t last = -2;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(in.rank()))
      return std::nullopt;
    if (compact[p] < 0)
      continue;
    std::optional<int64_t> merged =
        compact[p] == last + 1 ? multiplySizes(runs.back().second, in.dim(p))
                               : std::nullopt;
    if (merged)
      runs.back().second = *merged;
    else
      runs.push_back({compact[p], in.dim(p)});
    last = compact[p];
  }
  if (runs.empty())
    runs.push_back({0, 1});
  std::vector<int64_t> byInput(runs.size());
  std::iota(byInput.begin(), byInput.end(), 0);
  std::sort(byInput.begin(), byInput.end(), [&](int64_t x, int64_t y) {
    return runs[x].first < runs[y].first;
  });
  std::vector<int64_t> position(runs.size()), inShape, outShape, newPerm;
  for (size_t k = 0; k < byInput.size(); ++k) {
    position[byInput[k]] = k;
    inShape.push_back(runs[byInput[k]].second);
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    outShape.push_back(runs[i].second);
    newPerm.push_back(position[i]);
  }
  ReducedNode r{node,
                {TensorType(in.elementType(), inShape)},
                TensorType(g.type(node.result()).elementType(), outShape)};
  setAttr(r.node, "perm", Attribute::ofInts(newPerm));
  return r;
}

/// Input k is [outer, size_k * inner] and fills columns of the result's
/// [outer, total * inner] rows; with outer 1, just [size_k * inner].
std::optional<ReducedNode> reduceConcat(const Graph &g, const Node &node) {
  const TensorType &result = g.type(node.result());
  std::optional<AxisSplit> split = splitAtAxis(node, result);
  if (!split)
    return std::nullopt;
  auto [axis, outer, inner] = *split;
  auto reducedType = [&](const TensorType &t) -> std::optional<TensorType> {
    std::optional<int64_t> columns = multiplySizes(t.dim(axis), inner);
    if (!columns)
      return std::nullopt;
    return outer == 1 ? TensorType(t.elementType(), {*columns})
                      : TensorType(t.elementType(), {outer, *columns});
  };
  std::optional<TensorType> out = reducedType(result);
  if (!out)
    return std::nullopt;
  ReducedNode r{node, {}, *out};
  for (TensorId t : node.inputs) {
    const TensorType &in = g.type(t);
    if (in.rank() != result.rank())
      return std::nullopt;
    std::optional<TensorType> reduced = reducedType(in);
    if (!reduced)
      return std::nullopt;
    r.inputs.push_back(*reduced);
  }
  setAttr(r.node, "axis", Attribute::ofInt(outer == 1 ? 0 : 1));
  return r;
}

} // namespace

std::optional<ReducedNode> reduceRank(const Graph &g, NodeId id) {
  const Node &node = g.node(id);
  if (node.outputs.size() != 1)
    return std::nullopt;
  switch (node.op) {
#define OP(...)
#define UNARY_OP(Id, ...) case OpKind::Id:
#define BINARY_OP(Id, ...) case OpKind::Id:
#include "ir/Ops.def"
  case OpKind::Cast:
    return reduceElementwise(g, node);
  case OpKind::Reduce:
    return reduceReduce(g, node);
  case OpKind::Softmax:
    return reduceSoftmax(g, node);
  case OpKind::Transpose:
    return reduceTranspose(g, node);
  case OpKind::Concat:
    return reduceConcat(g, node);
  default:
    return std::nullopt;
  }
}

} // namespace einsum::cpu
