//===- TypeInference.h - Result types of every op ---------------*- C++ -*-===//
//
// The one place that knows what each op accepts and produces. The builders,
// addNode and the verifier all call it, so a graph is checked the same way
// however it was made.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_TYPEINFERENCE_H
#define EINSUM_IR_TYPEINFERENCE_H

#include "ir/Graph.h"

#include <optional>

namespace einsum {

/// Checks named attributes against `op`'s declaration (unknown names, kinds,
/// enum spellings, duplicates, required ones) and returns the full list in
/// declaration order with defaults filled in.
llvm::Expected<std::vector<Attribute>>
resolveAttributes(OpKind op, llvm::ArrayRef<NamedAttribute> attrs);

/// Checks one value against its declaration; an Int value is accepted for a
/// Float attribute and an Ints value for Floats, and converted.
llvm::Expected<Attribute> checkAttribute(const AttrSpec &spec, Attribute value);

/// The result type of `op` applied to `inputs` with complete `attrs`.
/// Generators have no inputs to infer from: their result is `declared`,
/// which must then be given, and so is a cast's, whose element type it
/// names. A contraction of f16 or bf16 operands returns f32 unless
/// `declared` is f16 or bf16 (the mixed-precision rule:
/// docs/mixed-precision.md); for other ops a `declared` type must equal the
/// inferred one. Messages do not name the node: callers prefix them.
llvm::Expected<TensorType>
inferResultType(OpKind op, llvm::ArrayRef<TensorType> inputs,
                llvm::ArrayRef<Attribute> attrs,
                const std::optional<TensorType> &declared);

/// The type arithmetic on `operands` is done in: f32 for f16 and bf16, the
/// type itself otherwise.
DType accumulatorType(DType operands);

/// numpy broadcasting of two shapes, or an error naming the first pair of
/// dimensions that do not match.
llvm::Expected<std::vector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                     llvm::ArrayRef<int64_t> b);

/// Normalizes `axis` (negative counts from the end) for a tensor of `rank`,
/// or fails with a message naming the axis and the rank.
llvm::Expected<unsigned> normalizeAxis(int64_t axis, unsigned rank);

} // namespace einsum

#endif // EINSUM_IR_TYPEINFERENCE_H
