//===- LoweringUtil.cpp - Types and scalar helpers of the lowering --------===//
#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace einsum::cpu {

Type toMlirType(MLIRContext *ctx, DType t) {
  switch (t) {
  case DType::F32:
    return Float32Type::get(ctx);
  case DType::F64:
    return Float64Type::get(ctx);
  case DType::I64:
    return IntegerType::get(ctx, 64);
  case DType::F16:
    return Float16Type::get(ctx);
  case DType::BF16:
    return BFloat16Type::get(ctx);
  }
  llvm_unreachable("every dtype is handled above");
}

MemRefType toMemRefType(MLIRContext *ctx, const TensorType &t) {
  llvm::SmallVector<int64_t> shape;
  for (int64_t d : t.shape())
    shape.push_back(isSymbolicSize(d) ? ShapedType::kDynamic : d);
  return MemRefType::get(shape, toMlirType(ctx, t.elementType()));
}

Value SizeValues::get(OpBuilder &b, Location loc, int64_t s) const {
  if (!isSymbolicSize(s))
    return indexConstant(b, loc, s);
  SizeExpr e = sizeExpr(s);
  Value sum;
  for (const SizeTerm &term : e.terms) {
    auto it = values.find(term.symbol);
    assert(it != values.end() && "a symbol the entry does not read");
    Value v = it->second;
    if (term.coefficient != 1)
      v = b.create<arith::MulIOp>(loc, v,
                                  indexConstant(b, loc, term.coefficient));
    sum = sum ? b.create<arith::AddIOp>(loc, sum, v).getResult() : v;
  }
  if (e.constant != 0)
    sum = b.create<arith::AddIOp>(loc, sum, indexConstant(b, loc, e.constant));
  return sum;
}

llvm::SmallVector<Value> SizeValues::dynamicSizes(OpBuilder &b, Location loc,
                                                  const TensorType &t) const {
  llvm::SmallVector<Value> out;
  for (unsigned d = 0; d < t.rank(); ++d)
    if (isSymbolicSize(t.dim(d)))
      out.push_back(get(b, loc, t.dim(d)));
  return out;
}

Type NodeLowering::elementType() const {
  return toMlirType(b.getContext(), resultType().elementType());
}

LogicalResult NodeLowering::refuse(const llvm::Twine &why) const {
  return emitError(loc) << g.describeNode(id) << ": " << why.str();
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return b.create<arith::ConstantOp>(loc, type, b.getFloatAttr(type, value));
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return b.create<arith::ConstantIndexOp>(loc, v);
}

Value indexToFloat(OpBuilder &b, Location loc, Value index, Type type) {
  Value i64 = b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
  return b.create<arith::SIToFPOp>(loc, type, i64);
}

/// `type`, or a vector of it shaped like `like`.
static Type shapedLike(Value like, Type type) {
  if (auto v = dyn_cast<VectorType>(like.getType()))
    return VectorType::get(v.getShape(), type);
  return type;
}

/// f64 to f32 rounded to odd: toward zero, with the last bit set if
/// anything was lost. Rounding that to a type with at least two bits fewer
/// (f16, bf16) rounds once, as from the f64 itself.
static Value roundToOddF32(OpBuilder &b, Location loc, Value x) {
  Value nearest =
      b.create<arith::TruncFOp>(loc, shapedLike(x, b.getF32Type()), x);
  Value back = b.create<arith::ExtFOp>(loc, x.getType(), nearest);
  Value lost = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, back, x);
  Value away = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT,
                                       b.create<math::AbsFOp>(loc, back),
                                       b.create<math::AbsFOp>(loc, x));
  Type i32 = shapedLike(x, b.getI32Type());
  auto intConstant = [&](int64_t v) -> Value {
    mlir::Attribute a = b.getI32IntegerAttr(int32_t(v));
    if (auto vec = dyn_cast<VectorType>(i32))
      a = DenseElementsAttr::get(vec, llvm::ArrayRef<mlir::Attribute>{a});
    return b.create<arith::ConstantOp>(loc, cast<TypedAttr>(a));
  };
  Value bits = b.create<arith::BitcastOp>(loc, i32, nearest);
  // The magnitude is the bits below the sign: one less is toward zero.
  bits = b.create<arith::SelectOp>(
      loc, away, b.create<arith::SubIOp>(loc, bits, intConstant(1)), bits);
  bits = b.create<arith::SelectOp>(
      loc, lost, b.create<arith::OrIOp>(loc, bits, intConstant(1)), bits);
  return b.create<arith::BitcastOp>(loc, nearest.getType(), bits);
}

