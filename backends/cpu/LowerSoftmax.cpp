//===- LowerSoftmax.cpp - Softmax along the last axis in vectors ----------===//
//
// The rows (every index but the last, collapsed) are split into work items
// run in parallel; each row takes the reference's three passes in vectors:
// the max, exp(x - max) stored and summed, then the division (a row whose
// max is -inf becomes zeros). The row's tail past the last whole vector is
// handled with static masks. Other axes keep the scalar loop nest of
// LowerReduce.cpp.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace einsum::cpu {

namespace {

class SoftmaxRows : KernelBuilder {
public:
  explicit SoftmaxRows(NodeLowering &n)
      : KernelBuilder(n.b, n.loc, n.elementType(), *n.options), n(n) {
    const TensorType &type = n.inputType(0);
    length = type.dim(type.rank() - 1);
    rowCount = type.numElements() / std::max<int64_t>(length, 1);
  }

  void emit() {
    if (length == 0 || rowCount == 0)
      return;
    x = rows(n.inputs[0]);
    y = rows(n.dest);
    int64_t items = std::min<int64_t>(rowCount, 8 * n.options->threads);
    int64_t perItem = ceilDiv(rowCount, items);
    items = ceilDiv(rowCount, perItem);
    buildWorkLoop(
        b, loc, items, *n.options, [&](OpBuilder &, Location, Value item) {
          Value first = mul(item, idx(perItem));
          Value last = minIdx(add(first, idx(perItem)), idx(rowCount));
          forEach(first, last, [&](Value row) { emitRow(row); });
        });
  }

private:
  Value rows(Value m) {
    auto type = cast<MemRefType>(m.getType());
    ReassociationIndices outer;
    for (int64_t d = 0; d + 1 < type.getRank(); ++d)
      outer.push_back(d);
    return b.create<memref::CollapseShapeOp>(
        loc, m,
        llvm::SmallVector<ReassociationIndices>{outer, {type.getRank() - 1}});
  }

  /// `body(vector, at)` for each whole vector of the row, then for the
  /// tail with its mask's lane count.
  template <typename Body> void eachVector(Value row, Body body) {
    int64_t whole = length / lanes;
    forEach(idx(0), idx(whole), [&](Value v) {
      Value at = mul(v, idx(lanes));
      body(load(x, {row, at}), at, lanes);
    });
    if (int64_t tail = length % lanes) {
      Value at = idx(whole * lanes);
      body(loadFirst(tail, x, {row, at}), at, tail);
    }
  }

  /// A vector of `count` live lanes, the others `fill`.
  Value keep(Value v, int64_t count, double fill) {
    if (count == lanes)
      return v;
    return b.create<arith::SelectOp>(loc, firstLanes(count), v, splat(fill));
  }

  Value reduceAlong(Value row, double init, vector::CombiningKind kind,
                    llvm::function_ref<Value(Value, Value, int64_t)> term) {
    // Whole vectors in a loop-carried accumulator, the tail after it.
    int64_t whole = length / lanes;
    Value acc =
        loop(idx(0), idx(whole), {splat(init)}, [&](Value v, ValueRange a) {
          Value at = mul(v, idx(lanes));
          return llvm::SmallVector<Value>{
              combine(kind, a[0], term(load(x, {row, at}), at, lanes))};
        })[0];
    if (int64_t tail = length % lanes) {
      Value at = idx(whole * lanes);
      acc = combine(
          kind, acc,
          keep(term(loadFirst(tail, x, {row, at}), at, tail), tail, init));
    }
    return b.create<vector::ReductionOp>(loc, kind, acc);
  }

  Value combine(vector::CombiningKind kind, Value a, Value c) {
    if (kind == vector::CombiningKind::MAXIMUMF)
      return b.create<arith::MaximumFOp>(loc, a, c);
    return b.create<arith::AddFOp>(loc, a, c);
  }

  void storeAt(Value v, Value row, Value at, int64_t count) {
    storeFirst(count, v, y, {row, at});
  }

  void emitRow(Value row) {
    constexpr double negInf = -std::numeric_limits<double>::infinity();
    Value max = reduceAlong(row, negInf, vector::CombiningKind::MAXIMUMF,
                            [](Value v, Value, int64_t) { return v; });
    Value shift = broadcast(max);
    Value sum = reduceAlong(
        row, 0, vector::CombiningKind::ADD, [&](Value v, Value at, int64_t c) {
          Value e = softmaxExp(b.create<arith::SubFOp>(loc, v, shift));
          storeAt(e, row, at, c);
          return e;
        });
    // A row of -inf gives zeros.
    Value masked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, max,
                                           scalar(negInf));
    Value total = broadcast(sum);
    auto divide = [&](Value, Value at, int64_t c) {
      Value e = loadFirst(c, y, {row, at});
      Value p = b.create<arith::DivFOp>(loc, e, total);
      storeAt(b.create<arith::SelectOp>(loc, masked, splat(0), p), row, at, c);
    };
    eachVector(row, divide);
  }

  NodeLowering &n;
  int64_t length, rowCount;
  Value x, y;
};

} // namespace

bool lowerSoftmaxRows(NodeLowering &n, unsigned axis) {
  const TensorType &type = n.inputType(0);
  if (!n.options || type.rank() < 2 || axis + 1 != type.rank() ||
      !isa<FloatType>(n.elementType()))
    return false;
  SoftmaxRows(n).emit();
  return true;
}

} // namespace einsum::cpu
