//===- LoweringUtil.cpp - Types and scalar helpers of the lowering --------===//
#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

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
  }
  llvm_unreachable("every dtype is handled above");
}

MemRefType toMemRefType(MLIRContext *ctx, const TensorType &t) {
  return MemRefType::get(t.shape(), toMlirType(ctx, t.elementType()));
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

Value castFloat(OpBuilder &b, Location loc, Value v, Type type) {
  unsigned from = v.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (from < to)
    return b.create<arith::ExtFOp>(loc, type, v);
  if (from > to)
    return b.create<arith::TruncFOp>(loc, type, v);
  return v;
}

llvm::SmallVector<Value, 4> loopIndices(OpBuilder &b, Location loc,
                                        unsigned numLoops) {
  llvm::SmallVector<Value, 4> out;
  for (unsigned d = 0; d < numLoops; ++d)
    out.push_back(b.create<linalg::IndexOp>(loc, d));
  return out;
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
