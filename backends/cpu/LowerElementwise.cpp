//===- LowerElementwise.cpp - Unary and binary ops in vectors -------------===//
//
// Each node is a loop over its result in vectors along the last dimension,
// threaded over runs of rows (RowVectors.h). Broadcasting: shapes align at
// the right, an operand dimension of size 1 under a larger result dimension
// reads index 0, and an operand whose last dimension is broadcast is
// loaded as one element and splat. Each op's formula follows
// ir/ElementwiseSemantics.cpp, evaluated in the element type, on vectors
// (the pipeline turns exp, tanh, erf and log of f32 vectors into
// polynomials, exp of f64 vectors too, Jit.cpp). A rank-0 result is one
// linalg.generic. A cast converts each vector to the result's element
// type; the other ops see f16 and bf16 only through casts around them
// (WidenHalfFloats.h).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/RowVectors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace einsum::cpu {

/// How `operand` is read at a point of the result's iteration space.
static AffineMap broadcastMap(MLIRContext *ctx, const TensorType &operand,
                              const TensorType &result) {
  unsigned lead = result.rank() - operand.rank();
  llvm::SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < operand.rank(); ++i)
    exprs.push_back(operand.dim(i) == result.dim(lead + i)
                        ? getAffineDimExpr(lead + i, ctx)
                        : getAffineConstantExpr(0, ctx));
  return AffineMap::get(result.rank(), 0, exprs, ctx);
}

static Value applyUnary(OpKind op, OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  auto one = [&] { return splatConstant(b, loc, t, 1.0); };
  switch (op) {
  case OpKind::Neg:
    return b.create<arith::NegFOp>(loc, x);
  case OpKind::Abs:
    return b.create<math::AbsFOp>(loc, x);
  case OpKind::Exp:
    return b.create<math::ExpOp>(loc, x);
  case OpKind::Log:
    return b.create<math::LogOp>(loc, x);
  case OpKind::Sqrt:
    return b.create<math::SqrtOp>(loc, x);
  case OpKind::Rsqrt:
    return b.create<arith::DivFOp>(loc, one(), b.create<math::SqrtOp>(loc, x));
  case OpKind::Recip:
    return b.create<arith::DivFOp>(loc, one(), x);
  case OpKind::Tanh:
    return b.create<math::TanhOp>(loc, x);
  case OpKind::Sigmoid: {
    Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
    return b.create<arith::DivFOp>(loc, one(),
                                   b.create<arith::AddFOp>(loc, one(), e));
  }
  case OpKind::Relu: {
    // Unordered-or-greater keeps NaN, as numpy's maximum(x, 0) does.
    Value zero = splatConstant(b, loc, t, 0.0);
    Value keep =
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGT, x, zero);
    return b.create<arith::SelectOp>(loc, keep, x, zero);
  }
  case OpKind::Gelu: {
    Value scaled = b.create<arith::DivFOp>(
        loc, x, splatConstant(b, loc, t, std::sqrt(2.0)));
    Value erf = b.create<math::ErfOp>(loc, scaled);
    Value half = b.create<arith::MulFOp>(loc, x, splatConstant(b, loc, t, 0.5));
    return b.create<arith::MulFOp>(loc, half,
                                   b.create<arith::AddFOp>(loc, one(), erf));
  }
  case OpKind::Square:
    return b.create<arith::MulFOp>(loc, x, x);
  case OpKind::Sin:
    return b.create<math::SinOp>(loc, x);
  case OpKind::Cos:
    return b.create<math::CosOp>(loc, x);
    // Every other op, so that a unary op added to Ops.def fails to compile
    // here until it is given a value.
#define OP(Id, ...) case OpKind::Id:
#define UNARY_OP(...)
#include "ir/Ops.def"
    break;
  }
  llvm_unreachable("not a unary op");
}

