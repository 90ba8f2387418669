//===- AlibiSlopes.h - ALiBi head slopes ------------------------*- C++ -*-===//
#ifndef EINSUM_IR_ALIBISLOPES_H
#define EINSUM_IR_ALIBISLOPES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace einsum {

enum class SlopeRecipe {
  /// Press et al.: geometric for the largest power of two p <= n heads, the
  /// remaining heads interleaved from the sequence for 2p. Correct for any n.
  Paper,
  /// 2^(-maxBias * i / n) for i = 1..n: the paper's only when n is a power
  /// of two. Kept for compatibility with the original API.
  Seed,
};

llvm::StringRef slopeRecipeName(SlopeRecipe r);
std::optional<SlopeRecipe> parseSlopeRecipe(llvm::StringRef name);

/// Slopes of heads [headOffset, headOffset + count) of a model with
/// `totalHeads` heads. Tensor-parallel shards pass their own offset and the
/// total, never a local head count. Requires totalHeads >= 1 and the range
/// inside [0, totalHeads).
std::vector<double> computeAlibiSlopes(int64_t totalHeads, double maxBias,
                                       SlopeRecipe recipe,
                                       int64_t headOffset = 0,
                                       int64_t count = -1);

} // namespace einsum

#endif // EINSUM_IR_ALIBISLOPES_H
