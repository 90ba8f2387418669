//===- LowerSoftmax.cpp - Softmax along the last axis in vectors ----------===//
//
// The rows (every index but the last, collapsed) are split into work items
// run in parallel; each row takes the reference's three passes in vectors:
// the max, exp(x - max) stored and summed, then the division (a row whose
// max is -inf becomes zeros). The row's tail past the last whole vector is
// handled with masks: static ones, or made at run time for a row length
// known only then (a mask of no lanes loads and stores nothing). Other axes keep the scalar loop nest of
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
    length = n.dim(type, type.rank() - 1);
    rowCount = idx(1);
    for (unsigned d = 0; d + 1 < type.rank(); ++d)
      rowCount = mul(rowCount, n.dim(type, d));
    whole = div(length, lanes);
    tail = rem(length, lanes);
  }

  void emit() {
    x = rows(n.inputs[0]);
    y = rows(n.dest);
    // About 8 items per thread, each a run of rows.
    Value items = minIdx(rowCount, idx(8 * n.options->threads));
    Value perItem = ceilDivIdx(rowCount, items);
    items = ceilDivIdx(rowCount, perItem);
    buildWorkLoop(
        b, loc, items, *n.options, [&](OpBuilder &, Location, Value item) {
          Value first = mul(item, perItem);
          Value last = minIdx(add(first, perItem), rowCount);
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

  /// Emits `emitTail(at, count)` for the row's tail past its whole vectors,
  /// unless it is known to be empty. A tail known only at run time may be
  /// empty: its all-false mask then loads nothing, stores nothing and
  /// keeps the identity.
  void onTail(llvm::function_ref<void(Value, Value)> emitTail) {
    std::optional<int64_t> t = known(tail);
    if (t && *t == 0)
      return;
    emitTail(mul(whole, idx(lanes)), tail);
  }

  /// `body(vector, at)` for each whole vector of the row, then for the
  /// tail with its mask's lane count.
  template <typename Body> void eachVector(Value row, Body body) {
    forEach(idx(0), whole, [&](Value v) {
      Value at = mul(v, idx(lanes));
      body(load(x, {row, at}), at, idx(lanes));
    });
    onTail([&](Value at, Value count) {
      body(loadFirst(count, x, {row, at}), at, count);
    });
  }

  /// A vector of `count` live lanes, the others `fill`.
  Value keep(Value v, Value count, double fill) {
    std::optional<int64_t> c = known(count);
    if (c && *c == lanes)
      return v;
    return b.create<arith::SelectOp>(loc, firstLanes(count), v, splat(fill));
  }

  Value reduceAlong(Value row, double init, vector::CombiningKind kind,
                    llvm::function_ref<Value(Value, Value, Value)> term) {
    // Whole vectors in a loop-carried accumulator, the tail after it.
    Value acc =
        loop(idx(0), whole, {splat(init)}, [&](Value v, ValueRange a) {
          Value at = mul(v, idx(lanes));
          return llvm::SmallVector<Value>{
              combine(kind, a[0], term(load(x, {row, at}), at, idx(lanes)))};
        })[0];
    onTail([&](Value at, Value count) {
      acc = combine(
          kind, acc,
          keep(term(loadFirst(count, x, {row, at}), at, count), count, init));
    });
    return b.create<vector::ReductionOp>(loc, kind, acc);
  }

  Value combine(vector::CombiningKind kind, Value a, Value c) {
    if (kind == vector::CombiningKind::MAXIMUMF)
      return b.create<arith::MaximumFOp>(loc, a, c);
    return b.create<arith::AddFOp>(loc, a, c);
  }

  void storeAt(Value v, Value row, Value at, Value count) {
    storeFirst(count, v, y, {row, at});
  }

  void emitRow(Value row) {
    constexpr double negInf = -std::numeric_limits<double>::infinity();
    Value max = reduceAlong(row, negInf, vector::CombiningKind::MAXIMUMF,
                            [](Value v, Value, Value) { return v; });
    Value shift = broadcast(max);
    Value sum = reduceAlong(
        row, 0, vector::CombiningKind::ADD, [&](Value v, Value at, Value c) {
          Value e = softmaxExp(b.create<arith::SubFOp>(loc, v, shift));
          storeAt(e, row, at, c);
          return e;
        });
    // A row of -inf gives zeros.
    Value masked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, max,
                                           scalar(negInf));
    Value total = broadcast(sum);
    auto divide = [&](Value, Value at, Value c) {
      Value e = loadFirst(c, y, {row, at});
      Value p = b.create<arith::DivFOp>(loc, e, total);
      storeAt(b.create<arith::SelectOp>(loc, masked, splat(0), p), row, at, c);
    };
    eachVector(row, divide);
  }

  NodeLowering &n;
  /// The row length, its whole vectors and the lanes after them; the row
  /// count. Constants when known.
  Value length, whole, tail, rowCount;
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
