//===- LowerShape.cpp - expand_dims, reshape, transpose, gather, concat ---===//
//
// expand_dims and reshape keep the row-major data, so they are views
// (memref.reinterpret_cast), not copies. transpose is a linalg.generic
// whose input map permutes the loops. gather is a loop nest that clamps
// every index into range, so a bad index never reads out of bounds; a first
// loop over the indices records the first bad one (row-major) in the
// node's status row, which the executable turns into the reference's error.
// concat, reduced to rows (RankReduction.h), copies each input's part of a
// result row as contiguous memory (copyContiguous: a memcpy, or vector
// loads and stores for a width known only at run time): a key/value cache
// append is bandwidth, not arithmetic.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Lowering.h"

#include "ir/Diagnostic.h"
#include "ir/TypeInference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace einsum::cpu {

Value viewAs(OpBuilder &b, Location loc, Value source, const TensorType &type,
             const SizeValues &sizeValues) {
  MemRefType target = toMemRefType(b.getContext(), type);
  // Sizes and row-major strides, numbers while every size they depend on is
  // one (the result type's identity layout has exactly those static).
  llvm::SmallVector<OpFoldResult> sizes(type.rank()), strides(type.rank());
  std::optional<int64_t> staticStride = 1;
  Value stride;
  for (size_t d = type.rank(); d-- > 0;) {
    strides[d] = staticStride ? OpFoldResult(b.getIndexAttr(*staticStride))
                              : OpFoldResult(stride);
    int64_t size = type.dim(d);
    if (isSymbolicSize(size)) {
      Value v = sizeValues.get(b, loc, size);
      sizes[d] = v;
      stride = b.create<arith::MulIOp>(
          loc, stride ? stride : indexConstant(b, loc, *staticStride), v);
      staticStride.reset();
    } else {
      sizes[d] = b.getIndexAttr(size);
      if (staticStride)
        *staticStride *= size;
      else
        stride =
            b.create<arith::MulIOp>(loc, stride, indexConstant(b, loc, size));
    }
  }
  return b.create<memref::ReinterpretCastOp>(loc, target, source,
                                             b.getIndexAttr(0), sizes, strides);
}

LogicalResult lowerTranspose(NodeLowering &n) {
  const std::vector<int64_t> &perm = n.node().attr("perm").getInts();
  unsigned rank = n.inputType(0).rank();
  if (perm.size() != rank)
    return n.refuse("perm has " + llvm::Twine(perm.size()) +
                    " entries for rank " + llvm::Twine(rank));
  // Result dim i reads input dim perm[i]: input dim perm[i] is loop i.
  MLIRContext *ctx = n.b.getContext();
  llvm::SmallVector<AffineExpr> exprs(rank);
  for (unsigned i = 0; i < rank; ++i)
    exprs[perm[i]] = getAffineDimExpr(i, ctx);
  AffineMap map = AffineMap::get(rank, 0, exprs, ctx);
  buildParallelGeneric(n.b, n.loc, n.inputs[0], map, n.dest,
                       [](OpBuilder &b, Location loc, ValueRange args) {
                         b.create<linalg::YieldOp>(loc, args[0]);
                       });
  return success();
}

/// Loops over the shape of `type` (none for rank 0) calling `body` with
/// the indices.
static void
forEachIndex(NodeLowering &n, const TensorType &type,
             llvm::function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  llvm::SmallVector<Value> lbs, ubs, steps;
  for (unsigned d = 0; d < type.rank(); ++d) {
    lbs.push_back(indexConstant(n.b, n.loc, 0));
    ubs.push_back(n.dim(type, d));
    steps.push_back(indexConstant(n.b, n.loc, 1));
  }
  scf::buildLoopNest(n.b, n.loc, lbs, ubs, steps, body);
}

