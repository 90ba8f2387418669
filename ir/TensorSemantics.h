//===- TensorSemantics.h - What generators, reduce, transpose compute -*- C++
//-*-===//
//
// The values of the generators, of `reduce`, `transpose` and `concat`, in
// double and row-major order, before rounding to the result's element
// type. The reference interpreter evaluates those ops with these functions
// (concat it copies byte for byte: the same values, i64 beyond 2^53 too)
// and fold-constants folds with them, so both compute exactly the same
// values (as ElementwiseSemantics.h does for the scalar ops). They live in
// ir because the passes may not depend on a backend. Elements are read and
// written through callbacks, so neither caller has to copy a tensor.
// Messages do not name the node: callers prefix them.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_TENSORSEMANTICS_H
#define EINSUM_IR_TENSORSEMANTICS_H

#include "ir/Graph.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace einsum {

/// Reads element i of an input.
using ElementReader = llvm::function_ref<double(int64_t)>;
/// Writes the value of element i of a result.
using ElementWriter = llvm::function_ref<void(int64_t, double)>;

/// Writes every element of generator `n` (iota, distance, causal_mask,
/// alibi_slopes or relative_buckets; not constant) with result type `type`.
/// Checks the attributes an unverified graph could get wrong before
/// writing anything.
llvm::Error generateValues(const Node &n, const TensorType &type,
                           ElementWriter write);

/// The `count` slopes of alibi_slopes node `n`, from its attributes
/// (head_offset, total_heads, recipe, max_bias), checked as an unverified
/// graph needs.
llvm::Expected<std::vector<double>> alibiSlopesOf(const Node &n, int64_t count);

/// The result of `reduce` {kind, axes} over an input of type `in`, one
/// value per result element in row-major order (keepdims adds only size-1
/// dimensions, so it does not matter here). Each result sums, or takes the
/// max or min of, its group in row-major order; NaN wins max and min.
llvm::Expected<std::vector<double>> reduceValues(llvm::StringRef kind,
                                                 llvm::ArrayRef<int64_t> axes,
                                                 const TensorType &in,
                                                 ElementReader read);

/// Writes the result of `transpose` {perm} of an input of type `in`.
llvm::Error transposeValues(llvm::ArrayRef<int64_t> perm, const TensorType &in,
                            ElementReader read, ElementWriter write);

/// Reads element i of input k.
using InputReader = llvm::function_ref<double(size_t k, int64_t i)>;

/// Writes the result of `concat` {axis} of inputs of types `ins`.
llvm::Error concatValues(int64_t axis, llvm::ArrayRef<TensorType> ins,
                         InputReader read, ElementWriter write);

} // namespace einsum

#endif // EINSUM_IR_TENSORSEMANTICS_H