static Value applyBinary(OpKind op, OpBuilder &b, Location loc, Value x,
                         Value y) {
  switch (op) {
  case OpKind::Add:
    return b.create<arith::AddFOp>(loc, x, y);
  case OpKind::Sub:
    return b.create<arith::SubFOp>(loc, x, y);
  case OpKind::Mul:
    return b.create<arith::MulFOp>(loc, x, y);
  case OpKind::Div:
    return b.create<arith::DivFOp>(loc, x, y);
  // maximumf and minimumf propagate NaN, as the ops are defined to.
  case OpKind::Max:
    return b.create<arith::MaximumFOp>(loc, x, y);
  case OpKind::Min:
    return b.create<arith::MinimumFOp>(loc, x, y);
  case OpKind::Pow:
    return b.create<math::PowFOp>(loc, x, y);
    // Every other op, so that a binary op added to Ops.def fails to compile
    // here until it is given a value.
#define OP(Id, ...) case OpKind::Id:
#define BINARY_OP(...)
#include "ir/Ops.def"
    break;
  }
  llvm_unreachable("not a binary op");
}

/// The node in vectors: `apply` on one vector per input.
static void emitVectors(
    NodeLowering &n,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> apply) {
  RowVectors loops(n);
  const TensorType &result = n.resultType();
  llvm::SmallVector<Value> shape;
  for (unsigned d = 0; d < result.rank(); ++d)
    shape.push_back(n.dim(result, d));
  loops.emit(shape, loops.idx(1),
             [&](llvm::ArrayRef<Value> outer, Value col, Value count) {
               llvm::SmallVector<Value, 2> args;
               for (unsigned k = 0; k < n.inputs.size(); ++k)
                 args.push_back(loops.loadOperand(n.inputs[k], n.inputType(k),
                                                  result, outer, col, count));
               llvm::SmallVector<Value, 4> at(outer.begin(), outer.end());
               at.push_back(col);
               loops.storeFirst(count, apply(n.b, n.loc, args), n.dest, at);
             });
}

static bool inVectors(NodeLowering &n) {
  return n.options && n.resultType().rank() > 0;
}

LogicalResult lowerUnary(NodeLowering &n) {
  if (!isFloat(n.resultType().elementType()))
    return n.refuse("elementwise ops on " +
                    dtypeName(n.resultType().elementType()) +
                    " are not lowered");
  OpKind op = n.node().op;
  if (inVectors(n)) {
    emitVectors(n, [&](OpBuilder &b, Location loc, ValueRange args) {
      return applyUnary(op, b, loc, args[0]);
    });
    return success();
  }
  AffineMap map = n.b.getMultiDimIdentityMap(n.resultType().rank());
  buildParallelGeneric(n.b, n.loc, n.inputs[0], map, n.dest,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         b.create<linalg::YieldOp>(
                             loc, applyUnary(op, b, loc, args[0]));
                       });
  return success();
}

LogicalResult lowerBinary(NodeLowering &n) {
  if (!isFloat(n.resultType().elementType()))
    return n.refuse("elementwise ops on " +
                    dtypeName(n.resultType().elementType()) +
                    " are not lowered");
  OpKind op = n.node().op;
  if (inVectors(n)) {
    emitVectors(n, [&](OpBuilder &b, Location loc, ValueRange args) {
      return applyBinary(op, b, loc, args[0], args[1]);
    });
    return success();
  }
  MLIRContext *ctx = n.b.getContext();
  AffineMap maps[] = {broadcastMap(ctx, n.inputType(0), n.resultType()),
                      broadcastMap(ctx, n.inputType(1), n.resultType())};
  buildParallelGeneric(n.b, n.loc, n.inputs, maps, n.dest,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         b.create<linalg::YieldOp>(
                             loc, applyBinary(op, b, loc, args[0], args[1]));
                       });
  return success();
}

LogicalResult lowerCast(NodeLowering &n) {
  Type to = n.elementType();
  if (inVectors(n)) {
    emitVectors(n, [&](OpBuilder &b, Location loc, ValueRange args) {
      return castFloat(b, loc, args[0], to);
    });
    return success();
  }
  AffineMap map = n.b.getMultiDimIdentityMap(n.resultType().rank());
  buildParallelGeneric(n.b, n.loc, n.inputs[0], map, n.dest,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         b.create<linalg::YieldOp>(
                             loc, castFloat(b, loc, args[0], to));
                       });
  return success();
}

} // namespace einsum::cpu
