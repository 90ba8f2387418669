//===- FusedNode.cpp ------------------------------------------------------===//
#include "ir/FusedNode.h"
#include "ir/EinsumSpec.h"

#include <algorithm>

namespace einsum {

bool hasEpilogue(OpKind op) {
  return op == OpKind::Einsum || op == OpKind::Contraction ||
         op == OpKind::Attention;
}

static size_t numTerms(const Node &n) {
  assert(hasEpilogue(n.op) && "not a contraction-like node");
  if (n.op == OpKind::Einsum)
    return n.inputs.size();
  if (n.op == OpKind::Attention)
    return std::min<size_t>(3, n.inputs.size());
  return std::min(EinsumSpec::countInputTerms(n.attr("spec").getString()),
                  n.inputs.size());
}

llvm::ArrayRef<TensorId> contractionTerms(const Node &n) {
  return llvm::ArrayRef<TensorId>(n.inputs).take_front(numTerms(n));
}

llvm::ArrayRef<TensorId> epilogueOperands(const Node &n) {
  return llvm::ArrayRef<TensorId>(n.inputs).drop_front(numTerms(n));
}

const Epilogue &nodeEpilogue(const Node &n) {
  static const Epilogue identity;
  switch (n.op) {
  case OpKind::Contraction:
    return n.attr("epilogue").getEpilogue();
  case OpKind::Attention:
    return n.attr("score_epilogue").getEpilogue();
  default:
    assert(n.op == OpKind::Einsum && "not a contraction-like node");
    return identity;
  }
}

} // namespace einsum
