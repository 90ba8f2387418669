//===- BuildGraph.cpp -----------------------------------------------------===//
//
// 1. Refuse options the chosen graph does not use, and sizes below 1.
// 2. Check what buildAttention and buildDecoderBlock would refuse in
//    command-line terms, so the message names the option rather than a
//    tensor the user never saw.
// 3. Declare the inputs (and a block's weights, as parameters) and build the
//    graph; its output is named `out`.
//
//===----------------------------------------------------------------------===//
#include "tools/alibi-opt/BuildGraph.h"

#include "ir/Builder.h"
#include "ir/nn/AlibiPositionEncoding.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum {

static llvm::Expected<Graph> buildAlibiBias(const BuildOptions &o) {
  int64_t batch = o.batch.value_or(1), heads = o.heads.value_or(12);
  int64_t seq = o.seq.value_or(64), keys = o.kvSeq.value_or(seq);
  DType dtype = o.dtype.value_or(DType::F32);
  Graph g("alibi_bias");
  Builder b(g);
  // Tensors 0, 1, 2 in the original's order.
  b.input("scores", TensorType(dtype, {batch, heads, seq, keys}));
  b.input("slopes", TensorType(dtype, {heads}));
  b.input("distance", TensorType(dtype, {seq, keys}));
  if (llvm::Error err = b.takeError())
    return err;
  // d_model does not enter the bias; any valid value will do.
  auto enc = nn::AlibiPositionEncoding::create(
      nn::PositionEncodingConfig::alibi(heads, heads, keys));
  if (!enc)
    return enc.takeError();
  llvm::Expected<TensorId> out = enc->buildBiasGraph(g);
  if (!out)
    return out.takeError();
  b.output(*out, "out");
  return g;
}

/// --slopes and --max-bias shape ALiBi only.
static llvm::Error checkAlibiOptions(const BuildOptions &o,
                                     nn::PositionBias position) {
  if ((o.slopes || o.maxBias) && position != nn::PositionBias::Alibi)
    return makeError(fmt::format("--{} needs --position=alibi",
                                 o.slopes ? "slopes" : "max-bias"));
  if (o.maxBias && (!(*o.maxBias > 0) || !std::isfinite(*o.maxBias)))
    return makeError(fmt::format("--max-bias is {}; expected a positive "
                                 "finite number",
                                 *o.maxBias));
  return llvm::Error::success();
}

/// The query and key lengths of a built attention: the numbers, or with
/// --dynamic the symbols standing for them, with those numbers as the
/// values --random-inputs gives them.
struct Lengths {
  int64_t queries, keys;
  SizeBindings defaults;
};

static Lengths lengths(const BuildOptions &o) {
  int64_t seq = o.seq.value_or(64), kvSeq = o.kvSeq.value_or(seq);
  Lengths l{seq, kvSeq, {}};
  switch (o.dynamic) {
  case DynamicLengths::None:
    break;
  case DynamicLengths::All:
    if (!o.kvSeq) {
      l.queries = l.keys = symbolSize("s");
      l.defaults = {{"s", seq}};
      break;
    }
    l.queries = symbolSize("q");
    l.keys = symbolSize("k");
    l.defaults = {{"k", kvSeq}, {"q", seq}};
    break;
  case DynamicLengths::Keys:
    l.keys = symbolSize("k");
    l.defaults = {{"k", kvSeq}};
    break;
  }
  return l;
}

