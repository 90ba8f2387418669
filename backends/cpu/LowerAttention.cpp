//===- LowerAttention.cpp - Fused attention as scf loops ------------------===//
//
// For each (b, h, i), with kv head h / (H / Hkv), as the reference does:
// 1. s_j = epilogue(sum_d q[b,h,i,d] k[b,kvh,j,d]) into a row buffer of Sk
//    scores, keeping their running maximum m (NaN wins);
// 2. p_j = exp(s_j - m) in place, summed into l;
// 3. out[b,h,i,e] = (sum_j p_j v[b,kvh,j,e]) / l, or 0 if m is -inf (a row
//    that is all masked).
// Sums run in the element type. One row of scores exists at a time; a later
// flash-style kernel replaces this with tiles and an online softmax.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/LowerEpilogue.h"
#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;

namespace einsum::cpu {

namespace {
/// A loop over [0, n) carrying one value; `body` returns the next value.
Value foldRange(
    OpBuilder &b, Location loc, int64_t n, Value init,
    llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  auto loop = b.create<scf::ForOp>(
      loc, indexConstant(b, loc, 0), indexConstant(b, loc, n),
      indexConstant(b, loc, 1), ValueRange{init},
      [&](OpBuilder &b, Location loc, Value iv, ValueRange carried) {
        b.create<scf::YieldOp>(loc, body(b, loc, iv, carried[0]));
      });
  return loop.getResult(0);
}
} // namespace

LogicalResult lowerAttention(NodeLowering &n) {
  const TensorType &qt = n.inputType(0), &kt = n.inputType(1),
                   &vt = n.inputType(2);
  int64_t batch = qt.dim(0), heads = qt.dim(1), queries = qt.dim(2),
          dim = qt.dim(3), kvHeads = kt.dim(1), keys = kt.dim(2),
          valueDim = vt.dim(3);
  std::map<char, int64_t> sizes = {
      {'b', batch}, {'h', heads}, {'i', queries}, {'j', keys}};
  llvm::SmallVector<TensorType> operandTypes;
  for (unsigned k = 3; k < n.inputs.size(); ++k)
    operandTypes.push_back(n.inputType(k));
  FailureOr<Epilogue> epilogue =
      parseNodeEpilogue(n, n.node().attr("score_epilogue").getString(), "bhij",
                        operandTypes, sizes);
  if (failed(epilogue))
    return failure();
  llvm::SmallVector<Value> operands(n.inputs.begin() + 3, n.inputs.end());

  OpBuilder &b = n.b;
  Location loc = n.loc;
  Type t = n.elementType();
  Value q = n.inputs[0], k = n.inputs[1], v = n.inputs[2];
  Value row = b.create<memref::AllocOp>(loc, MemRefType::get({keys}, t));
  Value zero = floatConstant(b, loc, t, 0.0);
  Value negInf =
      floatConstant(b, loc, t, -std::numeric_limits<double>::infinity());
  Value group = indexConstant(b, loc, heads / kvHeads);
  Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
  LogicalResult result = success();

  scf::buildLoopNest(
      b, loc, {c0, c0, c0},
      {indexConstant(b, loc, batch), indexConstant(b, loc, heads),
       indexConstant(b, loc, queries)},
      {c1, c1, c1}, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        Value bi = ivs[0], h = ivs[1], i = ivs[2];
        Value kvh = b.create<arith::DivUIOp>(loc, h, group);
        Value max = foldRange(
            b, loc, keys, negInf,
            [&](OpBuilder &b, Location loc, Value j, Value max) {
              Value acc = foldRange(
                  b, loc, dim, zero,
                  [&](OpBuilder &b, Location loc, Value d, Value acc) {
                    Value x = b.create<memref::LoadOp>(loc, q,
                                                       ValueRange{bi, h, i, d});
                    Value y = b.create<memref::LoadOp>(
                        loc, k, ValueRange{bi, kvh, j, d});
                    return b.create<arith::AddFOp>(
                        loc, acc, b.create<arith::MulFOp>(loc, x, y));
                  });
              Value labels[] = {bi, h, i, j};
              EpilogueEnv env{acc, "bhij", labels, operands, operandTypes, t};
              FailureOr<Value> s = emitEpilogue(n, b, loc, *epilogue, env);
              if (failed(s)) {
                result = failure();
                s = acc;
              }
              b.create<memref::StoreOp>(loc, *s, row, j);
              return b.create<arith::MaximumFOp>(loc, max, *s);
            });
        Value sum =
            foldRange(b, loc, keys, zero,
                      [&](OpBuilder &b, Location loc, Value j, Value sum) {
                        Value s = b.create<memref::LoadOp>(loc, row, j);
                        Value p = b.create<math::ExpOp>(
                            loc, b.create<arith::SubFOp>(loc, s, max));
                        b.create<memref::StoreOp>(loc, p, row, j);
                        return b.create<arith::AddFOp>(loc, sum, p);
                      });
        Value masked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ,
                                               max, negInf);
        b.create<scf::ForOp>(
            loc, c0, indexConstant(b, loc, valueDim), c1, ValueRange{},
            [&](OpBuilder &b, Location loc, Value e, ValueRange) {
              Value acc = foldRange(
                  b, loc, keys, zero,
                  [&](OpBuilder &b, Location loc, Value j, Value acc) {
                    Value p = b.create<memref::LoadOp>(loc, row, j);
                    Value x = b.create<memref::LoadOp>(
                        loc, v, ValueRange{bi, kvh, j, e});
                    return b.create<arith::AddFOp>(
                        loc, acc, b.create<arith::MulFOp>(loc, p, x));
                  });
              Value out = b.create<arith::SelectOp>(
                  loc, masked, zero, b.create<arith::DivFOp>(loc, acc, sum));
              b.create<memref::StoreOp>(loc, out, n.dest,
                                        ValueRange{bi, h, i, e});
              b.create<scf::YieldOp>(loc);
            });
      });
  b.create<memref::DeallocOp>(loc, row);
  return result;
}

} // namespace einsum::cpu
