//===- KernelBuilder.cpp - Vector loop nests for the hot kernels ----------===//
#include "backends/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace einsum::cpu {

KernelBuilder::KernelBuilder(OpBuilder &b, Location loc, Type element,
                             const KernelOptions &options)
    : b(b), loc(loc), t(element),
      lanes(options.lanes(element.getIntOrFloatBitWidth())),
      vec(VectorType::get({lanes}, element)) {}

Value KernelBuilder::idx(int64_t v) { return indexConstant(b, loc, v); }

std::optional<int64_t> KernelBuilder::known(Value v) {
  return getConstantIntValue(v);
}

Value KernelBuilder::add(Value x, Value y) {
  std::optional<int64_t> a = known(x), c = known(y);
  if (a && c)
    return idx(*a + *c);
  if (c && *c == 0)
    return x;
  if (a && *a == 0)
    return y;
  return b.create<arith::AddIOp>(loc, x, y);
}
Value KernelBuilder::sub(Value x, Value y) {
  std::optional<int64_t> a = known(x), c = known(y);
  if (a && c)
    return idx(*a - *c);
  if (c && *c == 0)
    return x;
  return b.create<arith::SubIOp>(loc, x, y);
}
Value KernelBuilder::mul(Value x, Value y) {
  std::optional<int64_t> a = known(x), c = known(y);
  if (a && c)
    return idx(*a * *c);
  if (c && *c == 1)
    return x;
  if (a && *a == 1)
    return y;
  return b.create<arith::MulIOp>(loc, x, y);
}
Value KernelBuilder::div(Value x, int64_t d) { return div(x, idx(d)); }
Value KernelBuilder::div(Value x, Value d) {
  std::optional<int64_t> a = known(x), c = known(d);
  if (a && c && *c > 0 && *a >= 0)
    return idx(*a / *c);
  if (c && *c == 1)
    return x;
  return b.create<arith::DivUIOp>(loc, x, d);
}
Value KernelBuilder::rem(Value x, int64_t d) { return rem(x, idx(d)); }
Value KernelBuilder::rem(Value x, Value d) {
  std::optional<int64_t> a = known(x), c = known(d);
  if (a && c && *c > 0 && *a >= 0)
    return idx(*a % *c);
  if (c && *c == 1)
    return idx(0);
  return b.create<arith::RemUIOp>(loc, x, d);
}
Value KernelBuilder::minIdx(Value x, Value y) {
  std::optional<int64_t> a = known(x), c = known(y);
  if (a && c)
    return idx(std::min(*a, *c));
  return b.create<arith::MinSIOp>(loc, x, y);
}
Value KernelBuilder::maxIdx(Value x, Value y) {
  std::optional<int64_t> a = known(x), c = known(y);
  if (a && c)
    return idx(std::max(*a, *c));
  return b.create<arith::MaxSIOp>(loc, x, y);
}
Value KernelBuilder::ceilDivIdx(Value x, int64_t d) {
  return div(add(x, idx(d - 1)), d);
}
Value KernelBuilder::ceilDivIdx(Value x, Value d) {
  return div(sub(add(x, d), idx(1)), d);
}
Value KernelBuilder::lessThan(Value x, Value y) {
  return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x, y);
}

Value KernelBuilder::scalar(double v) { return floatConstant(b, loc, t, v); }
Value KernelBuilder::splat(double v) { return splatConstant(b, loc, vec, v); }
Value KernelBuilder::broadcast(Value s) {
  return b.create<vector::BroadcastOp>(loc, vec, s);
}
/// The element type of a memref.
static Type elementOf(Value memref) {
  return cast<MemRefType>(memref.getType()).getElementType();
}

Value KernelBuilder::convert(Value x, Type to) {
  return castFloat(b, loc, x, to);
}

Value KernelBuilder::loadScalar(Value memref, ValueRange at) {
  return convert(b.create<memref::LoadOp>(loc, memref, at), t);
}

VectorType KernelBuilder::vectorOf(Value memref) const {
  return VectorType::get({lanes}, elementOf(memref));
}

Value KernelBuilder::load(Value memref, ValueRange at) {
  return convert(b.create<vector::LoadOp>(loc, vectorOf(memref), memref, at),
                 t);
}
void KernelBuilder::store(Value v, Value memref, ValueRange at) {
  b.create<vector::StoreOp>(loc, convert(v, elementOf(memref)), memref, at);
}

Value KernelBuilder::firstLanes(int64_t count) {
  llvm::SmallVector<bool> bits(lanes, false);
  std::fill_n(bits.begin(), count, true);
  auto type = VectorType::get({lanes}, b.getI1Type());
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bits)));
}

