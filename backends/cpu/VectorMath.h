//===- VectorMath.h - Math functions on vectors without libm ----*- C++ -*-===//
//
// LLVM lowers a math function of a vector it has no instruction for into a
// libm call per lane. The pipeline replaces the common ones first: exp,
// tanh, erf and the logarithms of f32 vectors by MLIR's polynomial
// approximations (within a few ulp), and exp of f64 vectors by the
// expansion here (within 2 ulp, inf, 0 and NaN as libm gives them).
// Scalars keep libm's results.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_VECTORMATH_H
#define EINSUM_BACKENDS_CPU_VECTORMATH_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace einsum::cpu {

/// exp of an f64 vector, x = n ln 2 + r with |r| <= ln 2 / 2, a degree-12
/// Taylor polynomial in r, and 2^n applied as two exact powers (so that
/// results down to the smallest denormal come out right).
mlir::Value expandF64Exp(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// Rewrites the vector math ops of `module` as above.
mlir::LogicalResult approximateVectorMath(mlir::ModuleOp module);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_VECTORMATH_H
