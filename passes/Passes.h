//===- Passes.h - Constructors of every pass --------------------*- C++ -*-===//
#ifndef EINSUM_PASSES_PASSES_H
#define EINSUM_PASSES_PASSES_H

#include "passes/Pass.h"

#include <memory>

namespace einsum {

std::unique_ptr<Pass> createCanonicalizePass();
std::unique_ptr<Pass> createCommonSubexpressionEliminationPass();
std::unique_ptr<Pass> createDeadCodeEliminationPass();
std::unique_ptr<Pass> createFuseAlibiBiasPass();

} // namespace einsum

#endif // EINSUM_PASSES_PASSES_H
