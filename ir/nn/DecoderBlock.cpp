//===- DecoderBlock.cpp - A pre-LayerNorm transformer decoder block -------===//
//
// 1. Check the options, x and every weight's type, so that user errors name
//    the weight and the sizes.
// 2. Build into a copy of the graph, so that an error from buildAttention
//    leaves the caller's graph as it was.
// 3. h = LN1(x); qkv = einsum("bsD,Dnd->bnsd") + bqkv puts every head in
//    attention's [b, heads, S, head_dim] layout at once; q, k and v are
//    gathers of their head ranges along axis 1, exact and without a
//    transpose. With a cache, the past keys and values go before the new
//    ones (concat along the positions), and attention's decode offset,
//    keys minus queries, is the past length.
// 4. y = x + einsum("bhsd,hdD->bsD", attention(q, k, v), wo) + bo.
// 5. out = y + einsum("bsF,FD->bsD", gelu_tanh(LN2(y) w1 + b1), w2) + b2.
// With f16 or bf16 storage, everything between x and out is f32: x, the
// LayerNorm and bias weights are widened where they are read, and each
// product's activation operand is rounded to the storage type (its
// weights' type) before the product, which sums in f32.
//
//===----------------------------------------------------------------------===//
#include "ir/nn/DecoderBlock.h"

#include "ir/Builder.h"
#include "ir/TypeInference.h"
#include "ir/nn/NnSupport.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <numeric>

