//===- RewriteUtils.h - Graph surgery shared by passes ----------*- C++ -*-===//
#ifndef EINSUM_PASSES_REWRITEUTILS_H
#define EINSUM_PASSES_REWRITEUTILS_H

#include "ir/Graph.h"

#include <optional>

namespace einsum {

/// Erases live nodes none of whose results is read by a live node or
/// returned; repeats until none is left. Returns how many were erased.
size_t eraseDeadNodes(Graph &g);

/// Makes `result` defined by a new `op` node instead of its current
/// producer, which is erased. The new node must type-check to the tensor's
/// existing type; if not, nothing changes and the error says why. Keeping
/// the tensor keeps its name: graph outputs stay what they were.
llvm::Error redefine(Graph &g, TensorId result, OpKind op,
                     llvm::ArrayRef<TensorId> inputs,
                     llvm::ArrayRef<NamedAttribute> attrs = {});

/// Replaces every use of `from` by `to` when that is invisible from
/// outside: same type, and `from` is not a graph output (its name is part
/// of the graph's interface). Returns whether it replaced.
bool replaceIfInternal(Graph &g, TensorId from, TensorId to);

/// The value of a constant whose elements are all equal (a splat), if
/// `t` is produced by one.
std::optional<double> splatValue(const Graph &g, TensorId t);

/// Adds a splat `constant` node of `type` with `value`; returns its result.
TensorId addSplat(Graph &g, const TensorType &type, double value);

} // namespace einsum

#endif // EINSUM_PASSES_REWRITEUTILS_H