Value castFloat(OpBuilder &b, Location loc, Value v, Type type) {
  Type fromType = getElementTypeOrSelf(v.getType());
  Type toType = getElementTypeOrSelf(type);
  unsigned from = fromType.getIntOrFloatBitWidth();
  unsigned to = toType.getIntOrFloatBitWidth();
  if (fromType == toType)
    return v;
  Type f32 = b.getF32Type();
  // f16 and bf16 have equal widths but neither holds the other: through
  // f32, which holds both.
  if (from == to)
    return castFloat(b, loc, castFloat(b, loc, v, f32), toType);
  // No instruction or runtime function here rounds f64 to 16 bits.
  if (from == 64 && to == 16)
    return castFloat(b, loc, roundToOddF32(b, loc, v), toType);
  if (from < to)
    return b.create<arith::ExtFOp>(loc, shapedLike(v, toType), v);
  return b.create<arith::TruncFOp>(loc, shapedLike(v, toType), v);
}

llvm::SmallVector<Value, 4> loopIndices(OpBuilder &b, Location loc,
                                        unsigned numLoops) {
  llvm::SmallVector<Value, 4> out;
  for (unsigned d = 0; d < numLoops; ++d)
    out.push_back(b.create<linalg::IndexOp>(loc, d));
  return out;
}

/// `m` as a rank-1 memref of its elements (it must be contiguous).
static Value flat(OpBuilder &b, Location loc, Value m) {
  auto type = cast<MemRefType>(m.getType());
  if (type.getRank() == 1)
    return m;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  if (type.getRank() == 0)
    return b.create<memref::ExpandShapeOp>(
        loc, MemRefType::get({1}, type.getElementType()), m,
        llvm::ArrayRef<ReassociationIndices>{});
  return b.create<memref::CollapseShapeOp>(
      loc, m, llvm::SmallVector<ReassociationIndices>{all});
}

void copyContiguous(OpBuilder &b, Location loc, Value src, Value dst,
                    const KernelOptions &options) {
  auto type = cast<MemRefType>(src.getType());
  if (type.hasStaticShape()) {
    b.create<memref::CopyOp>(loc, src, dst);
    return;
  }
  Value from = flat(b, loc, src), to = flat(b, loc, dst);
  Type element = type.getElementType();
  int64_t lanes = options.lanes(element.getIntOrFloatBitWidth());
  auto vec = VectorType::get({lanes}, element);
  Value count = b.create<memref::DimOp>(loc, from, 0);
  Value c0 = indexConstant(b, loc, 0), step = indexConstant(b, loc, lanes);
  Value whole = b.create<arith::MulIOp>(
      loc, b.create<arith::DivUIOp>(loc, count, step), step);
  b.create<scf::ForOp>(loc, c0, whole, step, ValueRange{},
                       [&](OpBuilder &b, Location loc, Value i, ValueRange) {
                         Value v = b.create<vector::LoadOp>(loc, vec, from, i);
                         b.create<vector::StoreOp>(loc, v, to, i);
                         b.create<scf::YieldOp>(loc);
                       });
  // The tail, possibly empty: a mask of no lanes moves nothing.
  Value mask = b.create<vector::CreateMaskOp>(
      loc, VectorType::get({lanes}, b.getI1Type()),
      ValueRange{b.create<arith::SubIOp>(loc, count, whole)});
  Value zero = b.create<arith::ConstantOp>(loc, vec, b.getZeroAttr(vec));
  Value tail = b.create<vector::MaskedLoadOp>(loc, vec, from, ValueRange{whole},
                                              mask, zero);
  b.create<vector::MaskedStoreOp>(loc, to, ValueRange{whole}, mask, tail);
}

void buildParallelGeneric(
    OpBuilder &b, Location loc, ValueRange inputs,
    llvm::ArrayRef<AffineMap> inputMaps, Value dest,
    llvm::function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  unsigned rank = cast<MemRefType>(dest.getType()).getRank();
  llvm::SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(rank));
  llvm::SmallVector<utils::IteratorType> iterators(
      rank, utils::IteratorType::parallel);
  b.create<linalg::GenericOp>(loc, TypeRange{}, inputs, ValueRange{dest}, maps,
                              iterators, body);
}

} // namespace einsum::cpu
