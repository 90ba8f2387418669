//===- RotaryEncoding.cpp - RoPE without slices or concatenation ----------===//
//
// Half-split RoPE rotates each pair (x[e], x[e + d/2]) by the angle
// theta[s, e] = (s + offset) / scaling * base^(-2e/d):
//
//   y[e]       = cos * x[e] - sin * x[e + d/2]
//   y[e + d/2] = sin * x[e] + cos * x[e + d/2]
//
// 1. Reshape x [b,h,s,d] to [b,h,s,2,d/2]: axis c picks the half.
// 2. Build R[s,c,f,e] = cos[s,e] I[c,f] + sin[s,e] J[c,f] with the constant
//    2x2 matrices I = identity and J = [[0,-1],[1,0]] (outer products by
//    einsum), so y[c,e] = sum_f R[c,f,e] x[f,e].
// 3. One einsum applies R; a reshape restores [b,h,s,d].
//
//===----------------------------------------------------------------------===//
#include "ir/nn/OtherEncodings.h"

#include "ir/Builder.h"
#include "ir/TypeInference.h"
#include "ir/nn/NnSupport.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum::nn {

using detail::uniqueName;

llvm::Expected<RotaryPositionEncoding>
RotaryPositionEncoding::create(PositionEncodingConfig config) {
  if (llvm::Error err = detail::checkConfig(config, EncodingType::Rotary,
                                            "RotaryPositionEncoding"))
    return err;
  return RotaryPositionEncoding(config);
}

llvm::Expected<TensorId> RotaryPositionEncoding::buildRotation(
    Graph &g, int64_t seq, int64_t positionOffset, DType dtype) const {
  llvm::StringRef ctx = "rotary encoding";
  // Sizes known only at run time are checked then (ir/SizeBindings.h).
  if (!isSymbolicSize(seq) && seq < 1)
    return makeError(
        fmt::format("{}: seq is {}; expected at least 1", ctx.str(), seq));
  if (!isSymbolicSize(positionOffset) && positionOffset < 0)
    return makeError(fmt::format("{}: position offset is {}; expected at "
                                 "least 0",
                                 ctx.str(), positionOffset));
  if (!isFloat(dtype))
    return makeError(fmt::format("{}: element type {} is not a float type",
                                 ctx.str(), dtypeName(dtype).str()));
  // Angles of thousands of positions need more than 16 bits: a rotation
  // for f16 or bf16 tensors is made and applied in f32.
  dtype = accumulatorType(dtype);
  int64_t d = cfg.dModel, half = d / 2;
  Builder b(g);
  TensorId pos = b.iota(TensorType(dtype, {seq}), 0, uniqueName(g, "rope_pos"),
                        positionOffset);
  if (cfg.scalingFactor != 1.0)
    pos = b.div(pos, b.scalar(cfg.scalingFactor, dtype));
  // base^(-2e/d) as exp(e * -2 ln(base) / d).
  TensorId pairIndex = b.iota(TensorType(dtype, {half}));
  TensorId exponent =
      b.mul(pairIndex, b.scalar(-2.0 * std::log(cfg.base) / double(d), dtype));
  TensorId invFreq = b.exp(exponent);
  TensorId angles =
      b.einsum("s,e->se", {pos, invFreq}, uniqueName(g, "rope_angles"));

  // One statement per node: argument evaluation order is unspecified, and
  // the printed node order must not depend on the compiler.
  TensorType twoByTwo(dtype, {2, 2});
  TensorId identity = b.constant({1, 0, 0, 1}, twoByTwo);
  TensorId quarterTurn = b.constant({0, -1, 1, 0}, twoByTwo);
  TensorId cosines = b.unary(OpKind::Cos, angles);
  TensorId cosPart = b.einsum("se,cf->scfe", {cosines, identity});
  TensorId sines = b.unary(OpKind::Sin, angles);
  TensorId sinPart = b.einsum("se,cf->scfe", {sines, quarterTurn});
  return detail::finish(
      b, b.add(cosPart, sinPart, uniqueName(g, "rope_rotation")), ctx);
}

llvm::Expected<TensorType>
RotaryPositionEncoding::checkInput(const Graph &g, TensorId x) const {
  llvm::StringRef ctx = "rotary encoding";
  llvm::Expected<TensorType> xt = detail::typeOf(g, x, ctx, "x");
  if (!xt)
    return xt.takeError();
  if (llvm::Error err =
          detail::expectFloatRank(*xt, 4, ctx, "x", "[batch, heads, seq, d]"))
    return std::move(err);
  if (xt->dim(3) != cfg.dModel)
    return makeError(fmt::format("{}: x is {}; expected head dimension "
                                 "(d_model) {}",
                                 ctx.str(), xt->str(), cfg.dModel));
  return xt;
}

llvm::Expected<TensorId>
RotaryPositionEncoding::applyRotation(Graph &g, TensorId x,
                                      TensorId rotation) const {
  llvm::StringRef ctx = "rotary encoding";
  llvm::Expected<TensorType> xt = checkInput(g, x);
  if (!xt)
    return xt.takeError();
  int64_t d = cfg.dModel, half = d / 2;
  int64_t batch = xt->dim(0), heads = xt->dim(1), seq = xt->dim(2);
  llvm::Expected<TensorType> rt = detail::typeOf(g, rotation, ctx, "rotation");
  if (!rt)
    return rt.takeError();
  DType stored = xt->elementType(), acc = accumulatorType(stored);
  TensorType expected(acc, {seq, 2, 2, half});
  if (*rt != expected)
    return makeError(fmt::format("{}: rotation is {}; expected {} for x {}",
                                 ctx.str(), rt->str(), expected.str(),
                                 xt->str()));
  Builder b(g);
  // f16 and bf16 are rotated in f32 and rounded back once: what attention
  // then reads is in the type it was given.
  TensorId wide = acc == stored ? x : b.cast(x, acc);
  TensorId halves = b.reshape(wide, {batch, heads, seq, 2, half});
  TensorId rotated =
      b.reshape(b.einsum("bhsfe,scfe->bhsce", {halves, rotation}),
                {batch, heads, seq, d});
  return detail::finish(b, acc == stored ? rotated : b.cast(rotated, stored),
                        ctx);
}

llvm::Expected<TensorId>
RotaryPositionEncoding::apply(Graph &g, TensorId x,
                              int64_t positionOffset) const {
  llvm::Expected<TensorType> xt = checkInput(g, x);
  if (!xt)
    return xt.takeError();
  llvm::Expected<TensorId> rotation =
      buildRotation(g, xt->dim(2), positionOffset, xt->elementType());
  if (!rotation)
    return rotation.takeError();
  return applyRotation(g, x, *rotation);
}

} // namespace einsum::nn
