//===- ReferenceBackend.h - The interpreter backend -------------*- C++ -*-===//
//
// Runs a graph node by node with plain loops, accumulating in double and
// rounding each node's result to its element type. Slow and obviously
// correct: the oracle every other backend and every pass is tested against.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_REFERENCE_REFERENCEBACKEND_H
#define EINSUM_BACKENDS_REFERENCE_REFERENCEBACKEND_H

#include "backends/Backend.h"

namespace einsum {

std::unique_ptr<Backend> createReferenceBackend();

/// Evaluates `g` directly: inputs in argument order, outputs returned in
/// output order. For tests that want the oracle without a registry.
llvm::Expected<std::vector<TensorData>>
interpret(const Graph &g, llvm::ArrayRef<const TensorData *> inputs);

} // namespace einsum

#endif // EINSUM_BACKENDS_REFERENCE_REFERENCEBACKEND_H
