//===- LowerEpilogue.cpp - Epilogue expressions as arith/math -------------===//
//
// 1. Value context: every node becomes one arith or math op in the compute
//    type; labels are converted from their loop index, operands are loaded.
// 2. Integer context (operand indices, rel_bucket's first argument): labels,
//    integer constants, +, - and rel_bucket as index or i64 arithmetic.
//    Epilogue::check proved every index within its dimension, so loads need
//    no bounds check.
// 3. Conditions: a comparison becomes cmpf; any other value v means v != 0.
// 4. Vector form: the same ops on vectors (arith and math take them as
//    is); constants, uniform labels and uniform loads are broadcast, the
//    lane label is its lane-0 index plus [0, 1, ...]. An epilogue that
//    indexes an operand by the lane label goes lane by lane instead, unless
//    the caller gives the values of those parts (a kernel's table over
//    j - i, EpilogueOffsetTerms.h).
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/LowerEpilogue.h"

#include "backends/cpu/EpilogueOffsetTerms.h"
#include "ir/Diagnostic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;

namespace einsum::cpu {

Value emitRelativeBucket(OpBuilder &b, Location loc, Value rel,
                         int64_t numBuckets, int64_t maxDistance,
                         bool bidirectional) {
  Type i64 = b.getI64Type();
  FloatType f32 = b.getF32Type();
  auto c = [&](int64_t v) {
    return b.create<arith::ConstantIntOp>(loc, v, 64).getResult();
  };
  Value zero = c(0);
  Value bucket = zero, distance;
  Value negRel = b.create<arith::SubIOp>(loc, zero, rel);
  if (bidirectional) {
    numBuckets /= 2;
    Value positive =
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, rel, zero);
    bucket = b.create<arith::SelectOp>(loc, positive, c(numBuckets), zero);
    distance = b.create<arith::MaxSIOp>(loc, rel, negRel);
  } else {
    distance = b.create<arith::MaxSIOp>(loc, negRel, zero);
  }
  int64_t exact = numBuckets / 2;
  Value isSmall = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                          distance, c(exact));
  // The logarithmic branch sees at least `exact`, so it never takes log(0)
  // and converts no infinity to an integer, even where it is not selected.
  Value far = b.create<arith::MaxSIOp>(loc, distance, c(exact));
  Value ratio = b.create<arith::DivFOp>(
      loc, b.create<arith::SIToFPOp>(loc, f32, far),
      b.create<arith::ConstantFloatOp>(loc, llvm::APFloat(float(exact)), f32));
  float logRange = float(std::log(double(maxDistance) / double(exact)));
  Value scaled = b.create<arith::MulFOp>(
      loc,
      b.create<arith::DivFOp>(
          loc, b.create<math::LogOp>(loc, ratio),
          b.create<arith::ConstantFloatOp>(loc, llvm::APFloat(logRange), f32)),
      b.create<arith::ConstantFloatOp>(
          loc, llvm::APFloat(float(numBuckets - exact)), f32));
  Value large = b.create<arith::AddIOp>(
      loc, c(exact), b.create<arith::FPToSIOp>(loc, i64, scaled));
  large = b.create<arith::MinSIOp>(loc, large, c(numBuckets - 1));
  Value within = b.create<arith::SelectOp>(loc, isSmall, distance, large);
  return b.create<arith::AddIOp>(loc, bucket, within);
}

namespace {
class Emitter {
public:
  Emitter(const NodeLowering &n, OpBuilder &b, Location loc,
          const EpilogueEnv &env)
      : n(n), b(b), loc(loc), env(env) {}

