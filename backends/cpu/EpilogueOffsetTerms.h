//===- EpilogueOffsetTerms.h - Epilogue parts over j - i --------*- C++ -*-===//
//
// T5's relative bias, `$0[rel_bucket(j - i, 32, 128, 1), h]`, is a gather
// whose index depends on the key: in the vector form of an epilogue it
// goes lane by lane, a scalar bucket (a logarithm among them) and a scalar
// load for every score. Yet it depends on the row i and the key j only
// through j - i, which takes few values over a block of rows and keys: a
// kernel can tabulate it once over those values, after which the terms of
// a vector of consecutive keys are one contiguous load from the table.
// This analysis finds the parts of an epilogue that allow it.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_EPILOGUEOFFSETTERMS_H
#define EINSUM_BACKENDS_CPU_EPILOGUEOFFSETTERMS_H

#include "ir/Epilogue.h"

#include <vector>

namespace einsum {

/// Whether `e` reads the labels `row` and `col` only through expressions
/// linear in them whose two coefficients cancel (`j - i`, `i - j`,
/// `i + 3 - j`, `j - i + h`, with integer constants), so that its value is
/// a function of col - row and of the other labels.
bool readsOnlyOffset(const EpilogueExpr &e, char row, char col);

/// Whether evaluating `e` on a vector of consecutive `col` values needs a
/// gather: an operand index or rel_bucket depends on `col`. The nodes in
/// `precomputed` (pointers into `e`) count as given.
bool gathersByLabel(const EpilogueExpr &e, char col,
                    llvm::ArrayRef<const EpilogueExpr *> precomputed = {});

/// The largest subexpressions of `e` that gather by `col`, read no `acc`
/// and satisfy readsOnlyOffset, outside operand indices and rel_bucket's
/// arguments (which are scalars per lane), as pointers into `e.root()` in
/// tree order;
/// empty unless, with them precomputed, the rest of `e` gathers by `col`
/// nowhere (a lane-by-lane remainder would gain little from them).
/// Subexpressions that need no gather (ALiBi's `$0[h] * abs(i - j)`) are
/// left to vector arithmetic.
std::vector<const EpilogueExpr *> offsetTerms(const Epilogue &e, char row,
                                              char col);

} // namespace einsum

#endif // EINSUM_BACKENDS_CPU_EPILOGUEOFFSETTERMS_H