namespace einsum::nn {

using detail::uniqueName;

static constexpr llvm::StringLiteral kCtx = "decoder block";

AttentionOptions defaultDecoderAttention() {
  AttentionOptions o;
  o.position = PositionBias::Alibi;
  o.causal = true;
  return o;
}

llvm::Error DecoderBlockOptions::validate() const {
  std::pair<const char *, int64_t> sizes[] = {{"hidden size", hidden},
                                              {"heads", heads},
                                              {"kv heads", kvHeadCount()},
                                              {"ffn width", ffnWidth()}};
  for (const auto &[what, value] : sizes)
    if (value < 1)
      return makeError(fmt::format("{}: {} is {}; expected at least 1",
                                   kCtx.str(), what, value));
  if (hidden % heads != 0)
    return makeError(fmt::format("{}: hidden size {} is not divisible by {} "
                                 "heads; head_dim is hidden / heads",
                                 kCtx.str(), hidden, heads));
  if (heads % kvHeadCount() != 0)
    return makeError(fmt::format("{}: {} kv heads do not divide {} heads",
                                 kCtx.str(), kvHeadCount(), heads));
  if (!(layerNormEpsilon >= 0) || !std::isfinite(layerNormEpsilon))
    return makeError(fmt::format("{}: layer norm epsilon is {}; expected a "
                                 "finite number at least 0",
                                 kCtx.str(), layerNormEpsilon));
  if (!isFloat(dtype))
    return makeError(fmt::format("{}: dtype is {}; expected f32, f64, f16 "
                                 "or bf16",
                                 kCtx.str(), dtypeName(dtype).str()));
  return llvm::Error::success();
}

static constexpr llvm::StringLiteral kWeightNames[] = {
    "ln1_gamma", "ln1_beta", "wqkv", "bqkv", "wo", "bo",
    "ln2_gamma", "ln2_beta", "w1",   "b1",   "w2", "b2"};

llvm::ArrayRef<llvm::StringLiteral> decoderBlockWeightNames() {
  return kWeightNames;
}

/// The weights in the order of kWeightNames.
static std::array<TensorId *, 12> fields(DecoderBlockWeights &w) {
  return {&w.ln1Gamma, &w.ln1Beta, &w.wqkv, &w.bqkv, &w.wo, &w.bo,
          &w.ln2Gamma, &w.ln2Beta, &w.w1,   &w.b1,   &w.w2, &w.b2};
}

/// The type each weight must have, in the order of kWeightNames.
static std::array<TensorType, 12> weightTypes(const DecoderBlockOptions &o,
                                              DType dtype) {
  int64_t d = o.hidden, h = o.heads, n = o.heads + 2 * o.kvHeadCount();
  int64_t hd = o.headDim(), f = o.ffnWidth();
  auto t = [&](std::vector<int64_t> shape) {
    return TensorType(dtype, std::move(shape));
  };
  return {t({d}), t({d}), t({d, n, hd}), t({n, hd}), t({h, hd, d}), t({d}),
          t({d}), t({d}), t({d, f}),     t({f}),     t({f, d}),     t({d})};
}

llvm::Expected<DecoderBlockWeights>
createDecoderBlockWeights(Graph &g, const DecoderBlockOptions &o,
                          llvm::StringRef prefix) {
  if (llvm::Error err = o.validate())
    return err;
  std::array<TensorType, 12> types = weightTypes(o, o.dtype);
  for (llvm::StringRef name : kWeightNames) {
    std::string full = (prefix + name).str();
    if (g.findTensor(full).isValid())
      return makeError(fmt::format("{}: the graph already has a tensor %{}; "
                                   "give the weights another prefix",
                                   kCtx.str(), full));
  }
  DecoderBlockWeights w;
  std::array<TensorId *, 12> ids = fields(w);
  for (size_t i = 0; i < ids.size(); ++i)
    *ids[i] = g.addParameter((prefix + kWeightNames[i]).str(), types[i]);
  return w;
}

static llvm::Expected<DType> checkTypes(const Graph &g, TensorId x,
                                        const DecoderBlockWeights &w,
                                        const DecoderBlockOptions &o) {
  llvm::Expected<TensorType> xt = detail::typeOf(g, x, kCtx, "x");
  if (!xt)
    return xt.takeError();
  if (llvm::Error err =
          detail::expectFloatRank(*xt, 3, kCtx, "x", "[batch, seq, hidden]"))
    return err;
  if (xt->dim(2) != o.hidden)
    return makeError(fmt::format("{}: x is {}; its last dimension must be "
                                 "the hidden size {}",
                                 kCtx.str(), xt->str(), o.hidden));
  DType dtype = xt->elementType();
  std::array<TensorType, 12> types = weightTypes(o, dtype);
  DecoderBlockWeights copy = w;
  std::array<TensorId *, 12> ids = fields(copy);
  for (size_t i = 0; i < ids.size(); ++i) {
    llvm::Expected<TensorType> t =
        detail::typeOf(g, *ids[i], kCtx, kWeightNames[i]);
    if (!t)
      return t.takeError();
    if (*t != types[i])
      return makeError(fmt::format("{}: {} is {}; expected {} for x {}",
                                   kCtx.str(), kWeightNames[i].str(), t->str(),
                                   types[i].str(), xt->str()));
  }
  return dtype;
}

/// (x - mean) / sqrt(var + eps) * gamma + beta over the last axis, with the
/// biased variance, as torch.nn.LayerNorm.
static TensorId layerNorm(Builder &b, TensorId x, TensorId gamma, TensorId beta,
                          TensorId eps, llvm::StringRef name) {
  const Graph &g = b.graph();
  TensorId mean = b.reduce("mean", x, {-1}, /*keepDims=*/true,
                           uniqueName(g, (name + "_mean").str()));
  TensorId centered = b.sub(x, mean, uniqueName(g, (name + "_centered").str()));
  TensorId var =
      b.reduce("mean", b.unary(OpKind::Square, centered), {-1},
               /*keepDims=*/true, uniqueName(g, (name + "_var").str()));
  TensorId normed = b.mul(centered, b.unary(OpKind::Rsqrt, b.add(var, eps)));
  return b.add(b.mul(normed, gamma), beta, uniqueName(g, name));
}

llvm::Expected<TensorId> buildLayerNorm(Graph &g, TensorId x, TensorId gamma,
                                        TensorId beta, double epsilon) {
  llvm::StringRef ctx = "layer norm";
  llvm::Expected<TensorType> xt = detail::typeOf(g, x, ctx, "x");
  if (!xt)
    return xt.takeError();
  if (xt->rank() == 0 || !isFloat(xt->elementType()))
    return makeError(fmt::format("{}: x is {}; expected a float tensor of "
                                 "rank 1 or more",
                                 ctx.str(), xt->str()));
  TensorType paramType(xt->elementType(), {xt->dim(xt->rank() - 1)});
  for (auto [what, t] : {std::pair{"gamma", gamma}, {"beta", beta}}) {
    llvm::Expected<TensorType> pt = detail::typeOf(g, t, ctx, what);
    if (!pt)
      return pt.takeError();
    if (*pt != paramType)
      return makeError(fmt::format("{}: {} is {}; expected {} for x {}",
                                   ctx.str(), what, pt->str(), paramType.str(),
                                   xt->str()));
  }
  if (!(epsilon >= 0) || !std::isfinite(epsilon))
    return makeError(fmt::format("{}: epsilon is {}; expected a finite "
                                 "number at least 0",
                                 ctx.str(), epsilon));
  Builder b(g);
  TensorId eps = b.scalar(epsilon, xt->elementType(), uniqueName(g, "ln_eps"));
  return detail::finish(b, layerNorm(b, x, gamma, beta, eps, "ln"), ctx);
}

/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), BLOOM's gelu.
static TensorId geluTanh(Builder &b, TensorId x, DType dtype) {
  const Graph &g = b.graph();
  TensorId cube = b.mul(x, b.unary(OpKind::Square, x));
  TensorId inner = b.add(x, b.mul(b.scalar(0.044715, dtype), cube));
  const double sqrtTwoOverPi = std::sqrt(2.0 / std::acos(-1.0));
  TensorId t =
      b.unary(OpKind::Tanh, b.mul(b.scalar(sqrtTwoOverPi, dtype), inner));
  TensorId half = b.mul(b.scalar(0.5, dtype), x);
  return b.mul(half, b.add(b.scalar(1.0, dtype), t), uniqueName(g, "gelu"));
}

