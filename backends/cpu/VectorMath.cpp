//===- VectorMath.cpp - Math functions on vectors without libm ------------===//
#include "backends/cpu/VectorMath.h"
#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

using namespace mlir;

namespace einsum::cpu {

Value expandF64Exp(OpBuilder &b, Location loc, Value x) {
  auto type = cast<VectorType>(x.getType());
  auto c = [&](double v) { return splatConstant(b, loc, type, v); };
  auto fma = [&](Value a, Value m, Value add) -> Value {
    return b.create<math::FmaOp>(loc, a, m, add);
  };
  // Beyond these exp is inf or 0 in double; clamped, n stays in range
  // (minimumf and maximumf keep a NaN, which is put back at the end).
  Value clamped = b.create<arith::MaximumFOp>(
      loc, b.create<arith::MinimumFOp>(loc, x, c(710.0)), c(-746.0));
  Value n = b.create<math::RoundEvenOp>(
      loc, b.create<arith::MulFOp>(loc, clamped, c(1.4426950408889634)));
  // ln 2 in two parts, the first with trailing zeros: n * hi is exact for
  // |n| < 2^11.
  Value r = fma(n, c(-6.93147180369123816490e-01), clamped);
  r = fma(n, c(-1.90821492927058770002e-10), r);
  // 1 + r + r^2/2! + ... + r^12/12!: the next term is below 2^-60.
  Value p = c(1.0 / 479001600.0);
  for (int k = 11; k >= 0; --k)
    p = fma(p, r, c(1.0 / std::tgamma(k + 1.0)));
  // p * 2^n as p * 2^a * 2^(n - a), a = n / 2: each factor a normal power
  // of two for n in [-1076, 1025].
  auto intType = VectorType::get(type.getShape(), b.getI64Type());
  auto power = [&](Value e) {
    Value biased = b.create<arith::AddIOp>(
        loc, b.create<arith::FPToSIOp>(loc, intType, e),
        b.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(intType, b.getI64IntegerAttr(1023))));
    Value bits = b.create<arith::ShLIOp>(
        loc, biased,
        b.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(intType, b.getI64IntegerAttr(52))));
    return b.create<arith::BitcastOp>(loc, type, bits).getResult();
  };
  Value half =
      b.create<math::FloorOp>(loc, b.create<arith::MulFOp>(loc, n, c(0.5)));
  Value rest = b.create<arith::SubFOp>(loc, n, half);
  Value result = b.create<arith::MulFOp>(
      loc, b.create<arith::MulFOp>(loc, p, power(half)), power(rest));
  Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  return b.create<arith::SelectOp>(loc, isNaN, x, result);
}

namespace {

struct F64VectorExp : OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::ExpOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<VectorType>(op.getType());
    if (!type || !type.getElementType().isF64())
      return failure();
    rewriter.replaceOp(op,
                       expandF64Exp(rewriter, op.getLoc(), op.getOperand()));
    return success();
  }
};

} // namespace

LogicalResult approximateVectorMath(ModuleOp module) {
  llvm::SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (op->getNumResults() != 1 ||
        !isa<math::ExpOp, math::TanhOp, math::ErfOp, math::LogOp, math::Log2Op,
             math::Log1pOp, math::ExpM1Op>(op))
      return;
    auto type = dyn_cast<VectorType>(op->getResult(0).getType());
    if (!type)
      return;
    Type element = type.getElementType();
    if (element.isF32() || (element.isF64() && isa<math::ExpOp>(op)))
      ops.push_back(op);
  });
  if (ops.empty())
    return success();
  RewritePatternSet patterns(module.getContext());
  populateMathPolynomialApproximationPatterns(patterns);
  patterns.add<F64VectorExp>(module.getContext(), /*benefit=*/2);
  GreedyRewriteConfig config;
  config.strictMode = GreedyRewriteStrictness::ExistingOps;
  return applyOpPatternsAndFold(ops, std::move(patterns), config);
}

} // namespace einsum::cpu
