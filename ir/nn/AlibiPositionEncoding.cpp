//===- AlibiPositionEncoding.cpp ------------------------------------------===//
#include "ir/nn/AlibiPositionEncoding.h"

#include "ir/Builder.h"
#include "ir/nn/NnSupport.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum::nn {

using detail::uniqueName;

llvm::StringRef alibiFormName(AlibiForm f) {
  switch (f) {
  case AlibiForm::Symmetric:
    return "symmetric";
  case AlibiForm::Causal:
    return "causal";
  case AlibiForm::KeyOnly:
    return "key-only";
  }
  return "unknown";
}

static llvm::Error validateOptions(const AlibiOptions &o, int64_t nHeads) {
  auto fail = [](std::string message) {
    return makeError("alibi options: " + message);
  };
  if (!(o.maxBias > 0) || !std::isfinite(o.maxBias))
    return fail(fmt::format("max_bias is {}; expected a positive finite number",
                            o.maxBias));
  if (o.headOffset < 0)
    return fail(
        fmt::format("head_offset is {}; expected at least 0", o.headOffset));
  if (o.totalHeads < 0)
    return fail(fmt::format("total_heads is {}; expected 0 (n_heads) or more",
                            o.totalHeads));
  int64_t total = o.totalHeads == 0 ? nHeads : o.totalHeads;
  if (o.headOffset > total || nHeads > total - o.headOffset)
    return fail(fmt::format("heads [{}, {}) are not within total_heads {}",
                            o.headOffset, o.headOffset + nHeads, total));
  if (o.queryOffset < -1)
    return fail(fmt::format("query_offset is {}; expected -1 (Sk - Sq) or at "
                            "least 0",
                            o.queryOffset));
  return llvm::Error::success();
}

llvm::Expected<AlibiPositionEncoding>
AlibiPositionEncoding::create(PositionEncodingConfig config,
                              AlibiOptions options) {
  if (llvm::Error err = detail::checkConfig(config, EncodingType::Alibi,
                                            "AlibiPositionEncoding"))
    return err;
  if (llvm::Error err = validateOptions(options, config.nHeads))
    return err;
  return AlibiPositionEncoding(config, options);
}

std::vector<double> AlibiPositionEncoding::computeSlopes() const {
  int64_t total = opts.totalHeads == 0 ? cfg.nHeads : opts.totalHeads;
  return computeAlibiSlopes(total, opts.maxBias, opts.recipe, opts.headOffset,
                            cfg.nHeads);
}

llvm::Expected<TensorId> AlibiPositionEncoding::buildBiasGraph(Graph &g) const {
  if (g.numTensors() < 3)
    return makeError(fmt::format("alibi bias graph: the original's convention "
                                 "needs tensors 0, 1, 2 (scores, slopes, "
                                 "distance); the graph has {}",
                                 g.numTensors()));
  return buildBiasGraph(g, TensorId(0), TensorId(1), TensorId(2));
}

/// The scores' type, checked to be [batch, nHeads, Sq, Sk] floats.
static llvm::Expected<TensorType> scoresType(const Graph &g, TensorId scores,
                                             int64_t nHeads,
                                             llvm::StringRef context) {
  llvm::Expected<TensorType> t = detail::typeOf(g, scores, context, "scores");
  if (!t)
    return t.takeError();
  if (llvm::Error err = detail::expectFloatRank(
          *t, 4, context, "scores", "[batch, heads, queries, keys]"))
    return err;
  if (t->dim(1) != nHeads)
    return makeError(fmt::format("{}: scores {} have {} heads but the "
                                 "encoding has n_heads {}",
                                 context.str(), t->str(), t->dim(1), nHeads));
  return t;
}