/// An i64 index tensor of `count` consecutive heads from `first`.
static TensorId headRange(Builder &b, int64_t first, int64_t count,
                          llvm::StringRef name) {
  std::vector<double> idx(count);
  std::iota(idx.begin(), idx.end(), double(first));
  return b.constant(std::move(idx), TensorType(DType::I64, {count}),
                    uniqueName(b.graph(), name));
}

/// A cache of the block's kv heads and head dimension, for x's batch and
/// element type.
static llvm::Error checkCache(const Graph &g, TensorId x, const KvCache &past,
                              const DecoderBlockOptions &o) {
  TensorType xt = g.type(x);
  llvm::Expected<TensorType> kt = detail::typeOf(g, past.keys, kCtx, "keys");
  if (!kt)
    return kt.takeError();
  llvm::Expected<TensorType> vt =
      detail::typeOf(g, past.values, kCtx, "values");
  if (!vt)
    return vt.takeError();
  for (const TensorType *t : {&*kt, &*vt}) {
    const char *what = t == &*kt ? "keys" : "values";
    if (t->elementType() != xt.elementType() || t->rank() != 4 ||
        t->dim(0) != xt.dim(0) || t->dim(1) != o.kvHeadCount() ||
        t->dim(3) != o.headDim())
      return makeError(fmt::format(
          "{}: the cached {} are {}; expected {}"
          "[{},{},P,{}] for x {}",
          kCtx.str(), what, t->str(), dtypeName(xt.elementType()).str(),
          sizeStr(xt.dim(0)), o.kvHeadCount(), o.headDim(), xt.str()));
  }
  if (kt->dim(2) != vt->dim(2))
    return makeError(fmt::format("{}: the cached keys {} and values {} hold "
                                 "different numbers of positions",
                                 kCtx.str(), kt->str(), vt->str()));
  return llvm::Error::success();
}