  FailureOr<Value> value(const EpilogueExpr &e);

private:
  Value precomputed(const EpilogueExpr &e) {
    for (const PrecomputedTerm &p : env.precomputed)
      if (p.expr == &e)
        return p.value;
    return Value();
  }
  FailureOr<Value> integer(const EpilogueExpr &e);
  FailureOr<Value> condition(const EpilogueExpr &e);
  FailureOr<Value> load(const EpilogueExpr &e);
  /// A product feeding a sum may become one fused multiply-add (one
  /// rounding instead of two): the score epilogue's scale-and-bias is one
  /// FMA per vector.
  arith::FastMathFlagsAttr contract() {
    return arith::FastMathFlagsAttr::get(b.getContext(),
                                         arith::FastMathFlags::contract);
  }
  /// A uniform scalar as a value of the form being emitted.
  Value lift(Value scalar) {
    if (!env.lanes)
      return scalar;
    return b.create<vector::BroadcastOp>(
        loc, VectorType::get({env.lanes}, scalar.getType()), scalar);
  }
  Type typeLike(Value shape, Type element) {
    if (auto v = dyn_cast<VectorType>(shape.getType()))
      return VectorType::get(v.getShape(), element);
    return element;
  }
  /// The lane label's value in each lane, as floats.
  Value laneValues(Value base) {
    Type t = env.computeType;
    llvm::SmallVector<mlir::Attribute> iota;
    for (int64_t l = 0; l < env.lanes; ++l)
      iota.push_back(b.getFloatAttr(t, double(l)));
    auto vt = VectorType::get({env.lanes}, t);
    Value offsets =
        b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(vt, iota));
    return b.create<arith::AddFOp>(loc, lift(indexToFloat(b, loc, base, t)),
                                   offsets);
  }
  FailureOr<Value> labelIndex(char label) {
    size_t p = env.labels.find(label);
    if (p == llvm::StringRef::npos)
      return n.refuse(llvm::Twine("epilogue label '") + llvm::Twine(label) +
                      "' is not a loop label");
    return env.labelValues[p];
  }
  FailureOr<llvm::SmallVector<Value, 3>>
  values(llvm::ArrayRef<EpilogueExpr> children) {
    llvm::SmallVector<Value, 3> out;
    for (const EpilogueExpr &c : children) {
      FailureOr<Value> v = value(c);
      if (failed(v))
        return failure();
      out.push_back(*v);
    }
    return out;
  }

  const NodeLowering &n;
  OpBuilder &b;
  Location loc;
  const EpilogueEnv &env;
};
} // namespace

static std::optional<arith::CmpFPredicate> comparison(EpilogueOp op) {
  // Ordered, as C++ compares doubles: NaN is false, except for !=.
  switch (op) {
  case EpilogueOp::Lt:
    return arith::CmpFPredicate::OLT;
  case EpilogueOp::Le:
    return arith::CmpFPredicate::OLE;
  case EpilogueOp::Gt:
    return arith::CmpFPredicate::OGT;
  case EpilogueOp::Ge:
    return arith::CmpFPredicate::OGE;
  case EpilogueOp::Eq:
    return arith::CmpFPredicate::OEQ;
  case EpilogueOp::Ne:
    return arith::CmpFPredicate::UNE;
  default:
    return std::nullopt;
  }
}

FailureOr<Value> Emitter::condition(const EpilogueExpr &e) {
  std::optional<arith::CmpFPredicate> pred = comparison(e.op);
  if (pred && !precomputed(e)) {
    FailureOr<llvm::SmallVector<Value, 3>> args = values(e.children);
    if (failed(args))
      return failure();
    return b.create<arith::CmpFOp>(loc, *pred, (*args)[0], (*args)[1])
        .getResult();
  }
  FailureOr<Value> v = value(e);
  if (failed(v))
    return failure();
  return b
      .create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, *v,
                             lift(floatConstant(b, loc, env.computeType, 0)))
      .getResult();
}

FailureOr<Value> Emitter::integer(const EpilogueExpr &e) {
  switch (e.op) {
  case EpilogueOp::Number:
    return indexConstant(b, loc, int64_t(e.value));
  case EpilogueOp::Label:
    return labelIndex(e.label);
  case EpilogueOp::Symbol:
    return n.sizes->get(b, loc, e.size);
  case EpilogueOp::Add:
  case EpilogueOp::Sub: {
    FailureOr<Value> l = integer(e.children[0]), r = integer(e.children[1]);
    if (failed(l) || failed(r))
      return failure();
    if (e.op == EpilogueOp::Add)
      return b.create<arith::AddIOp>(loc, *l, *r).getResult();
    return b.create<arith::SubIOp>(loc, *l, *r).getResult();
  }
  case EpilogueOp::Neg: {
    FailureOr<Value> x = integer(e.children[0]);
    if (failed(x))
      return failure();
    return b.create<arith::SubIOp>(loc, indexConstant(b, loc, 0), *x)
        .getResult();
  }
  case EpilogueOp::RelBucket: {
    FailureOr<Value> rel = integer(e.children[0]);
    if (failed(rel))
      return failure();
    for (unsigned k = 1; k < 4; ++k)
      if (e.children[k].op != EpilogueOp::Number)
        return n.refuse("rel_bucket takes integer constants after its "
                        "first argument");
    Value rel64 = b.create<arith::IndexCastOp>(loc, b.getI64Type(), *rel);
    Value bucket = emitRelativeBucket(
        b, loc, rel64, int64_t(e.children[1].value),
        int64_t(e.children[2].value), e.children[3].value != 0);
    return b.create<arith::IndexCastOp>(loc, b.getIndexType(), bucket)
        .getResult();
  }
  default:
    return n.refuse(llvm::Twine("'") + epilogueOpSpelling(e.op) +
                    "' in an operand index is not an integer expression");
  }
}

