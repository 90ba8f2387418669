//===- Suggest.cpp --------------------------------------------------------===//
#include "ir/Suggest.h"

namespace einsum {

std::optional<std::string>
closestMatch(llvm::StringRef word, llvm::ArrayRef<std::string> candidates) {
  constexpr unsigned kMaxEdits = 2;
  std::optional<std::string> best;
  unsigned bestEdits = kMaxEdits + 1;
  for (const std::string &candidate : candidates) {
    // The bound stops the distance early: the word may be a hostile input
    // of megabytes, and only near misses matter.
    unsigned edits = word.edit_distance(candidate, /*AllowReplacements=*/true,
                                        /*MaxEditDistance=*/kMaxEdits);
    if (edits < bestEdits) {
      bestEdits = edits;
      best = candidate;
    }
  }
  return best;
}

} // namespace einsum
