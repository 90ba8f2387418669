//===- LowerReduce.cpp - reduce and softmax -------------------------------===//
//
// In vectors where the shapes allow (ReduceVectors.cpp, LowerSoftmax.cpp);
// otherwise:
// reduce: the destination is filled with the kind's identity, then one
// linalg.generic iterates the input with reduction iterators on the reduced
// axes (the output map drops them, or reads index 0 with keepdims); mean
// divides in a second, parallel generic.
// softmax (rank 1): a loop nest over every index but the axis, and in it
// the three passes of the reference's softmaxRow along the axis: max,
// exp-sum into the destination, divide (a row whose max is -inf becomes
// zeros).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Lowering.h"

#include "ir/Diagnostic.h"
#include "ir/TypeInference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;

namespace einsum::cpu {

static constexpr double kInf = std::numeric_limits<double>::infinity();

LogicalResult lowerReduce(NodeLowering &n) {
  const TensorType &in = n.inputType(0);
  std::vector<bool> reduced(in.rank(), false);
  for (int64_t axis : n.node().attr("axes").getInts()) {
    llvm::Expected<unsigned> a = normalizeAxis(axis, in.rank());
    if (!a)
      return n.refuse(firstMessage(a.takeError()));
    reduced[*a] = true;
  }
  bool keepDims = n.node().attr("keepdims").getBool();
  llvm::StringRef kind = n.node().attr("kind").getString();
  double init;
  if (kind == "sum" || kind == "mean")
    init = 0;
  else if (kind == "max")
    init = -kInf;
  else if (kind == "min")
    init = kInf;
  else
    return n.refuse("unknown reduction kind '" + kind + "'");
  if (lowerReduceVectors(n, reduced, keepDims, kind))
    return success();

  MLIRContext *ctx = n.b.getContext();
  llvm::SmallVector<AffineExpr> outExprs;
  llvm::SmallVector<utils::IteratorType> iterators;
  // The count a mean divides by: its dimensions' product, known only at
  // run time when one of them is.
  Value groupSize = indexConstant(n.b, n.loc, 1);
  for (unsigned d = 0; d < in.rank(); ++d) {
    iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (!reduced[d])
      outExprs.push_back(getAffineDimExpr(d, ctx));
    else if (keepDims)
      outExprs.push_back(getAffineConstantExpr(0, ctx));
    if (reduced[d])
      groupSize = n.b.create<arith::MulIOp>(n.loc, groupSize, n.dim(in, d));
  }
  AffineMap maps[] = {n.b.getMultiDimIdentityMap(in.rank()),
                      AffineMap::get(in.rank(), 0, outExprs, ctx)};

  Type t = n.elementType();
  n.b.create<linalg::FillOp>(n.loc, floatConstant(n.b, n.loc, t, init), n.dest);
  n.b.create<linalg::GenericOp>(
      n.loc, TypeRange{}, n.inputs[0], n.dest, maps, iterators,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value x = args[0], acc = args[1], next;
        // maximumf and minimumf let NaN win, as numpy's max and min do.
        if (kind == "max")
          next = b.create<arith::MaximumFOp>(loc, acc, x);
        else if (kind == "min")
          next = b.create<arith::MinimumFOp>(loc, acc, x);
        else
          next = b.create<arith::AddFOp>(loc, acc, x);
        b.create<linalg::YieldOp>(loc, next);
      });
  if (kind != "mean")
    return success();
  Value count = indexToFloat(n.b, n.loc, groupSize, t);
  buildParallelGeneric(
      n.b, n.loc, {}, {}, n.dest,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        b.create<linalg::YieldOp>(
            loc, ValueRange{b.create<arith::DivFOp>(loc, args[0], count)});
      });
  return success();
}

LogicalResult lowerSoftmax(NodeLowering &n) {
  const TensorType &type = n.inputType(0);
  llvm::Expected<unsigned> axisOr =
      normalizeAxis(n.node().attr("axis").getInt(), type.rank());
  if (!axisOr)
    return n.refuse(firstMessage(axisOr.takeError()));
  unsigned axis = *axisOr;
  if (lowerSoftmaxRows(n, axis) || lowerSoftmaxColumns(n, axis))
    return success();
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Type t = n.elementType();
  Value x = n.inputs[0], dest = n.dest;
  Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
  Value length = n.dim(type, axis);
  llvm::SmallVector<Value> lbs, ubs, steps;
  for (unsigned d = 0; d < type.rank(); ++d) {
    lbs.push_back(c0);
    steps.push_back(c1);
    ubs.push_back(d == axis ? c1 : n.dim(type, d));
  }
  Value zero = floatConstant(b, loc, t, 0.0);
  Value negInf = floatConstant(b, loc, t, -kInf);

  scf::buildLoopNest(
      b, loc, lbs, ubs, steps, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        llvm::SmallVector<Value> index(ivs.begin(), ivs.end());
        auto at = [&](Value a) {
          index[axis] = a;
          return index;
        };
        // One pass along the axis carrying a value.
        auto pass = [&](Value init, auto body) {
          auto loop = b.create<scf::ForOp>(
              loc, c0, length, c1, ValueRange{init},
              [&](OpBuilder &b, Location loc, Value a, ValueRange carried) {
                b.create<scf::YieldOp>(loc, body(b, loc, a, carried[0]));
              });
          return loop.getResult(0);
        };
        Value max =
            pass(negInf,
                 [&](OpBuilder &b, Location loc, Value a, Value max) -> Value {
                   Value v = b.create<memref::LoadOp>(loc, x, at(a));
                   return b.create<arith::MaximumFOp>(loc, max, v);
                 });
        Value sum = pass(
            zero, [&](OpBuilder &b, Location loc, Value a, Value sum) -> Value {
              Value v = b.create<memref::LoadOp>(loc, x, at(a));
              Value e = b.create<math::ExpOp>(
                  loc, b.create<arith::SubFOp>(loc, v, max));
              b.create<memref::StoreOp>(loc, e, dest, at(a));
              return b.create<arith::AddFOp>(loc, sum, e);
            });
        Value masked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ,
                                               max, negInf);
        b.create<scf::ForOp>(
            loc, c0, length, c1, ValueRange{},
            [&](OpBuilder &b, Location loc, Value a, ValueRange) {
              Value e = b.create<memref::LoadOp>(loc, dest, at(a));
              Value p = b.create<arith::SelectOp>(
                  loc, masked, zero, b.create<arith::DivFOp>(loc, e, sum));
              b.create<memref::StoreOp>(loc, p, dest, at(a));
              b.create<scf::YieldOp>(loc);
            });
      });
  return success();
}

} // namespace einsum::cpu
