//===- ReduceVectors.cpp - reduce and inner-axis softmax in vectors -------===//
//
// Over reduced shapes (RankReduction.h), where neighbouring reduced or
// kept dimensions are merged:
// - reduce of the last axis alone: rows of the kept dimensions, split into
//   work items; each row summed in vectors, then across the vector;
// - reduce keeping the last axis: the kept dimensions walked in vectors
//   along the last one (RowVectors.h), each vector accumulating over every
//   index of the reduced axes, so that the lanes are independent sums;
// - softmax along an axis that is not the last: the other dimensions in
//   vectors along the last one, each lane a softmax of its own, the
//   reference's three passes (max, exp stored and summed, divide; a lane
//   whose max is -inf becomes zeros) along the axis.
// Any other reduce keeps the linalg form of LowerReduce.cpp.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/RowVectors.h"

#include "ir/Diagnostic.h"
#include "ir/TypeInference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <functional>
#include <limits>

using namespace mlir;

namespace einsum::cpu {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class ReduceKernel : RowVectors {
public:
  ReduceKernel(NodeLowering &n, std::vector<bool> reduced, bool keepDims,
               llvm::StringRef kind)
      : RowVectors(n), n(n), reduced(std::move(reduced)), keepDims(keepDims),
        kind(kind) {
    const TensorType &in = n.inputType(0);
    for (unsigned d = 0; d < in.rank(); ++d)
      shape.push_back(n.dim(in, d));
    count = idx(1);
    for (unsigned d = 0; d < in.rank(); ++d)
      if (this->reduced[d])
        count = mul(count, shape[d]);
  }

  /// False, emitting nothing, for a pattern of axes it does not take.
  bool emit() {
    unsigned rank = shape.size();
    unsigned numReduced = std::count(reduced.begin(), reduced.end(), true);
    if (rank == 0 || numReduced == 0)
      return false;
    if (reduced[rank - 1] && numReduced == 1) {
      emitRows();
      return true;
    }
    if (!reduced[rank - 1]) {
      emitColumns();
      return true;
    }
    return false;
  }

private:
  double identity() const {
    if (kind == "max")
      return -kInf;
    if (kind == "min")
      return kInf;
    return 0;
  }
  vector::CombiningKind combining() const {
    if (kind == "max")
      return vector::CombiningKind::MAXIMUMF;
    if (kind == "min")
      return vector::CombiningKind::MINIMUMF;
    return vector::CombiningKind::ADD;
  }
  /// maximumf and minimumf let NaN win, as numpy's max and min do.
  Value combine(Value a, Value x) {
    if (kind == "max")
      return b.create<arith::MaximumFOp>(loc, a, x);
    if (kind == "min")
      return b.create<arith::MinimumFOp>(loc, a, x);
    return b.create<arith::AddFOp>(loc, a, x);
  }
  /// A mean's sum over the count, else the value.
  Value finish(Value v) {
    if (kind != "mean")
      return v;
    Value c = indexToFloat(b, loc, count, t);
    if (auto vt = dyn_cast<VectorType>(v.getType()))
      c = broadcast(c);
    return b.create<arith::DivFOp>(loc, v, c);
  }
  /// The destination's indices for the kept dimensions' `kept` (and 0 for
  /// each reduced one, with keepdims).
  llvm::SmallVector<Value, 4> destIndices(llvm::ArrayRef<Value> kept) {
    llvm::SmallVector<Value, 4> at;
    size_t k = 0;
    for (bool r : reduced) {
      if (!r)
        at.push_back(kept[k++]);
      else if (keepDims)
        at.push_back(idx(0));
    }
    return at;
  }

  /// The last axis alone: a row per index of the others.
  void emitRows() {
    Value length = shape.back();
    Value rows = idx(1);
    for (Value d : llvm::ArrayRef<Value>(shape).drop_back())
      rows = mul(rows, d);
    // Items of at least kMinItemElements, up to four per thread.
    int64_t threads = n.options->threads;
    Value items =
        threads > 1
            ? minIdx(minIdx(rows, idx(4 * threads)),
                     maxIdx(idx(1), div(mul(rows, length), kMinItemElements)))
            : idx(1);
    Value perItem = ceilDivIdx(rows, items);
    items = ceilDivIdx(rows, maxIdx(perItem, idx(1)));
    Value whole = div(length, lanes), tail = rem(length, lanes);
    buildWorkLoop(
        b, loc, items, *n.options, [&](OpBuilder &, Location, Value item) {
          Value first = mul(item, perItem);
          Value last = minIdx(add(first, perItem), rows);
          forEach(first, last, [&](Value row) {
            llvm::SmallVector<Value, 4> at(shape.size());
            Value rest = row;
            for (size_t d = shape.size() - 1; d-- > 0;) {
              at[d] = d == 0 ? rest : rem(rest, shape[d]);
              rest = d == 0 ? rest : div(rest, shape[d]);
            }
            Value acc = loop(idx(0), whole, {splat(identity())},
                             [&](Value v, ValueRange a) {
                               at.back() = mul(v, idx(lanes));
                               return llvm::SmallVector<Value>{
                                   combine(a[0], load(n.inputs[0], at))};
                             })[0];
            std::optional<int64_t> t = known(tail);
            if (!t || *t > 0) {
              at.back() = mul(whole, idx(lanes));
              // Lanes past the row hold the identity.
              Value x = loadFirst(tail, n.inputs[0], at);
              x = b.create<arith::SelectOp>(loc, firstLanes(tail), x,
                                            splat(identity()));
              acc = combine(acc, x);
            }
            Value r = b.create<vector::ReductionOp>(loc, combining(), acc);
            at.pop_back();
            b.create<memref::StoreOp>(loc, finish(r), n.dest, destIndices(at));
          });
        });
  }

