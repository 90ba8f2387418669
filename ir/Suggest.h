//===- Suggest.h - "Did you mean" for misspelt names ------------*- C++ -*-===//
//
// Every lookup by name (ops, passes, pass options, backends) suggests the
// same way, so a typo gets the same help wherever it is made.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_SUGGEST_H
#define EINSUM_IR_SUGGEST_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace einsum {

/// The candidate nearest to `word` in edits (insertions, deletions and
/// replacements), if it is at most two edits away: near enough to be a
/// typo, far enough to catch a swapped pair of letters. The first of equally
/// near candidates wins, so a sorted list gives a stable answer.
std::optional<std::string> closestMatch(llvm::StringRef word,
                                        llvm::ArrayRef<std::string> candidates);

} // namespace einsum

#endif // EINSUM_IR_SUGGEST_H
