//===- RelativeEncoding.cpp - T5 relative position biases -----------------===//
//
// bias[h, i, j] = table[bucket(j - i'), h]: the relative_buckets generator
// gives the [Sq, Sk] bucket of each pair, a gather turns it into
// [Sq, Sk, heads], and a transpose puts the heads first to match the scores.
//
//===----------------------------------------------------------------------===//
#include "ir/nn/OtherEncodings.h"

#include "ir/Builder.h"
#include "ir/nn/NnSupport.h"

#include <fmt/format.h>

namespace einsum::nn {

using detail::uniqueName;

llvm::Expected<RelativePositionEncoding>
RelativePositionEncoding::create(PositionEncodingConfig config,
                                 bool bidirectional) {
  if (llvm::Error err = detail::checkConfig(config, EncodingType::Relative,
                                            "RelativePositionEncoding"))
    return err;
  // T5's bucketing needs more than the original's non-zero checks: each
  // direction needs an exact range of at least one bucket and a logarithmic
  // range that ends beyond it. The relative_buckets op enforces the same.
  int64_t perSide = bidirectional ? config.numBuckets / 2 : config.numBuckets;
  if (perSide < 2)
    return makeError(fmt::format("relative config: num_buckets is {}; {} T5 "
                                 "buckets need at least {}",
                                 config.numBuckets,
                                 bidirectional ? "bidirectional" : "causal",
                                 bidirectional ? 4 : 2));
  if (config.maxDistance <= perSide / 2)
    return makeError(fmt::format("relative config: max_distance is {}; "
                                 "expected more than the {} exact buckets",
                                 config.maxDistance, perSide / 2));
  return RelativePositionEncoding(config, bidirectional);
}

llvm::Expected<TensorId>
RelativePositionEncoding::buildBias(Graph &g, TensorId scores,
                                    std::string tableName,
                                    int64_t queryOffset) const {
  llvm::StringRef ctx = "relative bias";
  llvm::Expected<TensorType> st = detail::typeOf(g, scores, ctx, "scores");
  if (!st)
    return st.takeError();
  if (llvm::Error err = detail::expectFloatRank(
          *st, 4, ctx, "scores", "[batch, heads, queries, keys]"))
    return err;
  int64_t heads = st->dim(1), sq = st->dim(2), sk = st->dim(3);
  if (cfg.nHeads != 0 && cfg.nHeads != heads)
    return makeError(fmt::format("{}: scores {} have {} heads but the config "
                                 "has n_heads {}",
                                 ctx.str(), st->str(), heads, cfg.nHeads));
  if (queryOffset < -1)
    return makeError(fmt::format("{}: query offset is {}; expected -1 "
                                 "(Sk - Sq) or at least 0",
                                 ctx.str(), queryOffset));
  int64_t offset = queryOffset == -1 ? sk - sq : queryOffset;
  if (offset < 0)
    return makeError(fmt::format("{}: scores {} have more queries ({}) than "
                                 "keys ({}), so the default query offset "
                                 "Sk - Sq is negative; pass a query offset",
                                 ctx.str(), st->str(), sq, sk));
  llvm::Expected<TensorId> table = detail::sharedParameter(
      g, tableName, TensorType(st->elementType(), {cfg.numBuckets, heads}),
      ctx);
  if (!table)
    return table.takeError();

  Builder b(g);
  TensorId buckets =
      b.op(OpKind::RelativeBuckets, {},
           {{"num_buckets", Attribute::ofInt(cfg.numBuckets)},
            {"max_distance", Attribute::ofInt(cfg.maxDistance)},
            {"bidirectional", Attribute::ofBool(bidir)},
            {"query_offset", Attribute::ofInt(offset)}},
           uniqueName(g, "rel_buckets"), TensorType::i64({sq, sk}));
  TensorId perPair = b.gather(*table, buckets, 0);
  TensorId bias = b.transpose(perPair, {2, 0, 1}, uniqueName(g, "rel_bias"));
  return detail::finish(b, b.add(scores, bias), ctx);
}

} // namespace einsum::nn
