//===- FusedNode.h - How a fused node's inputs split ------------*- C++ -*-===//
//
// A `contraction` reads its einsum terms first (one per input term of its
// spec) and its epilogue operands `$0, $1, ...` after them; an `attention`
// reads q, k, v and then its score epilogue's operands; an `einsum` is a
// contraction with the identity epilogue and no operands. Every pass and
// backend asks these accessors instead of recounting.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_FUSEDNODE_H
#define EINSUM_IR_FUSEDNODE_H

#include "ir/Graph.h"

#include "llvm/ADT/StringRef.h"

namespace einsum {

/// The loop labels of an attention node's score epilogue: batch, query
/// head, query row, key column.
inline constexpr llvm::StringLiteral kAttentionLabels = "bhij";

/// Whether `op` carries an epilogue (einsum's is the implicit identity).
bool hasEpilogue(OpKind op);

/// The inputs the contraction reads as products: the spec's terms, or q, k
/// and v. `n` is an einsum, contraction or attention.
llvm::ArrayRef<TensorId> contractionTerms(const Node &n);
/// The inputs after the terms: `$0`, `$1`, ... of the epilogue.
llvm::ArrayRef<TensorId> epilogueOperands(const Node &n);
/// The epilogue of a contraction or attention; `acc` for an einsum.
const Epilogue &nodeEpilogue(const Node &n);

} // namespace einsum

#endif // EINSUM_IR_FUSEDNODE_H