  /// The last axis kept: vectors along it, each lane its own sum.
  void emitColumns() {
    llvm::SmallVector<Value> kept, reducedSizes;
    for (size_t d = 0; d < shape.size(); ++d)
      (reduced[d] ? reducedSizes : kept).push_back(shape[d]);
    Value work = idx(1);
    for (Value s : reducedSizes)
      work = mul(work, s);
    RowVectors::emit(
        kept, work,
        [&](llvm::ArrayRef<Value> outer, Value col, Value lanesInside) {
          llvm::SmallVector<Value, 4> keptAt(outer.begin(), outer.end());
          keptAt.push_back(col);
          // Nested loops over the reduced axes, innermost last.
          llvm::SmallVector<Value, 4> at(shape.size());
          std::function<Value(size_t, Value)> over = [&](size_t d,
                                                         Value acc) -> Value {
            if (d == shape.size()) {
              size_t k = 0;
              for (size_t e = 0; e < shape.size(); ++e)
                if (!reduced[e])
                  at[e] = keptAt[k++];
              return combine(acc, loadFirst(lanesInside, n.inputs[0], at));
            }
            if (!reduced[d])
              return over(d + 1, acc);
            return loop(idx(0), shape[d], {acc}, [&](Value i, ValueRange a) {
              at[d] = i;
              return llvm::SmallVector<Value>{over(d + 1, a[0])};
            })[0];
          };
          Value acc = over(0, splat(identity()));
          storeFirst(lanesInside, finish(acc), n.dest, destIndices(keptAt));
        });
  }

  NodeLowering &n;
  std::vector<bool> reduced;
  bool keepDims;
  llvm::StringRef kind;
  llvm::SmallVector<Value> shape;
  Value count;
};

class SoftmaxColumns : RowVectors {
public:
  SoftmaxColumns(NodeLowering &n, unsigned axis)
      : RowVectors(n), n(n), axis(axis) {}

  void emit() {
    const TensorType &type = n.inputType(0);
    llvm::SmallVector<Value> others;
    for (unsigned d = 0; d < type.rank(); ++d)
      if (d != axis)
        others.push_back(n.dim(type, d));
    Value length = n.dim(type, axis);
    // Three passes along the axis: about three loads or stores each.
    RowVectors::emit(others, mul(length, idx(3)),
                     [&](llvm::ArrayRef<Value> outer, Value col, Value c) {
                       emitLanes(outer, col, c, length);
                     });
  }

private:
  void emitLanes(llvm::ArrayRef<Value> outer, Value col, Value c,
                 Value length) {
    llvm::SmallVector<Value, 4> at(outer.begin(), outer.end());
    at.insert(at.begin() + axis, Value());
    at.push_back(col);
    auto pass = [&](Value init,
                    llvm::function_ref<Value(Value acc)> body) -> Value {
      return loop(idx(0), length, {init}, [&](Value a, ValueRange acc) {
        at[axis] = a;
        return llvm::SmallVector<Value>{body(acc[0])};
      })[0];
    };
    Value x = n.inputs[0], y = n.dest;
    Value max = pass(splat(-kInf), [&](Value m) -> Value {
      return b.create<arith::MaximumFOp>(loc, m, loadFirst(c, x, at));
    });
    // A lane of -inf subtracts 0: exp(-inf) = 0, no NaN.
    Value masked = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, max,
                                           splat(-kInf));
    Value shift = b.create<arith::SelectOp>(loc, masked, splat(0), max);
    Value sum = pass(splat(0), [&](Value s) -> Value {
      Value e =
          softmaxExp(b.create<arith::SubFOp>(loc, loadFirst(c, x, at), shift));
      storeFirst(c, e, y, at);
      return b.create<arith::AddFOp>(loc, s, e);
    });
    forEach(idx(0), length, [&](Value a) {
      at[axis] = a;
      Value p = b.create<arith::DivFOp>(loc, loadFirst(c, y, at), sum);
      storeFirst(c, b.create<arith::SelectOp>(loc, masked, splat(0), p), y, at);
    });
  }

  NodeLowering &n;
  unsigned axis;
};

} // namespace

bool lowerReduceVectors(NodeLowering &n, const std::vector<bool> &reduced,
                        bool keepDims, llvm::StringRef kind) {
  if (!n.options || !isa<FloatType>(n.elementType()))
    return false;
  return ReduceKernel(n, reduced, keepDims, kind).emit();
}

bool lowerSoftmaxColumns(NodeLowering &n, unsigned axis) {
  const TensorType &type = n.inputType(0);
  if (!n.options || !isa<FloatType>(n.elementType()) || axis + 1 >= type.rank())
    return false;
  SoftmaxColumns(n, axis).emit();
  return true;
}

} // namespace einsum::cpu