static llvm::Expected<BuiltGraph> buildAttentionGraph(const BuildOptions &o) {
  int64_t batch = o.batch.value_or(1), heads = o.heads.value_or(12);
  int64_t kvHeads = o.kvHeads.value_or(heads);
  int64_t seq = o.seq.value_or(64), keys = o.kvSeq.value_or(seq);
  int64_t headDim = o.headDim.value_or(32);
  nn::PositionBias position = o.position.value_or(nn::PositionBias::None);
  if (heads % kvHeads != 0)
    return makeError(fmt::format("--kv-heads {} does not divide --heads {}",
                                 kvHeads, heads));
  if (llvm::Error err = checkAlibiOptions(o, position))
    return err;
  if (position == nn::PositionBias::Rotary && headDim % 2 != 0)
    return makeError(fmt::format("--position=rotary needs an even --head-dim; "
                                 "got {}",
                                 headDim));
  bool causal = o.causal.value_or(false);
  if ((causal || position != nn::PositionBias::None) && seq > keys)
    return makeError(fmt::format("--seq {} is more than --kv-seq {}: {} "
                                 "place query i at position i + kv-seq - seq, "
                                 "which must not be negative",
                                 seq, keys,
                                 causal ? "causal masks"
                                        : "position "
                                          "encodings"));

  DType dtype = o.dtype.value_or(DType::F32);
  Lengths len = lengths(o);
  Graph g("attention");
  Builder b(g);
  TensorId q =
      b.input("q", TensorType(dtype, {batch, heads, len.queries, headDim}));
  TensorType kvType(dtype, {batch, kvHeads, len.keys, headDim});
  TensorId k = b.input("k", kvType);
  TensorId v = b.input("v", kvType);
  if (llvm::Error err = b.takeError())
    return err;
  nn::AttentionOptions attn;
  attn.position = position;
  attn.causal = causal;
  attn.alibi.recipe = o.slopes.value_or(SlopeRecipe::Paper);
  attn.alibi.maxBias = o.maxBias.value_or(8.0);
  llvm::Expected<TensorId> out = nn::buildAttention(g, q, k, v, attn);
  if (!out)
    return out.takeError();
  b.output(*out, "out");
  return BuiltGraph{std::move(g), std::move(len.defaults)};
}

static llvm::Expected<BuiltGraph>
buildDecoderBlockGraph(const BuildOptions &o) {
  nn::DecoderBlockOptions block;
  block.heads = o.heads.value_or(12);
  block.kvHeads = o.kvHeads.value_or(block.heads);
  block.hidden = o.hidden.value_or(64 * block.heads);
  block.ffn = o.ffn.value_or(4 * block.hidden);
  block.dtype = o.dtype.value_or(DType::F32);
  nn::PositionBias position = o.position.value_or(nn::PositionBias::Alibi);
  if (block.hidden % block.heads != 0)
    return makeError(fmt::format("--heads {} does not divide --hidden {}",
                                 block.heads, block.hidden));
  if (block.heads % *block.kvHeads != 0)
    return makeError(fmt::format("--kv-heads {} does not divide --heads {}",
                                 *block.kvHeads, block.heads));
  if (llvm::Error err = checkAlibiOptions(o, position))
    return err;
  if (position == nn::PositionBias::Rotary && block.headDim() % 2 != 0)
    return makeError(fmt::format("--position=rotary needs an even head "
                                 "dimension; --hidden {} / --heads {} is {}",
                                 block.hidden, block.heads, block.headDim()));
  block.attention.position = position;
  block.attention.causal = o.causal.value_or(true);
  block.attention.alibi.recipe = o.slopes.value_or(SlopeRecipe::Paper);
  block.attention.alibi.maxBias = o.maxBias.value_or(8.0);

  Graph g("decoder_block");
  Builder b(g);
  int64_t batch = o.batch.value_or(1);
  if (!o.kvCache) {
    Lengths len = lengths(o);
    TensorId x = b.input(
        "x", TensorType(block.dtype, {batch, len.queries, block.hidden}));
    if (llvm::Error err = b.takeError())
      return err;
    llvm::Expected<nn::DecoderBlockWeights> weights =
        nn::createDecoderBlockWeights(g, block);
    if (!weights)
      return weights.takeError();
    llvm::Expected<nn::DecoderBlock> out =
        nn::buildDecoderBlock(g, x, *weights, block);
    if (!out)
      return out.takeError();
    b.output(out->out, "out");
    return BuiltGraph{std::move(g), std::move(len.defaults)};
  }
  // A step with a cache: --seq new tokens after --kv-seq cached ones, ?s
  // and ?p with --dynamic (only ?p with --dynamic=keys).
  int64_t tokens = o.seq.value_or(1), past = o.kvSeq.value_or(64);
  SizeBindings defaults;
  if (o.dynamic != DynamicLengths::None) {
    defaults["p"] = past;
    past = symbolSize("p");
  }
  if (o.dynamic == DynamicLengths::All) {
    defaults["s"] = tokens;
    tokens = symbolSize("s");
  }
  TensorId x =
      b.input("x", TensorType(block.dtype, {batch, tokens, block.hidden}));
  TensorType cacheType(block.dtype,
                       {batch, block.kvHeadCount(), past, block.headDim()});
  nn::KvCache cache{b.input("past_keys", cacheType),
                    b.input("past_values", cacheType)};
  if (llvm::Error err = b.takeError())
    return err;
  llvm::Expected<nn::DecoderBlockWeights> weights =
      nn::createDecoderBlockWeights(g, block);
  if (!weights)
    return weights.takeError();
  llvm::Expected<nn::DecoderBlock> out =
      nn::buildDecoderBlock(g, x, *weights, block, cache);
  if (!out)
    return out.takeError();
  b.output(out->out, "out");
  b.output(out->keys, "keys");
  b.output(out->values, "values");
  return BuiltGraph{std::move(g), std::move(defaults)};
}

