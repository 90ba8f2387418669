//===- Passes.h - Constructors of every pass --------------------*- C++ -*-===//
#ifndef EINSUM_PASSES_PASSES_H
#define EINSUM_PASSES_PASSES_H

#include "passes/AttentionFusion.h"
#include "passes/EpilogueFusion.h"
#include "passes/Pass.h"

#include <memory>

namespace einsum {

std::unique_ptr<Pass> createCanonicalizePass();
std::unique_ptr<Pass> createCommonSubexpressionEliminationPass();
std::unique_ptr<Pass> createDeadCodeEliminationPass();
std::unique_ptr<Pass> createFoldConstantsPass();
std::unique_ptr<Pass> createExpandKvHeadsPass();
/// A policy, if given, can veto each fusion with a reason.
std::unique_ptr<Pass> createFuseEpiloguePass(EpilogueFusionPolicy policy = {});
std::unique_ptr<Pass>
createFuseAttentionPass(AttentionFusionPolicy policy = {});

} // namespace einsum

#endif // EINSUM_PASSES_PASSES_H
