//===- WidenHalfFloats.cpp ------------------------------------------------===//
#include "backends/cpu/WidenHalfFloats.h"

#include "backends/cpu/LowerMatmul.h"
#include "ir/Diagnostic.h"
#include "ir/FusedNode.h"
#include "ir/Verifier.h"

#include "llvm/ADT/DenseMap.h"

namespace einsum::cpu {

bool lowersHalfFloats(OpKind op) {
  switch (op) {
  case OpKind::Cast:
  case OpKind::ExpandDims:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::Gather:
  case OpKind::Concat:
  // Both compute their values in double when the graph is compiled and
  // round them once to the element type.
  case OpKind::Constant:
  case OpKind::AlibiSlopes:
  // The flash kernel widens q and k as it packs and loads them, v as it
  // reads it, and rounds its result as it stores it.
  case OpKind::Attention:
    return true;
  default:
    return false;
  }
}

static bool isHalf(const Graph &g, TensorId t) {
  return isHalfFloat(g.type(t).elementType());
}

/// A matrix product of 16-bit terms into f32 widens its terms as it packs
/// them. (A 16-bit result would hold the partial sums of its depth
/// blocks: it goes through f32 and a cast.)
static bool isWideningProduct(const Graph &g, const Node &node) {
  if ((node.op != OpKind::Einsum && node.op != OpKind::Contraction) ||
      g.type(node.result()).elementType() != DType::F32)
    return false;
  size_t terms = contractionTerms(node).size();
  llvm::Expected<EinsumSpec> spec =
      EinsumSpec::parse(node.attr("spec").getString(), terms);
  if (!spec) {
    llvm::consumeError(spec.takeError());
    return false;
  }
  return isMatrixProduct(*spec);
}

llvm::Expected<Graph> widenHalfFloats(const Graph &source) {
  Graph g = source;
  // One f32 copy per 16-bit tensor, however many nodes read it.
  llvm::DenseMap<uint32_t, TensorId> widened;
  auto addCast = [&](TensorId from, TensorId to, const SourceLoc &loc) {
    Node cast;
    cast.op = OpKind::Cast;
    cast.inputs = {from};
    cast.outputs = {to};
    cast.loc = loc;
    g.addNodeUnchecked(std::move(cast));
  };
  auto widen = [&](TensorId t, const SourceLoc &loc) {
    if (!isHalf(g, t))
      return t;
    auto [it, fresh] = widened.try_emplace(t.index());
    if (fresh) {
      it->second = g.addTensor("", g.type(t).withElementType(DType::F32));
      addCast(t, it->second, loc);
    }
    return it->second;
  };
  bool changed = false;
  for (NodeId id : source.liveNodes()) {
    // A copy: adding nodes moves the graph's node storage.
    Node node = g.node(id);
    if (lowersHalfFloats(node.op) || isWideningProduct(g, node) ||
        (llvm::none_of(node.inputs, [&](TensorId t) { return isHalf(g, t); }) &&
         llvm::none_of(node.outputs, [&](TensorId t) { return isHalf(g, t); })))
      continue;
    changed = true;
    g.eraseNode(id);
    for (TensorId &in : node.inputs)
      in = widen(in, node.loc);
    std::vector<std::pair<TensorId, TensorId>> narrowed;
    for (TensorId &out : node.outputs) {
      if (!isHalf(g, out))
        continue;
      TensorId wide = g.addTensor("", g.type(out).withElementType(DType::F32));
      narrowed.emplace_back(wide, out);
      out = wide;
    }
    SourceLoc loc = node.loc;
    g.addNodeUnchecked(std::move(node));
    for (auto [wide, out] : narrowed)
      addCast(wide, out, loc);
  }
  if (!changed)
    return g;
  if (llvm::Error err = verify(g))
    return makeError("cpu backend: internal error: widening f16 and bf16 to "
                     "f32: " +
                     firstMessage(std::move(err)));
  return g;
}

} // namespace einsum::cpu
