//===- Dot.h - Graphviz export ----------------------------------*- C++ -*-===//
#ifndef EINSUM_IR_DOT_H
#define EINSUM_IR_DOT_H

#include "ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

namespace einsum {

/// Writes `g` as a Graphviz digraph: one box per node labelled with its op
/// and non-default attributes, one ellipse per argument and output, edges
/// labelled with tensor names and types. Deterministic.
void exportDot(const Graph &g, llvm::raw_ostream &os);

} // namespace einsum

#endif // EINSUM_IR_DOT_H
