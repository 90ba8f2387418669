//===- ElementwiseSemantics.h - What each elementwise op computes -*- C++
//-*-===//
//
// The scalar function of every unary and binary op, in double precision: the
// reference interpreter applies them element by element and fold-constants
// folds with them, so both compute exactly the same values.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_ELEMENTWISESEMANTICS_H
#define EINSUM_IR_ELEMENTWISESEMANTICS_H

#include "ir/Ops.h"

namespace einsum {

/// `op` must be in OpCategory::Unary.
double applyUnary(OpKind op, double x);
/// `op` must be in OpCategory::Binary. max and min propagate NaN, as numpy
/// does (std::fmax would return the other operand).
double applyBinary(OpKind op, double a, double b);

} // namespace einsum

#endif // EINSUM_IR_ELEMENTWISESEMANTICS_H
