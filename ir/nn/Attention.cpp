//===- Attention.cpp - The unfused attention graph ------------------------===//
//
// 1. Check q, k, v and the options; create the position encoding, so that
//    every user error is reported before the graph changes.
// 2. Rotary: rotate q (positions from Sk - Sq) and k (from 0).
// 3. scores = q k^T; grouped queries read their kv head through a
//    [b, Hkv, G, Sq, d] view of q, and the scores are reshaped back to
//    [b, H, Sq, Sk] so the bias, mask and softmax see one layout.
// 4. logits = scores * scale + bias (or (scores + bias) * scale), + mask.
// 5. out = softmax(logits) v, through the same grouped view.
//
//===----------------------------------------------------------------------===//
#include "ir/nn/Attention.h"

#include "ir/Builder.h"
#include "ir/TypeInference.h"
#include "ir/nn/NnSupport.h"
#include "ir/nn/OtherEncodings.h"

#include <fmt/format.h>

#include <cmath>

namespace einsum::nn {

using detail::uniqueName;

llvm::StringRef positionBiasName(PositionBias p) {
  switch (p) {
  case PositionBias::None:
    return "none";
  case PositionBias::Alibi:
    return "alibi";
  case PositionBias::Relative:
    return "relative";
  case PositionBias::Rotary:
    return "rotary";
  }
  return "unknown";
}

static constexpr llvm::StringLiteral kCtx = "attention";

namespace {
/// The checked shapes of one attention call.
struct Shapes {
  DType dtype;
  int64_t batch, heads, kvHeads, queries, keys, headDim, valueDim;
  int64_t groups() const { return heads / kvHeads; }
};

/// Whichever position encoding the options ask for, created (and so
/// validated) before any node is added.
struct Encodings {
  std::optional<AlibiPositionEncoding> alibi;
  std::optional<RelativePositionEncoding> relative;
  std::optional<RotaryPositionEncoding> rotary;
};
} // namespace

static llvm::Expected<Shapes> checkShapes(const Graph &g, TensorId q,
                                          TensorId k, TensorId v) {
  TensorType types[3];
  const char *names[3] = {"q", "k", "v"};
  TensorId ids[3] = {q, k, v};
  for (int i = 0; i < 3; ++i) {
    llvm::Expected<TensorType> t = detail::typeOf(g, ids[i], kCtx, names[i]);
    if (!t)
      return t.takeError();
    if (llvm::Error err = detail::expectFloatRank(
            *t, 4, kCtx, names[i],
            i == 0 ? "[batch, heads, queries, head_dim]"
                   : "[batch, kv_heads, keys, head_dim]"))
      return err;
    types[i] = *t;
  }
  const TensorType &qt = types[0], &kt = types[1], &vt = types[2];
  auto mismatch = [&](const TensorType &a, const char *an, const TensorType &b,
                      const char *bn, llvm::StringRef what) {
    return makeError(fmt::format("{}: {} is {} but {} is {}; {}", kCtx.str(),
                                 an, a.str(), bn, b.str(), what.str()));
  };
  for (int i = 1; i < 3; ++i)
    if (types[i].elementType() != qt.elementType())
      return mismatch(qt, "q", types[i], names[i], "element types must match");
  if (kt.dim(0) != qt.dim(0) || vt.dim(0) != qt.dim(0))
    return makeError(fmt::format("{}: q, k and v have batch sizes {}, {} and "
                                 "{}; they must be equal",
                                 kCtx.str(), sizeStr(qt.dim(0)),
                                 sizeStr(kt.dim(0)), sizeStr(vt.dim(0))));
  if (vt.dim(1) != kt.dim(1) || vt.dim(2) != kt.dim(2))
    return mismatch(kt, "k", vt, "v", "k and v need the same heads and keys");
  if (kt.dim(3) != qt.dim(3))
    return mismatch(qt, "q", kt, "k", "q and k need the same head dimension");
  for (const TensorType *t : {&qt, &kt, &vt})
    for (unsigned d : {1u, 3u})
      if (isSymbolicSize(t->dim(d)))
        return makeError(fmt::format("{}: {} has {} {}; head counts and head "
                                     "dimensions must be static (batch and "
                                     "lengths may be known only at run time)",
                                     kCtx.str(), t->str(),
                                     d == 1 ? "heads" : "head dimension",
                                     sizeStr(t->dim(d))));
  if (qt.dim(1) % kt.dim(1) != 0)
    return makeError(fmt::format("{}: k and v have {} heads, which does not "
                                 "divide the {} heads of q",
                                 kCtx.str(), kt.dim(1), qt.dim(1)));
  return Shapes{qt.elementType(), qt.dim(0), qt.dim(1), kt.dim(1),
                qt.dim(2),        kt.dim(2), qt.dim(3), vt.dim(3)};
}

static llvm::Expected<Encodings> createEncodings(const Shapes &s,
                                                 const AttentionOptions &o) {
  Encodings enc;
  switch (o.position) {
  case PositionBias::None:
    break;
  case PositionBias::Alibi: {
    AlibiOptions alibi = o.alibi;
    if (o.causal && alibi.form == AlibiForm::Symmetric)
      alibi.form = AlibiForm::Causal;
    if (!o.causal && alibi.form == AlibiForm::KeyOnly)
      return makeError(fmt::format("{}: the key-only alibi form needs causal "
                                   "attention: +m j equals the distance bias "
                                   "only under a causal mask",
                                   kCtx.str()));
    auto e = AlibiPositionEncoding::create(
        PositionEncodingConfig::alibi(s.heads * s.headDim, s.heads, s.keys),
        alibi);
    if (!e)
      return e.takeError();
    enc.alibi = *e;
    break;
  }
  case PositionBias::Relative: {
    PositionEncodingConfig cfg = PositionEncodingConfig::relative(
        s.heads * s.headDim, o.relativeBuckets, o.relativeMaxDistance);
    cfg.nHeads = s.heads;
    // A decoder's buckets tell only past keys apart (T5).
    auto e = RelativePositionEncoding::create(cfg, !o.causal);
    if (!e)
      return e.takeError();
    enc.relative = *e;
    break;
  }
  case PositionBias::Rotary: {
    auto e =
        RotaryPositionEncoding::create(PositionEncodingConfig::rotaryScaled(
            s.headDim, s.keys, o.ropeBase, o.ropeScaling));
    if (!e)
      return e.takeError();
    enc.rotary = *e;
    break;
  }
  }
  return enc;
}

/// Gives an anonymous tensor a readable, unique name.
static void nameTensor(Graph &g, TensorId id, llvm::StringRef base) {
  if (g.isValid(id) && g.tensor(id).name.empty())
    g.tensor(id).name = uniqueName(g, base);
}

llvm::Expected<TensorId> buildAttention(Graph &g, TensorId q, TensorId k,
                                        TensorId v,
                                        const AttentionOptions &options) {
  llvm::Expected<Shapes> shapes = checkShapes(g, q, k, v);
  if (!shapes)
    return shapes.takeError();
  const Shapes &s = *shapes;
  double scale = options.scale.value_or(1.0 / std::sqrt(double(s.headDim)));
  if (!std::isfinite(scale))
    return makeError(fmt::format("{}: scale is {}; expected a finite number",
                                 kCtx.str(), scale));
  bool explicitAlibiOffset =
      options.position == PositionBias::Alibi && options.alibi.queryOffset >= 0;
  bool positional = options.position != PositionBias::None;
  // With lengths known only at run time, a run checks that Sk - Sq is not
  // negative (the generators' query offset).
  bool knownLengths = !isSymbolicSize(s.queries) && !isSymbolicSize(s.keys);
  if ((options.causal || (positional && !explicitAlibiOffset)) &&
      knownLengths && s.queries > s.keys)
    return makeError(fmt::format(
        "{}: q has {} queries but k has {} keys; causal masks and position "
        "encodings place query i at position i + Sk - Sq, which needs "
        "Sq <= Sk",
        kCtx.str(), s.queries, s.keys));
  llvm::Expected<Encodings> enc = createEncodings(s, options);
  if (!enc)
    return enc.takeError();
  std::optional<int64_t> offset = subSizes(s.keys, s.queries);
  if (!offset)
    return makeError(fmt::format("{}: the decode offset {} - {} is out of "
                                 "range",
                                 kCtx.str(), sizeStr(s.keys),
                                 sizeStr(s.queries)));
  int64_t decodeOffset = *offset;

  if (enc->rotary) {
    // Keys sit at 0..Sk-1, queries at the last Sq of those positions; in
    // self-attention both are 0..S-1 and share one rotation.
    llvm::Expected<TensorId> keyRot =
        enc->rotary->buildRotation(g, s.keys, 0, s.dtype);
    if (!keyRot)
      return keyRot.takeError();
    llvm::Expected<TensorId> queryRot =
        decodeOffset == 0
            ? *keyRot
            : enc->rotary->buildRotation(g, s.queries, decodeOffset, s.dtype);
    if (!queryRot)
      return queryRot.takeError();
    llvm::Expected<TensorId> qr = enc->rotary->applyRotation(g, q, *queryRot);
    if (!qr)
      return qr.takeError();
    llvm::Expected<TensorId> kr = enc->rotary->applyRotation(g, k, *keyRot);
    if (!kr)
      return kr.takeError();
    q = *qr;
    k = *kr;
    nameTensor(g, q, "q_rope");
    nameTensor(g, k, "k_rope");
  }

  Builder b(g);
  int64_t groups = s.groups();
  TensorId scores;
  if (groups == 1) {
    scores = b.einsum("bhid,bhjd->bhij", {q, k}, uniqueName(g, "scores"));
  } else {
    // Head h = kvHead * G + g: the row-major split of H into [Hkv, G].
    TensorId grouped =
        b.reshape(q, {s.batch, s.kvHeads, groups, s.queries, s.headDim},
                  uniqueName(g, "q_groups"));
    TensorId perGroup = b.einsum("bkgid,bkjd->bkgij", {grouped, k});
    scores = b.reshape(perGroup, {s.batch, s.heads, s.queries, s.keys},
                       uniqueName(g, "scores"));
  }
  // With f16 or bf16 q and k the scores are f32 (the einsum accumulates
  // there), and so is everything up to the value product.
  DType acc = accumulatorType(s.dtype);
  TensorId scaleT = b.scalar(scale, acc, uniqueName(g, "scale"));
  if (b.hasError())
    return detail::finish(b, scores, kCtx);

  // The bias goes after the scale unless scaleBias asks for both scaled.
  TensorId scaled = options.scaleBias ? TensorId() : b.mul(scores, scaleT);
  TensorId logits = options.scaleBias ? scores : scaled;
  llvm::Expected<TensorId> biased = logits;
  if (enc->alibi)
    biased = enc->alibi->buildBias(g, logits);
  else if (enc->relative)
    biased = enc->relative->buildBias(g, logits);
  if (!biased)
    return biased.takeError();
  logits = *biased;
  if (options.scaleBias)
    logits = b.mul(logits, scaleT);
  // The causal ALiBi distance is +inf above the diagonal, so its bias
  // (-slope * distance) already masks the future.
  bool alibiMasks =
      enc->alibi && enc->alibi->options().form == AlibiForm::Causal;
  if (options.causal && !alibiMasks) {
    TensorId mask = b.causalMask(TensorType(acc, {s.queries, s.keys}),
                                 decodeOffset, uniqueName(g, "causal_mask"));
    logits = b.add(logits, mask);
  }
  nameTensor(g, logits, "logits");
  nameTensor(g, scaled, "scaled");
  TensorId probs = b.softmax(logits, -1, uniqueName(g, "probs"));
  // The probabilities stay f32: v is widened to meet them, exactly
  // (fuse-attention reads v as it is stored).
  if (acc != s.dtype)
    v = b.cast(v, acc, uniqueName(g, "v_wide"));

  TensorId out;
  if (groups == 1) {
    out = b.einsum("bhij,bhjd->bhid", {probs, v}, uniqueName(g, "attn_out"));
  } else {
    TensorId grouped =
        b.reshape(probs, {s.batch, s.kvHeads, groups, s.queries, s.keys});
    TensorId perGroup = b.einsum("bkgij,bkjd->bkgid", {grouped, v});
    out = b.reshape(perGroup, {s.batch, s.heads, s.queries, s.valueDim},
                    uniqueName(g, "attn_out"));
  }
  return detail::finish(b, out, kCtx);
}

} // namespace einsum::nn
