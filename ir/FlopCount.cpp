//===- FlopCount.cpp ------------------------------------------------------===//
#include "ir/FlopCount.h"

#include "ir/EinsumSpec.h"

#include <fmt/format.h>

namespace einsum {

static llvm::Error overflowError(llvm::StringRef what) {
  return makeError(fmt::format("{} does more than {} flops, which a 64-bit "
                               "count cannot hold",
                               what.str(), UINT64_MAX));
}

/// 2 * the product of `factors`, or nothing if it does not fit.
static std::optional<uint64_t> twiceProduct(llvm::ArrayRef<uint64_t> factors) {
  uint64_t product = 2;
  for (uint64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product))
      return std::nullopt;
  return product;
}

static llvm::Expected<uint64_t> einsumFlops(const Graph &g, NodeId id) {
  const Node &node = g.node(id);
  llvm::StringRef text = node.attr("spec").getString();
  // A contraction's inputs after the terms feed its epilogue.
  size_t terms = node.op == OpKind::Contraction
                     ? EinsumSpec::countInputTerms(text)
                     : node.inputs.size();
  if (terms < 2)
    return 0;
  llvm::Expected<EinsumSpec> spec = EinsumSpec::parse(text, terms);
  if (!spec)
    return spec.takeError();
  std::vector<TensorType> types;
  for (size_t i = 0; i < terms; ++i)
    types.push_back(g.type(node.inputs[i]));
  llvm::Expected<std::map<char, int64_t>> sizes = spec->labelSizes(types);
  if (!sizes)
    return sizes.takeError();
  std::vector<uint64_t> factors;
  for (const auto &[label, size] : *sizes)
    factors.push_back(uint64_t(size));
  std::optional<uint64_t> flops = twiceProduct(factors);
  if (!flops)
    return overflowError(g.describeNode(id));
  return *flops;
}

static llvm::Expected<uint64_t> attentionFlops(const Graph &g, NodeId id) {
  const Node &node = g.node(id);
  const TensorType &q = g.type(node.inputs[0]), &k = g.type(node.inputs[1]),
                   &v = g.type(node.inputs[2]);
  // Dimensions are below 2^63, so d + dv fits.
  std::optional<uint64_t> flops = twiceProduct(
      {uint64_t(q.dim(0)), uint64_t(q.dim(1)), uint64_t(q.dim(2)),
       uint64_t(k.dim(2)), uint64_t(q.dim(3)) + uint64_t(v.dim(3))});
  if (!flops)
    return overflowError(g.describeNode(id));
  return *flops;
}

llvm::Expected<uint64_t> contractionFlops(const Graph &g, NodeId id) {
  const Node &node = g.node(id);
  switch (node.op) {
  case OpKind::Einsum:
  case OpKind::Contraction:
    return einsumFlops(g, id);
  case OpKind::Attention:
    return attentionFlops(g, id);
  default:
    assert(node.info().category != OpCategory::Contraction &&
           "a contraction op without a flop count");
    return 0;
  }
}

llvm::Expected<uint64_t> contractionFlops(const Graph &g) {
  uint64_t total = 0;
  for (NodeId id : g.liveNodes()) {
    llvm::Expected<uint64_t> flops = contractionFlops(g, id);
    if (!flops)
      return flops.takeError();
    if (__builtin_add_overflow(total, *flops, &total))
      return overflowError(fmt::format("graph '{}'", g.name()));
  }
  return total;
}

} // namespace einsum
