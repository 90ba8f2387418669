//===- AlibiSlopes.cpp ----------------------------------------------------===//
#include "ir/AlibiSlopes.h"

#include <cassert>
#include <cmath>

namespace einsum {

llvm::StringRef slopeRecipeName(SlopeRecipe r) {
  return r == SlopeRecipe::Paper ? "paper" : "seed";
}

std::optional<SlopeRecipe> parseSlopeRecipe(llvm::StringRef name) {
  if (name == "paper")
    return SlopeRecipe::Paper;
  if (name == "seed")
    return SlopeRecipe::Seed;
  return std::nullopt;
}

/// Slope of head h (0-based) out of n.
static double slopeOf(int64_t h, int64_t n, double maxBias,
                      SlopeRecipe recipe) {
  if (recipe == SlopeRecipe::Seed)
    return std::exp2(-maxBias * double(h + 1) / double(n));
  // p: the largest power of two not above n.
  int64_t p = 1;
  while (p * 2 <= n)
    p *= 2;
  if (h < p)
    return std::exp2(-maxBias * double(h + 1) / double(p));
  // The extra heads take the odd-numbered slopes of the 2p-head sequence,
  // whose ratio is 2^(-maxBias / (2p)).
  return std::exp2(-(maxBias / 2) * double(2 * (h - p) + 1) / double(p));
}

std::vector<double> computeAlibiSlopes(int64_t totalHeads, double maxBias,
                                       SlopeRecipe recipe, int64_t headOffset,
                                       int64_t count) {
  if (count < 0)
    count = totalHeads - headOffset;
  assert(totalHeads >= 1 && headOffset >= 0 &&
         headOffset + count <= totalHeads && "head range out of bounds");
  std::vector<double> slopes;
  slopes.reserve(count);
  for (int64_t h = headOffset; h < headOffset + count; ++h)
    slopes.push_back(slopeOf(h, totalHeads, maxBias, recipe));
  return slopes;
}

} // namespace einsum