Value KernelBuilder::firstLanes(Value count) {
  if (std::optional<int64_t> c = known(count))
    return firstLanes(std::min(*c, lanes));
  return b.create<vector::CreateMaskOp>(
      loc, VectorType::get({lanes}, b.getI1Type()), ValueRange{count});
}

Value KernelBuilder::maskedLoad(Value mask, Value memref, ValueRange at) {
  VectorType type = vectorOf(memref);
  return convert(
      b.create<vector::MaskedLoadOp>(loc, type, memref, at, mask,
                                     splatConstant(b, loc, type, 0.0)),
      t);
}

Value KernelBuilder::loadFirst(Value count, Value memref, ValueRange at) {
  if (std::optional<int64_t> c = known(count))
    return loadFirst(*c, memref, at);
  return maskedLoad(firstLanes(count), memref, at);
}

void KernelBuilder::storeFirst(Value count, Value v, Value memref,
                               ValueRange at) {
  if (std::optional<int64_t> c = known(count))
    return storeFirst(*c, v, memref, at);
  b.create<vector::MaskedStoreOp>(loc, memref, at, firstLanes(count),
                                  convert(v, elementOf(memref)));
}

Value KernelBuilder::loadFirst(int64_t count, Value memref, ValueRange at) {
  if (count >= lanes)
    return load(memref, at);
  return maskedLoad(firstLanes(count), memref, at);
}
void KernelBuilder::storeFirst(int64_t count, Value v, Value memref,
                               ValueRange at) {
  if (count >= lanes)
    return store(v, memref, at);
  b.create<vector::MaskedStoreOp>(loc, memref, at, firstLanes(count),
                                  convert(v, elementOf(memref)));
}

Value KernelBuilder::alloc(llvm::ArrayRef<int64_t> shape) {
  return b.create<memref::AllocOp>(loc, MemRefType::get(shape, t),
                                   b.getI64IntegerAttr(64));
}

Value KernelBuilder::alloc(llvm::ArrayRef<Value> shape, Type element) {
  llvm::SmallVector<int64_t> dims;
  llvm::SmallVector<Value> dynamic;
  for (Value size : shape) {
    std::optional<int64_t> c = known(size);
    dims.push_back(c ? *c : ShapedType::kDynamic);
    if (!c)
      dynamic.push_back(size);
  }
  return b.create<memref::AllocOp>(loc,
                                   MemRefType::get(dims, element ? element : t),
                                   dynamic, b.getI64IntegerAttr(64));
}

Value KernelBuilder::softmaxExp(Value x) {
  auto type = cast<VectorType>(x.getType());
  if (!type.getElementType().isF32())
    return b.create<math::ExpOp>(loc, x);
  auto fma = [&](Value a, Value m, Value c) -> Value {
    return b.create<vector::FMAOp>(loc, a, m, c);
  };
  // max(c, x) keeps a NaN x (x86 maxps returns its second operand).
  x = b.create<arith::MaxNumFOp>(loc, splat(-87.3), x);
  Value n = b.create<math::RoundEvenOp>(
      loc, b.create<arith::MulFOp>(loc, x, splat(1.44269504088896341)));
  // x - n ln 2 with ln 2 split in two: the first part is exact in f32.
  Value r = fma(n, splat(-0.693359375), x);
  r = fma(n, splat(2.12194440e-4), r);
  Value p = splat(1.9875691500e-4);
  for (double c : {1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
                   1.6666665459e-1, 5.0000001201e-1})
    p = fma(p, r, splat(c));
  Value r2 = b.create<arith::MulFOp>(loc, r, r);
  p = fma(p, r2, b.create<arith::AddFOp>(loc, r, splat(1)));
  // p * 2^n: n added to the exponent field.
  auto intType = VectorType::get(type.getShape(), b.getI32Type());
  Value shift = b.create<arith::ShLIOp>(
      loc, b.create<arith::FPToSIOp>(loc, intType, n),
      b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(intType, b.getI32IntegerAttr(23))));
  Value bits = b.create<arith::AddIOp>(
      loc, b.create<arith::BitcastOp>(loc, intType, p), shift);
  return b.create<arith::BitcastOp>(loc, type, bits);
}

ValueRange KernelBuilder::loop(
    Value lo, Value hi, ValueRange init,
    llvm::function_ref<llvm::SmallVector<Value>(Value, ValueRange)> body) {
  auto op = b.create<scf::ForOp>(
      loc, lo, hi, idx(1), init,
      [&](OpBuilder &, Location, Value iv, ValueRange carried) {
        b.create<scf::YieldOp>(loc, body(iv, carried));
      });
  return op.getResults();
}

