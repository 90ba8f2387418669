//===- Verifier.h - Graph well-formedness -----------------------*- C++ -*-===//
#ifndef EINSUM_IR_VERIFIER_H
#define EINSUM_IR_VERIFIER_H

#include "ir/Graph.h"

namespace einsum {

/// Checks that `g` is well formed: ids in range, every tensor typed and
/// defined exactly once (by a node or as an argument), no cycles, outputs
/// defined, names unique, attributes and types as the op table and type
/// inference require. Reports every problem found, each naming the node or
/// tensor and the values involved, located when the graph came from text.
llvm::Error verify(const Graph &g);

} // namespace einsum

#endif // EINSUM_IR_VERIFIER_H
