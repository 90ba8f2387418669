//===- EpilogueMask.h - Where an epilogue masks scores out ------*- C++ -*-===//
//
// A fused attention kernel may skip every key tile whose scores are all
// -inf: their softmax weight is exactly 0. This analysis proves, from the
// score epilogue alone, that the scores are -inf at every (i, j) beyond a
// diagonal, j - i > offset: the causal forms the builder and fusion emit
// (`select(j <= i, ..., -inf)`, `- m * select(j <= i + 3, i - j, inf)`).
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_EPILOGUEMASK_H
#define EINSUM_BACKENDS_CPU_EPILOGUEMASK_H

#include "ir/Epilogue.h"

#include <optional>

namespace einsum {

/// What is known of an epilogue operand's values.
enum class OperandFact : uint8_t {
  Unknown,
  /// Finite (not NaN, not infinite), e.g. a table of learned biases.
  Finite,
  /// Finite and > 0, e.g. ALiBi slopes from the generator.
  PositiveFinite,
};

/// The smallest `offset` for which the epilogue is -inf at every (i, j)
/// with j - i > offset (row label `row`, column label `col`, both >= 0), or
/// nullopt if no such offset is proven. The offset is a size (ir/Size.h):
/// symbolic when the epilogue's diagonal is, as in decoding (`?k - ?q`). `acc` is assumed finite, as finite
/// inputs give: a kernel relying on the result reads no score it proved
/// masked, so a non-finite input there does not reach the output.
std::optional<int64_t> maskedBeyondDiagonal(const Epilogue &e, char row,
                                            char col,
                                            llvm::ArrayRef<OperandFact> facts);

} // namespace einsum

#endif // EINSUM_BACKENDS_CPU_EPILOGUEMASK_H