llvm::Expected<TensorId> AlibiPositionEncoding::buildBiasGraph(
    Graph &g, TensorId scores, TensorId slopes, TensorId distance) const {
  llvm::StringRef ctx = "alibi bias graph";
  llvm::Expected<TensorType> st = scoresType(g, scores, nHeads(), ctx);
  if (!st)
    return st.takeError();
  llvm::Expected<TensorType> mt = detail::typeOf(g, slopes, ctx, "slopes");
  if (!mt)
    return mt.takeError();
  llvm::Expected<TensorType> dt = detail::typeOf(g, distance, ctx, "distance");
  if (!dt)
    return dt.takeError();
  if (llvm::Error err =
          detail::expectFloatRank(*mt, 1, ctx, "slopes", "[heads]"))
    return err;
  if (llvm::Error err =
          detail::expectFloatRank(*dt, 2, ctx, "distance", "[queries, keys]"))
    return err;
  if (mt->dim(0) != nHeads())
    return makeError(fmt::format("{}: slopes {} hold {} heads but the encoding "
                                 "has n_heads {}",
                                 ctx.str(), mt->str(), mt->dim(0), nHeads()));
  if (dt->dim(0) != st->dim(2) || dt->dim(1) != st->dim(3))
    return makeError(fmt::format("{}: distance is {}; expected [{},{}] to "
                                 "match scores {}",
                                 ctx.str(), dt->str(), st->dim(2), st->dim(3),
                                 st->str()));
  for (auto [what, t] : {std::pair{"slopes", &*mt}, {"distance", &*dt}})
    if (t->elementType() != st->elementType())
      return makeError(fmt::format("{}: element types differ: scores {}, "
                                   "{} {}",
                                   ctx.str(), st->str(), what, t->str()));

  Builder b(g);
  TensorId perHead = b.expandDims(slopes, {1, 2});
  TensorId scaled = b.mul(perHead, distance);
  TensorId bias = b.neg(scaled);
  return detail::finish(b, b.add(scores, bias), ctx);
}

llvm::Expected<TensorId>
AlibiPositionEncoding::buildBias(Graph &g, TensorId scores) const {
  llvm::StringRef ctx = "alibi bias";
  llvm::Expected<TensorType> st = scoresType(g, scores, nHeads(), ctx);
  if (!st)
    return st.takeError();
  DType dtype = st->elementType();
  int64_t sq = st->dim(2), sk = st->dim(3);
  std::optional<int64_t> decode = subSizes(sk, sq);
  if (!decode)
    return makeError(fmt::format("{}: scores {}: Sk - Sq is out of range",
                                 ctx.str(), st->str()));
  int64_t offset = opts.queryOffset == -1 ? *decode : opts.queryOffset;
  // Known only at run time, the offset is checked then (ir/SizeBindings.h).
  if (!isSymbolicSize(offset) && offset < 0 &&
      opts.form != AlibiForm::KeyOnly)
    return makeError(fmt::format("{}: scores {} have more queries ({}) than "
                                 "keys ({}), so the default query offset "
                                 "Sk - Sq is negative; set queryOffset",
                                 ctx.str(), st->str(), sq, sk));

  Builder b(g);
  TensorId slopes =
      b.alibiSlopes(nHeads(), dtype, opts.recipe, opts.maxBias, opts.headOffset,
                    opts.totalHeads, uniqueName(g, "slopes"));
  TensorId perHead = b.expandDims(slopes, {1, 2});
  TensorType pairs(dtype, {sq, sk});
  switch (opts.form) {
  case AlibiForm::Symmetric: {
    TensorId dist =
        b.distance(pairs, "symmetric", offset, uniqueName(g, "dist"));
    TensorId bias = b.mul(perHead, dist, uniqueName(g, "alibi_bias"));
    return detail::finish(b, b.sub(scores, bias), ctx);
  }
  case AlibiForm::Causal: {
    // The causal distance is +inf above the diagonal, so the subtracted
    // bias masks the future keys by itself.
    TensorId dist = b.distance(pairs, "causal", offset, uniqueName(g, "dist"));
    TensorId bias = b.mul(perHead, dist, uniqueName(g, "alibi_bias"));
    return detail::finish(b, b.sub(scores, bias), ctx);
  }
  case AlibiForm::KeyOnly: {
    // -m (i' - j) = m j - m i': dropping the per-row constant m i' changes
    // nothing after a softmax over keys, as long as a mask hides j > i'.
    TensorId keys =
        b.iota(TensorType(dtype, {sk}), 0, uniqueName(g, "key_pos"));
    TensorId bias = b.mul(perHead, keys, uniqueName(g, "alibi_bias"));
    return detail::finish(b, b.add(scores, bias), ctx);
  }
  }
  llvm_unreachable("unknown alibi form");
}

} // namespace einsum::nn
