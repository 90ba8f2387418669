//===- LowerGenerators.cpp - constant, iota, distance, masks, slopes ------===//
//
// Generators that depend on position are parallel linalg.generics computing
// from linalg.index in the body, in integers until the final conversion so
// values are exact. constant data and ALiBi slopes (a few numbers per head,
// whose recipe lives in ir/AlibiSlopes.cpp) are computed here at compile
// time into a constant memref.global and copied out.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/LowerEpilogue.h"
#include "backends/cpu/Lowering.h"

#include "ir/Diagnostic.h"
#include "ir/HalfFloat.h"
#include "ir/TensorSemantics.h"
#include "ir/TypeInference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"

#include <limits>

using namespace mlir;

namespace einsum::cpu {

/// Copies `values`, rounded to the result's element type, into the
/// destination through a private constant global.
static LogicalResult emitData(NodeLowering &n, llvm::ArrayRef<double> values) {
  MLIRContext *ctx = n.b.getContext();
  const TensorType &type = n.resultType();
  auto tensorType = RankedTensorType::get(type.shape(), n.elementType());
  DenseElementsAttr data;
  switch (type.elementType()) {
  case DType::F32: {
    llvm::SmallVector<float> v(values.begin(), values.end());
    data = DenseElementsAttr::get(tensorType, llvm::ArrayRef<float>(v));
    break;
  }
  case DType::F64:
    data = DenseElementsAttr::get(tensorType, values);
    break;
  case DType::I64: {
    llvm::SmallVector<int64_t> v;
    for (double x : values)
      v.push_back(int64_t(x));
    data = DenseElementsAttr::get(tensorType, llvm::ArrayRef<int64_t>(v));
    break;
  }
  case DType::F16:
  case DType::BF16: {
    // Rounded here once, from double, as the reference rounds.
    bool half = type.elementType() == DType::F16;
    llvm::SmallVector<llvm::APFloat> v;
    for (double x : values)
      v.emplace_back(half ? llvm::APFloat::IEEEhalf() : llvm::APFloat::BFloat(),
                     llvm::APInt(16, half ? toHalfBits(x) : toBFloat16Bits(x)));
    data = DenseElementsAttr::get(tensorType, v);
    break;
  }
  }
  auto module =
      n.b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  MemRefType memrefType = toMemRefType(ctx, type);
  // Named by content: equal data (every layer's slopes) is one global, and
  // the kernels reading it print alike and are shared too.
  std::string key;
  llvm::raw_string_ostream os(key);
  os << memrefType << data;
  std::string name;
  for (unsigned suffix = 0;; ++suffix) {
    name = "eg_data_" +
           llvm::utohexstr(llvm::xxh3_64bits(key), /*LowerCase=*/true) +
           (suffix ? "_" + std::to_string(suffix) : "");
    auto existing = module.lookupSymbol<memref::GlobalOp>(name);
    if (!existing) {
      OpBuilder::InsertionGuard guard(n.b);
      n.b.setInsertionPointToStart(module.getBody());
      n.b.create<memref::GlobalOp>(n.loc, name, n.b.getStringAttr("private"),
                                   memrefType, data, /*constant=*/true,
                                   n.b.getI64IntegerAttr(64));
      break;
    }
    if (existing.getType() == memrefType &&
        existing.getInitialValueAttr() == data)
      break;
  }
  Value global = n.b.create<memref::GetGlobalOp>(n.loc, memrefType, name);
  n.b.create<memref::CopyOp>(n.loc, global, n.dest);
  return success();
}

static Value scalarOf(OpBuilder &b, Location loc, Type t, double v) {
  if (isa<IntegerType>(t))
    return b.create<arith::ConstantIntOp>(loc, int64_t(v), 64);
  return floatConstant(b, loc, t, v);
}

/// An i64 as the element type `t` (identity for i64).
static Value fromI64(OpBuilder &b, Location loc, Value v, Type t) {
  if (isa<IntegerType>(t))
    return v;
  return b.create<arith::SIToFPOp>(loc, t, v);
}

/// A generic over [Sq, Sk] yielding f(i + query_offset, j), both i64.
static void
emitPairs(NodeLowering &n,
          llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> f) {
  // A decode offset may be known only at run time (`?k-?q`).
  Value offset = n.b.create<arith::IndexCastOp>(
      n.loc, n.b.getI64Type(), n.size(n.node().attr("query_offset").getInt()));
  buildParallelGeneric(
      n.b, n.loc, {}, {}, n.dest, [&](OpBuilder &b, Location loc, ValueRange) {
        llvm::SmallVector<Value, 4> ij = loopIndices(b, loc, 2);
        Type i64 = b.getI64Type();
        Value i = b.create<arith::AddIOp>(
            loc, b.create<arith::IndexCastOp>(loc, i64, ij[0]), offset);
        Value j = b.create<arith::IndexCastOp>(loc, i64, ij[1]);
        b.create<linalg::YieldOp>(loc, f(b, loc, i, j));
      });
}

LogicalResult lowerGenerator(NodeLowering &n) {
  const Node &node = n.node();
  const TensorType &type = n.resultType();
  Type t = n.elementType();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (node.op) {
  case OpKind::Constant: {
    const std::vector<double> &data = node.attr("data").getFloats();
    if (!data.empty()) {
      if (!type.isStatic())
        return n.refuse("'data' fills only a static shape, not " + type.str());
      if (int64_t(data.size()) != type.numElements())
        return n.refuse("'data' has " + llvm::Twine(data.size()) +
                        " values for " + llvm::Twine(type.numElements()) +
                        " elements");
      return emitData(n, data);
    }
    n.b.create<linalg::FillOp>(
        n.loc, scalarOf(n.b, n.loc, t, node.attr("value").getFloat()), n.dest);
    return success();
  }
  case OpKind::Iota: {
    llvm::Expected<unsigned> axis =
        normalizeAxis(node.attr("axis").getInt(), type.rank());
    if (!axis)
      return n.refuse(firstMessage(axis.takeError()));
    int64_t offsetSize = node.attr("offset").getInt();
    Value offset = offsetSize ? n.size(offsetSize) : Value();
    buildParallelGeneric(
        n.b, n.loc, {}, {}, n.dest,
        [&](OpBuilder &b, Location loc, ValueRange) {
          Value i = b.create<linalg::IndexOp>(loc, *axis);
          if (offset)
            i = b.create<arith::AddIOp>(loc, i, offset);
          Value i64 = b.create<arith::IndexCastOp>(loc, b.getI64Type(), i);
          b.create<linalg::YieldOp>(loc, fromI64(b, loc, i64, t));
        });
    return success();
  }
  case OpKind::Distance: {
    bool causal = node.attr("form").getString() == "causal";
    emitPairs(n, [&](OpBuilder &b, Location loc, Value i, Value j) -> Value {
      Value d = b.create<arith::SubIOp>(loc, i, j);
      if (!causal) {
        Value neg = b.create<arith::SubIOp>(
            loc, b.create<arith::ConstantIntOp>(loc, 0, 64), d);
        return fromI64(b, loc, b.create<arith::MaxSIOp>(loc, d, neg), t);
      }
      Value past =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, j, i);
      return b.create<arith::SelectOp>(loc, past, fromI64(b, loc, d, t),
                                       floatConstant(b, loc, t, kInf));
    });
    return success();
  }
  case OpKind::CausalMask:
    emitPairs(n, [&](OpBuilder &b, Location loc, Value i, Value j) -> Value {
      Value past =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, j, i);
      return b.create<arith::SelectOp>(loc, past, floatConstant(b, loc, t, 0),
                                       floatConstant(b, loc, t, -kInf));
    });
    return success();
  case OpKind::AlibiSlopes: {
    llvm::Expected<std::vector<double>> slopes =
        alibiSlopesOf(node, type.numElements());
    if (!slopes)
      return n.refuse(firstMessage(slopes.takeError()));
    return emitData(n, *slopes);
  }
  case OpKind::RelativeBuckets: {
    int64_t buckets = node.attr("num_buckets").getInt();
    int64_t maxDistance = node.attr("max_distance").getInt();
    bool bidirectional = node.attr("bidirectional").getBool();
    emitPairs(n, [&](OpBuilder &b, Location loc, Value i, Value j) -> Value {
      Value rel = b.create<arith::SubIOp>(loc, j, i);
      return emitRelativeBucket(b, loc, rel, buckets, maxDistance,
                                bidirectional);
    });
    return success();
  }
  default:
    llvm_unreachable("not a generator");
  }
}

} // namespace einsum::cpu