/// Options given to a graph that does not use them are errors, not ignored.
static llvm::Error
refuseUnused(llvm::ArrayRef<std::pair<const char *, bool>> unused,
             llvm::StringRef kind, llvm::StringRef why) {
  for (const auto &[name, given] : unused)
    if (given)
      return makeError(fmt::format("--{} does not apply to --build={} ({})",
                                   name, kind.str(), why.str()));
  return llvm::Error::success();
}

llvm::Expected<BuiltGraph> buildGraph(const BuildOptions &o) {
  std::pair<const char *, std::optional<int64_t>> sizes[] = {
      {"batch", o.batch},   {"heads", o.heads},  {"kv-heads", o.kvHeads},
      {"seq", o.seq},       {"kv-seq", o.kvSeq}, {"head-dim", o.headDim},
      {"hidden", o.hidden}, {"ffn", o.ffn}};
  for (const auto &[name, value] : sizes)
    if (value && *value < 1)
      return makeError(
          fmt::format("--{} is {}; expected at least 1", name, *value));
  switch (o.kind) {
  case BuildKind::Attention:
    if (llvm::Error err = refuseUnused(
            {{"hidden", bool(o.hidden)},
             {"ffn", bool(o.ffn)},
             {"kv-cache", o.kvCache}},
            "attention",
            "its sizes are --batch, --heads, --kv-heads, --seq, --kv-seq and "
            "--head-dim"))
      return err;
    return buildAttentionGraph(o);
  case BuildKind::AlibiBias:
    if (llvm::Error err = refuseUnused(
            {{"kv-heads", bool(o.kvHeads)},
             {"head-dim", bool(o.headDim)},
             {"position", bool(o.position)},
             {"slopes", bool(o.slopes)},
             {"max-bias", bool(o.maxBias)},
             {"causal", bool(o.causal)},
             {"hidden", bool(o.hidden)},
             {"ffn", bool(o.ffn)},
             {"kv-cache", o.kvCache}},
            "alibi-bias",
            "it takes --batch, --heads, --seq, --kv-seq and --dtype"))
      return err;
    if (o.dynamic != DynamicLengths::None)
      return makeError("--dynamic does not apply to --build=alibi-bias (its "
                       "distance is an input of the original API's static "
                       "shape)");
    if (llvm::Expected<Graph> g = buildAlibiBias(o))
      return BuiltGraph{std::move(*g), {}};
    else
      return g.takeError();
  case BuildKind::DecoderBlock:
    if (llvm::Error err = refuseUnused(
            {{"head-dim", bool(o.headDim)},
             {"kv-seq", bool(o.kvSeq) && !o.kvCache}},
            "decoder-block",
            "its sizes are --batch, --seq, --hidden, --heads, --kv-heads and "
            "--ffn; the head dimension is --hidden / --heads"))
      return err;
    if (o.dynamic == DynamicLengths::Keys && !o.kvCache)
      return makeError("--dynamic=keys needs --kv-cache with "
                       "--build=decoder-block: without a cache its tokens "
                       "are its keys; use --dynamic");
    return buildDecoderBlockGraph(o);
  }
  llvm_unreachable("unknown build kind");
}

} // namespace einsum
