//===- AbsoluteEncodings.cpp - Sinusoidal and learned tables --------------===//
//
// Both add a [seq, dModel] table to the activations. The sinusoidal one is
// computed from generators, so no table is stored and a pass can fuse it into
// its consumer; the learned one is a parameter gathered at positions 0..S-1.
//
//===----------------------------------------------------------------------===//
#include "ir/nn/OtherEncodings.h"

#include "ir/Builder.h"
#include "ir/nn/NnSupport.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum::nn {

using detail::uniqueName;

/// The type of activations x [..., seq, dModel].
static llvm::Expected<TensorType> activationType(const Graph &g, TensorId x,
                                                 int64_t dModel,
                                                 llvm::StringRef context) {
  llvm::Expected<TensorType> t = detail::typeOf(g, x, context, "x");
  if (!t)
    return t.takeError();
  if (t->rank() < 2 || !isFloat(t->elementType()))
    return makeError(fmt::format("{}: x is {}; expected a float type of rank 2 "
                                 "or more ([..., seq, d_model])",
                                 context.str(), t->str()));
  if (t->shape().back() != dModel)
    return makeError(fmt::format("{}: x is {}; expected its last dimension "
                                 "to be d_model {}",
                                 context.str(), t->str(), dModel));
  return t;
}

//===----------------------------------------------------------------------===//
// Sinusoidal
//===----------------------------------------------------------------------===//

llvm::Expected<SinusoidalPositionEncoding>
SinusoidalPositionEncoding::create(PositionEncodingConfig config) {
  if (llvm::Error err = detail::checkConfig(config, EncodingType::Sinusoidal,
                                            "SinusoidalPositionEncoding"))
    return err;
  return SinusoidalPositionEncoding(config);
}

llvm::Expected<TensorId>
SinusoidalPositionEncoding::buildTable(Graph &g, int64_t seqLen,
                                       DType dtype) const {
  llvm::StringRef ctx = "sinusoidal table";
  if (seqLen < 1)
    return makeError(fmt::format("{}: seq_len is {}; expected at least 1",
                                 ctx.str(), seqLen));
  if (!isFloat(dtype))
    return makeError(fmt::format("{}: element type {} is not f32 or f64",
                                 ctx.str(), dtypeName(dtype).str()));
  int64_t d = cfg.dModel, pairs = (d + 1) / 2;
  Builder b(g);
  // angle[p, i] = p * base^(-2i/d), with the power as exp(i * -2 ln(base)/d).
  TensorId pos = b.iota(TensorType(dtype, {seqLen}), 0, uniqueName(g, "pos"));
  TensorId pairIndex = b.iota(TensorType(dtype, {pairs}));
  TensorId exponent =
      b.mul(pairIndex, b.scalar(-2.0 * std::log(cfg.base) / double(d), dtype));
  TensorId invFreq = b.exp(exponent, uniqueName(g, "inv_freq"));
  TensorId angles =
      b.einsum("s,i->si", {pos, invFreq}, uniqueName(g, "angles"));
  // Interleave without a concat: sin goes to slot 0 and cos to slot 1 of a
  // trailing pair axis, which the reshape then merges into columns 2i, 2i+1.
  // One node per statement keeps the node order independent of the
  // compiler's argument evaluation order.
  TensorType slot(dtype, {2});
  TensorId sines = b.unary(OpKind::Sin, angles);
  TensorId sinSlot = b.constant({1, 0}, slot);
  TensorId sinPart = b.einsum("si,c->sic", {sines, sinSlot});
  TensorId cosines = b.unary(OpKind::Cos, angles);
  TensorId cosSlot = b.constant({0, 1}, slot);
  TensorId cosPart = b.einsum("si,c->sic", {cosines, cosSlot});
  TensorId table = b.add(sinPart, cosPart);
  std::string name = uniqueName(g, "pos_encoding");
  if (d % 2 == 0)
    return detail::finish(b, b.reshape(table, {seqLen, d}, name), ctx);
  // An odd d_model has one sine too many; gathering the first d columns is
  // the slice the op set does not otherwise have.
  TensorId wide = b.reshape(table, {seqLen, 2 * pairs});
  TensorId columns = b.iota(TensorType::i64({d}));
  return detail::finish(b, b.gather(wide, columns, 1, name), ctx);
}

llvm::Expected<TensorId> SinusoidalPositionEncoding::apply(Graph &g,
                                                           TensorId x) const {
  llvm::Expected<TensorType> xt =
      activationType(g, x, cfg.dModel, "sinusoidal encoding");
  if (!xt)
    return xt.takeError();
  llvm::Expected<TensorId> table =
      buildTable(g, xt->dim(xt->rank() - 2), xt->elementType());
  if (!table)
    return table.takeError();
  Builder b(g);
  return detail::finish(b, b.add(x, *table), "sinusoidal encoding");
}

//===----------------------------------------------------------------------===//
// Learned
//===----------------------------------------------------------------------===//

llvm::Expected<LearnedPositionEncoding>
LearnedPositionEncoding::create(PositionEncodingConfig config) {
  if (llvm::Error err = detail::checkConfig(config, EncodingType::Learned,
                                            "LearnedPositionEncoding"))
    return err;
  return LearnedPositionEncoding(config);
}

llvm::Expected<TensorId>
LearnedPositionEncoding::apply(Graph &g, TensorId x,
                               std::string tableName) const {
  llvm::StringRef ctx = "learned encoding";
  llvm::Expected<TensorType> xt = activationType(g, x, cfg.dModel, ctx);
  if (!xt)
    return xt.takeError();
  int64_t seq = xt->dim(xt->rank() - 2);
  if (seq > cfg.maxSeqLen)
    return makeError(fmt::format("{}: x {} has {} positions but the table "
                                 "has max_seq_len {}",
                                 ctx.str(), xt->str(), seq, cfg.maxSeqLen));
  llvm::Expected<TensorId> table = detail::sharedParameter(
      g, tableName, TensorType(xt->elementType(), {cfg.maxSeqLen, cfg.dModel}),
      ctx);
  if (!table)
    return table.takeError();
  Builder b(g);
  TensorId positions = b.iota(TensorType::i64({seq}), 0, uniqueName(g, "pos"));
  TensorId rows = b.gather(*table, positions, 0, uniqueName(g, "pos_rows"));
  return detail::finish(b, b.add(x, rows), ctx);
}

} // namespace einsum::nn