FailureOr<Value> Emitter::load(const EpilogueExpr &e) {
  if (e.operand >= env.operands.size())
    return n.refuse(llvm::Twine("epilogue reads $") + llvm::Twine(e.operand) +
                    " but the node has " + llvm::Twine(env.operands.size()) +
                    " epilogue operands");
  const TensorType &type = env.operandTypes[e.operand];
  llvm::SmallVector<Value, 4> index;
  for (auto [d, c] : llvm::enumerate(e.children)) {
    FailureOr<Value> i = c.op == EpilogueOp::Label && type.dim(d) == 1
                             ? FailureOr<Value>(indexConstant(b, loc, 0))
                             : integer(c);
    if (failed(i))
      return failure();
    index.push_back(*i);
  }
  Value v = b.create<memref::LoadOp>(loc, env.operands[e.operand], index);
  return castFloat(b, loc, v, env.computeType);
}

FailureOr<Value> Emitter::value(const EpilogueExpr &e) {
  if (Value given = precomputed(e))
    return given;
  Type t = env.computeType;
  switch (e.op) {
  case EpilogueOp::Number:
    return lift(floatConstant(b, loc, t, e.value));
  case EpilogueOp::Acc:
    if (!env.acc)
      return n.refuse("epilogue reads 'acc' where there is no sum");
    return env.acc;
  case EpilogueOp::Label: {
    FailureOr<Value> i = labelIndex(e.label);
    if (failed(i))
      return failure();
    if (env.lanes && e.label == env.laneLabel)
      return laneValues(*i);
    return lift(indexToFloat(b, loc, *i, t));
  }
  case EpilogueOp::Operand: {
    FailureOr<Value> v = load(e);
    if (failed(v))
      return failure();
    return lift(*v);
  }
  case EpilogueOp::Symbol:
    return lift(indexToFloat(b, loc, n.sizes->get(b, loc, e.size), t));
  case EpilogueOp::Lt:
  case EpilogueOp::Le:
  case EpilogueOp::Gt:
  case EpilogueOp::Ge:
  case EpilogueOp::Eq:
  case EpilogueOp::Ne: {
    FailureOr<Value> c = condition(e);
    if (failed(c))
      return failure();
    return b.create<arith::UIToFPOp>(loc, typeLike(*c, t), *c).getResult();
  }
  case EpilogueOp::Select: {
    FailureOr<Value> c = condition(e.children[0]);
    FailureOr<Value> x = value(e.children[1]), y = value(e.children[2]);
    if (failed(c) || failed(x) || failed(y))
      return failure();
    return b.create<arith::SelectOp>(loc, *c, *x, *y).getResult();
  }
  case EpilogueOp::RelBucket: {
    FailureOr<Value> i = integer(e);
    if (failed(i))
      return failure();
    return lift(indexToFloat(b, loc, *i, t));
  }
  case EpilogueOp::Neg:
  case EpilogueOp::Add:
  case EpilogueOp::Sub:
  case EpilogueOp::Mul:
  case EpilogueOp::Div:
  case EpilogueOp::Abs:
  case EpilogueOp::Exp:
  case EpilogueOp::Log:
  case EpilogueOp::Sqrt:
  case EpilogueOp::Min:
  case EpilogueOp::Max:
    break;
  }
  FailureOr<llvm::SmallVector<Value, 3>> argsOr = values(e.children);
  if (failed(argsOr))
    return failure();
  llvm::SmallVector<Value, 3> &a = *argsOr;
  switch (e.op) {
  case EpilogueOp::Neg:
    return b.create<arith::NegFOp>(loc, a[0]).getResult();
  case EpilogueOp::Add:
    return b.create<arith::AddFOp>(loc, a[0], a[1], contract()).getResult();
  case EpilogueOp::Sub:
    return b.create<arith::SubFOp>(loc, a[0], a[1], contract()).getResult();
  case EpilogueOp::Mul:
    return b.create<arith::MulFOp>(loc, a[0], a[1], contract()).getResult();
  case EpilogueOp::Div:
    return b.create<arith::DivFOp>(loc, a[0], a[1]).getResult();
  case EpilogueOp::Abs:
    return b.create<math::AbsFOp>(loc, a[0]).getResult();
  case EpilogueOp::Exp:
    return b.create<math::ExpOp>(loc, a[0]).getResult();
  case EpilogueOp::Log:
    return b.create<math::LogOp>(loc, a[0]).getResult();
  case EpilogueOp::Sqrt:
    return b.create<math::SqrtOp>(loc, a[0]).getResult();
  // maximumf and minimumf propagate NaN, as the epilogue's max and min do.
  case EpilogueOp::Min:
    return b.create<arith::MinimumFOp>(loc, a[0], a[1]).getResult();
  case EpilogueOp::Max:
    return b.create<arith::MaximumFOp>(loc, a[0], a[1]).getResult();
  default:
    llvm_unreachable("leaves, comparisons and calls are handled above");
  }
}