llvm::Expected<DecoderBlock> buildDecoderBlock(Graph &graph, TensorId x,
                                               const DecoderBlockWeights &w,
                                               const DecoderBlockOptions &o,
                                               std::optional<KvCache> past) {
  if (llvm::Error err = o.validate())
    return err;
  llvm::Expected<DType> dtypeOr = checkTypes(graph, x, w, o);
  if (!dtypeOr)
    return dtypeOr.takeError();
  if (past)
    if (llvm::Error err = checkCache(graph, x, *past, o))
      return err;
  DType dtype = *dtypeOr;
  int64_t heads = o.heads, kvHeads = o.kvHeadCount();

  Graph g = graph;
  Builder b(g);
  // f16 and bf16 are storage: x, the weights and the cache. Arithmetic is
  // f32 (`acc`); a product's operands are rounded to storage first, as a
  // 16-bit model's matmuls read them, and its sums are f32.
  DType acc = accumulatorType(dtype);
  auto wide = [&](TensorId t) { return acc == dtype ? t : b.cast(t, acc); };
  auto narrow = [&](TensorId t, std::string name = {}) {
    return acc == dtype ? t : b.cast(t, dtype, std::move(name));
  };
  TensorId eps = b.scalar(o.layerNormEpsilon, acc, uniqueName(g, "ln_eps"));
  TensorId x0 = wide(x);
  TensorId h1 = layerNorm(b, x0, wide(w.ln1Gamma), wide(w.ln1Beta), eps, "ln1");
  TensorId proj = b.einsum("bsD,Dnd->bnsd", {narrow(h1), w.wqkv});
  // [N, head_dim] -> [N, 1, head_dim] to broadcast over positions.
  TensorId bias = b.expandDims(wide(w.bqkv), {1});
  TensorId qkv = b.add(proj, bias, uniqueName(g, "qkv"));
  TensorId q = narrow(
      b.gather(qkv, headRange(b, 0, heads, "q_heads"), 1, uniqueName(g, "q")));
  TensorId k = narrow(b.gather(qkv, headRange(b, heads, kvHeads, "k_heads"), 1,
                               uniqueName(g, "k")));
  TensorId v =
      narrow(b.gather(qkv, headRange(b, heads + kvHeads, kvHeads, "v_heads"), 1,
                      uniqueName(g, "v")));
  if (past) {
    k = b.concat({past->keys, k}, 2, uniqueName(g, "keys"));
    v = b.concat({past->values, v}, 2, uniqueName(g, "values"));
  }
  if (b.hasError())
    return detail::finish(b, TensorId(), kCtx).takeError();

  llvm::Expected<TensorId> attn = buildAttention(g, q, k, v, o.attention);
  if (!attn)
    return attn.takeError();
  TensorId attnProj = b.einsum("bhsd,hdD->bsD", {narrow(*attn), w.wo},
                               uniqueName(g, "attn_proj"));
  TensorId y =
      b.add(x0, b.add(attnProj, wide(w.bo)), uniqueName(g, "attn_residual"));

  TensorId h2 = layerNorm(b, y, wide(w.ln2Gamma), wide(w.ln2Beta), eps, "ln2");
  TensorId up = b.add(b.einsum("bsD,DF->bsF", {narrow(h2), w.w1}), wide(w.b1),
                      uniqueName(g, "ffn_up"));
  TensorId down = b.einsum("bsF,FD->bsD", {narrow(geluTanh(b, up, acc)), w.w2},
                           uniqueName(g, "ffn_down"));
  std::string outName = uniqueName(g, "block_out");
  TensorId out = acc == dtype
                     ? b.add(y, b.add(down, wide(w.b2)), outName)
                     : narrow(b.add(y, b.add(down, wide(w.b2))), outName);
  llvm::Expected<TensorId> done = detail::finish(b, out, kCtx);
  if (!done)
    return done.takeError();
  graph = std::move(g);
  return DecoderBlock{out, y, *attn, k, v};
}

} // namespace einsum::nn
