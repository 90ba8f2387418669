//===- KernelOptions.cpp - Vector constants and work loops ----------------===//
//
// The vector shape itself comes from the target (Target.h).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace einsum::cpu {

Value splatConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto vt = dyn_cast<VectorType>(type))
    return b.create<arith::ConstantOp>(
        loc,
        DenseElementsAttr::get(vt, b.getFloatAttr(vt.getElementType(), value)));
  return floatConstant(b, loc, type, value);
}

void buildWorkLoop(
    OpBuilder &b, Location loc, int64_t count, const KernelOptions &options,
    llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  buildWorkLoop(b, loc, indexConstant(b, loc, count), options, body);
}

void buildWorkLoop(
    OpBuilder &b, Location loc, Value n, const KernelOptions &options,
    llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
  std::optional<int64_t> count = getConstantIntValue(n);
  if (options.threads > 1 && (!count || *count > 1)) {
    b.create<scf::ParallelOp>(loc, ValueRange{c0}, ValueRange{n},
                              ValueRange{c1},
                              [&](OpBuilder &b, Location loc, ValueRange ivs) {
                                body(b, loc, ivs[0]);
                              });
    return;
  }
  b.create<scf::ForOp>(loc, c0, n, c1, ValueRange{},
                       [&](OpBuilder &b, Location loc, Value iv, ValueRange) {
                         body(b, loc, iv);
                         b.create<scf::YieldOp>(loc);
                       });
}

} // namespace einsum::cpu