LogicalResult lowerGather(NodeLowering &n) {
  const TensorType &table = n.inputType(0), &indices = n.inputType(1);
  llvm::Expected<unsigned> axisOr =
      normalizeAxis(n.node().attr("axis").getInt(), table.rank());
  if (!axisOr)
    return n.refuse(firstMessage(axisOr.takeError()));
  if (indices.elementType() != DType::I64)
    return n.refuse("indices have type " + indices.str() + "; expected i64");
  unsigned axis = *axisOr;
  Value axisSize = n.b.create<arith::IndexCastOp>(n.loc, n.b.getI64Type(),
                                                  n.dim(table, axis));
  Value lastIndex = n.b.create<arith::SubIOp>(
      n.loc, axisSize, n.b.create<arith::ConstantIntOp>(n.loc, 1, 64));
  llvm::SmallVector<Value> indexDims;
  for (unsigned d = 0; d < indices.rank(); ++d)
    indexDims.push_back(n.dim(indices, d));
  Value tableBuf = n.inputs[0], indexBuf = n.inputs[1];
  // The node's own [1, 2] row of the status.
  Value slot = indexConstant(n.b, n.loc, 0);
  Value c0 = indexConstant(n.b, n.loc, 0), c1 = indexConstant(n.b, n.loc, 1);

  // 1. Record the first out-of-range index and its row-major position.
  forEachIndex(
      n, indices, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        Value flat = indexConstant(b, loc, 0);
        for (auto [d, iv] : llvm::enumerate(ivs))
          flat = b.create<arith::AddIOp>(
              loc, b.create<arith::MulIOp>(loc, flat, indexDims[d]), iv);
        Value idx = b.create<memref::LoadOp>(loc, indexBuf, ivs);
        Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
        Value low =
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, idx, zero);
        Value high = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                             idx, axisSize);
        Value seen =
            b.create<memref::LoadOp>(loc, n.status, ValueRange{slot, c0});
        Value first =
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, seen, zero);
        Value record = b.create<arith::AndIOp>(
            loc, first, b.create<arith::OrIOp>(loc, low, high));
        b.create<scf::IfOp>(loc, record, [&](OpBuilder &b, Location loc) {
          Value pos = b.create<arith::IndexCastOp>(loc, b.getI64Type(), flat);
          b.create<memref::StoreOp>(loc, pos, n.status, ValueRange{slot, c0});
          b.create<memref::StoreOp>(loc, idx, n.status, ValueRange{slot, c1});
          b.create<scf::YieldOp>(loc);
        });
      });

  // 2. Result [outer..., index dims..., inner...] reads table
  //    [outer..., clamp(indices[index dims]), inner...].
  unsigned indexRank = indices.rank();
  forEachIndex(
      n, n.resultType(), [&](OpBuilder &b, Location loc, ValueRange ivs) {
        ValueRange outer = ivs.take_front(axis);
        ValueRange at = ivs.slice(axis, indexRank);
        ValueRange inner = ivs.drop_front(axis + indexRank);
        Value idx = b.create<memref::LoadOp>(loc, indexBuf, at);
        idx = b.create<arith::MaxSIOp>(
            loc, idx, b.create<arith::ConstantIntOp>(loc, 0, 64));
        idx = b.create<arith::MinSIOp>(loc, idx, lastIndex);
        llvm::SmallVector<Value> src(outer.begin(), outer.end());
        src.push_back(b.create<arith::IndexCastOp>(loc, b.getIndexType(), idx));
        src.append(inner.begin(), inner.end());
        Value v = b.create<memref::LoadOp>(loc, tableBuf, src);
        b.create<memref::StoreOp>(loc, v, n.dest, ivs);
      });
  return success();
}

/// Row `row` (none: the whole rank-1 buffer) of `buffer`, columns
/// [offset, offset + columns), as a rank-1 contiguous view. Offsets and
/// widths are values, constants when known.
static Value rowSlice(OpBuilder &b, Location loc, Value buffer, Value row,
                      Value offset, Value columns) {
  auto type = cast<MemRefType>(buffer.getType());
  llvm::SmallVector<OpFoldResult> offsets, sizes, strides;
  if (row) {
    offsets.push_back(row);
    sizes.push_back(b.getIndexAttr(1));
    strides.push_back(b.getIndexAttr(1));
  }
  offsets.push_back(getAsOpFoldResult(offset));
  OpFoldResult width = getAsOpFoldResult(columns);
  sizes.push_back(width);
  strides.push_back(b.getIndexAttr(1));
  std::optional<int64_t> staticWidth = getConstantIntValue(width);
  auto sliceType =
      cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          {staticWidth ? *staticWidth : ShapedType::kDynamic}, type, offsets,
          sizes, strides));
  return b.create<memref::SubViewOp>(loc, sliceType, buffer, offsets, sizes,
                                     strides);
}

LogicalResult lowerConcat(NodeLowering &n) {
  // Over reduced shapes: inputs [outer, columns_k] or [columns_k], joined
  // along the last axis.
  const TensorType &result = n.resultType();
  unsigned rank = result.rank();
  if (!n.reduced || rank > 2 ||
      n.node().attr("axis").getInt() != int64_t(rank) - 1)
    return n.refuse("concat is lowered only as rows of inputs side by side");
  llvm::SmallVector<Value> widths;
  for (unsigned k = 0; k < n.inputs.size(); ++k)
    widths.push_back(n.dim(n.inputType(k), rank - 1));
  auto copyRow = [&](OpBuilder &b, Location loc, Value row) {
    Value offset = indexConstant(b, loc, 0);
    for (auto [k, input] : llvm::enumerate(n.inputs)) {
      Value columns = widths[k];
      copyContiguous(
          b, loc,
          rowSlice(b, loc, input, row, indexConstant(b, loc, 0), columns),
          rowSlice(b, loc, n.dest, row, offset, columns), *n.options);
      std::optional<int64_t> a = getConstantIntValue(offset),
                             c = getConstantIntValue(columns);
      offset = a && c ? indexConstant(b, loc, *a + *c)
                      : b.create<arith::AddIOp>(loc, offset, columns);
    }
  };
  if (rank == 1)
    copyRow(n.b, n.loc, Value());
  else
    buildWorkLoop(n.b, n.loc, n.dim(result, 0), *n.options, copyRow);
  return success();
}

} // namespace einsum::cpu