bool needsLaneLoop(const Epilogue &e, char laneLabel,
                   llvm::ArrayRef<PrecomputedTerm> precomputed) {
  llvm::SmallVector<const EpilogueExpr *, 2> given;
  for (const PrecomputedTerm &p : precomputed)
    given.push_back(p.expr);
  return gathersByLabel(e.root(), laneLabel, given);
}

/// The vector form through `env.laneScratch`: each lane's sum is stored,
/// replaced by its scalar epilogue, and the vector read back.
static FailureOr<Value> emitLaneByLane(const NodeLowering &n, OpBuilder &b,
                                       Location loc, const Epilogue &e,
                                       const EpilogueEnv &env) {
  assert(env.laneScratch && "the caller provides the lane scratch buffer");
  auto vt = cast<VectorType>(env.acc.getType());
  Value c0 = indexConstant(b, loc, 0);
  b.create<vector::StoreOp>(loc, env.acc, env.laneScratch, ValueRange{c0});
  size_t lanePos = env.labels.find(env.laneLabel);
  LogicalResult result = success();
  b.create<scf::ForOp>(
      loc, c0, indexConstant(b, loc, env.lanes), indexConstant(b, loc, 1),
      ValueRange{}, [&](OpBuilder &b, Location loc, Value l, ValueRange) {
        llvm::SmallVector<Value, 4> labels(env.labelValues.begin(),
                                           env.labelValues.end());
        labels[lanePos] = b.create<arith::AddIOp>(loc, labels[lanePos], l);
        EpilogueEnv scalar = env;
        scalar.lanes = 0;
        scalar.precomputed = {};
        scalar.labelValues = labels;
        scalar.acc = b.create<memref::LoadOp>(loc, env.laneScratch, l);
        FailureOr<Value> v = Emitter(n, b, loc, scalar).value(e.root());
        if (failed(v))
          result = failure();
        else
          b.create<memref::StoreOp>(loc, *v, env.laneScratch, l);
        b.create<scf::YieldOp>(loc);
      });
  if (failed(result))
    return failure();
  return b.create<vector::LoadOp>(loc, vt, env.laneScratch, ValueRange{c0})
      .getResult();
}

FailureOr<Value> emitEpilogue(const NodeLowering &n, OpBuilder &b, Location loc,
                              const Epilogue &e, const EpilogueEnv &env) {
  if (env.lanes && needsLaneLoop(e, env.laneLabel, env.precomputed))
    return emitLaneByLane(n, b, loc, e, env);
  return Emitter(n, b, loc, env).value(e.root());
}

} // namespace einsum::cpu