void KernelBuilder::forEach(Value lo, Value hi,
                            llvm::function_ref<void(Value)> body,
                            int64_t step) {
  b.create<scf::ForOp>(loc, lo, hi, idx(step), ValueRange{},
                       [&](OpBuilder &, Location, Value iv, ValueRange) {
                         body(iv);
                         b.create<scf::YieldOp>(loc);
                       });
}

void KernelBuilder::ifThen(Value cond, llvm::function_ref<void()> body) {
  auto op = b.create<scf::IfOp>(loc, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&op.getThenRegion().front());
  body();
}

void KernelBuilder::ifThenElse(Value cond, llvm::function_ref<void()> then,
                               llvm::function_ref<void()> otherwise) {
  auto op = b.create<scf::IfOp>(loc, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&op.getThenRegion().front());
  then();
  b.setInsertionPointToStart(&op.getElseRegion().front());
  otherwise();
}

ValueRange KernelBuilder::select(
    Value cond, llvm::function_ref<llvm::SmallVector<Value>()> then,
    llvm::function_ref<llvm::SmallVector<Value>()> otherwise) {
  auto op = b.create<scf::IfOp>(
      loc, cond,
      [&](OpBuilder &, Location) { b.create<scf::YieldOp>(loc, then()); },
      [&](OpBuilder &, Location) { b.create<scf::YieldOp>(loc, otherwise()); });
  return op.getResults();
}

void KernelBuilder::workItems(NodeLowering &n, Value items,
                              int64_t scratchElements,
                              llvm::function_ref<void(Value)> body) {
  int64_t threads = n.options->threads;
  if (std::optional<int64_t> count = known(items))
    threads = std::min<int64_t>(*count, threads);
  std::optional<int64_t> bytes =
      scaleSize(scratchElements, threads * (t.getIntOrFloatBitWidth() / 8));
  n.scratchBytes = bytes ? *bytes : 0;
  buildWorkLoop(b, loc, items, *n.options,
                [&](OpBuilder &, Location, Value item) { body(item); });
}

void KernelBuilder::packTiles(Value packed, Value begin, Value end,
                              int64_t tileWidth, Value depth, Value valid,
                              llvm::function_ref<Value(Value, Value)> element) {
  forEach(begin, end, [&](Value j) {
    Value inside = lessThan(j, valid);
    Value clamped = minIdx(j, sub(valid, idx(1)));
    Value tile = div(sub(j, begin), tileWidth), lane = rem(j, tileWidth);
    forEach(idx(0), depth, [&](Value k) {
      Value x = b.create<arith::SelectOp>(loc, inside, element(clamped, k),
                                          scalar(0));
      b.create<memref::StoreOp>(loc, x, packed, ValueRange{tile, k, lane});
    });
  });
}

llvm::SmallVector<Value> KernelBuilder::tileSum(
    int64_t rows, int64_t cols, Value depth, Value packed, Value tile,
    llvm::function_ref<Value(int64_t, Value)> left, ValueRange init) {
  return tileSum(
      rows, cols, depth,
      [&](Value k, int64_t c) {
        return load(packed, {tile, k, idx(c * lanes)});
      },
      left, init);
}

llvm::SmallVector<Value>
KernelBuilder::tileSum(int64_t rows, int64_t cols, Value depth,
                       llvm::function_ref<Value(Value, int64_t)> right,
                       llvm::function_ref<Value(int64_t, Value)> left,
                       ValueRange init) {
  llvm::SmallVector<Value> start(init.begin(), init.end());
  if (start.empty())
    start.assign(rows * cols, splat(0));
  assert(int64_t(start.size()) == rows * cols && "one init per accumulator");
  ValueRange sums = loop(idx(0), depth, start, [&](Value k, ValueRange acc) {
    llvm::SmallVector<Value> next(acc.begin(), acc.end()), vectors;
    for (int64_t c = 0; c < cols; ++c)
      vectors.push_back(right(k, c));
    for (int64_t r = 0; r < rows; ++r) {
      Value x = broadcast(left(r, k));
      for (int64_t c = 0; c < cols; ++c)
        next[r * cols + c] =
            b.create<vector::FMAOp>(loc, x, vectors[c], next[r * cols + c]);
    }
    return next;
  });
  return {sums.begin(), sums.end()};
}

} // namespace einsum::cpu
