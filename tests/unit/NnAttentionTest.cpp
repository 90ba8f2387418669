// buildAttention on the reference backend against attention written as
// plain loops here, for every position encoding, causal and not, grouped and
// multi-query heads, decode shapes and odd sizes; then the graph's shape
// and every error message.
#include "ir/nn/Attention.h"

#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include "DirectAttention.h"
#include "NnTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace einsum;
using namespace einsum::nn;
using namespace einsum::testing;

namespace {

class NnAttention : public ::testing::TestWithParam<AttnCase> {};

TEST_P(NnAttention, MatchesDirectLoops) {
  const AttnCase &c = GetParam();
  Graph g("attention");
  Builder b(g);
  TensorType qt(c.dtype, {c.batch, c.heads, c.sq, c.d});
  TensorType kt(c.dtype, {c.batch, c.kvHeads, c.sk, c.d});
  TensorType vt(c.dtype, {c.batch, c.kvHeads, c.sk, c.dv});
  TensorId q = b.input("q", qt), k = b.input("k", kt), v = b.input("v", vt);
  auto out = buildAttention(g, q, k, v, c.options());
  ASSERT_OK(out);
  b.output(*out, "out");
  ASSERT_EQ(errorOf(verify(g)), "<no error>");
  EXPECT_EQ(g.type(*out), TensorType(c.dtype, {c.batch, c.heads, c.sq, c.dv}));

  TensorData qd = wave(qt, 1.0), kd = wave(kt, 2.0), vd = wave(vt, 3.0);
  // Scale q up so the softmax is far from uniform and the bias matters.
  for (int64_t e = 0; e < qd.numElements(); ++e)
    qd.set(e, 3.0 * qd.get(e));
  std::vector<const TensorData *> inputs{&qd, &kd, &vd};
  std::optional<TensorData> table;
  if (c.position == PositionBias::Relative) {
    TensorId t = g.findTensor("rel_table");
    ASSERT_TRUE(g.isParameter(t));
    table = wave(g.type(t), 4.0);
    inputs.push_back(&*table);
  }
  ASSERT_EQ(g.arguments().size(), inputs.size());
  std::vector<TensorData> r = runOk(g, inputs);
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> want =
      directAttention(c, qd, kd, vd, table ? &*table : nullptr);
  // f32: each node rounds to f32 (relative 6e-8) and outputs are O(1).
  double tol = c.dtype == DType::F64 ? 1e-12 : 1e-5;
  expectElements(
      r[0], [&](int64_t e) { return want[e]; }, 0, tol);
}

AttnCase make(const char *name, int64_t heads, int64_t kvHeads, int64_t sq,
              int64_t sk, int64_t d, PositionBias p, bool causal) {
  AttnCase c;
  c.name = name;
  c.batch = 2;
  c.heads = heads;
  c.kvHeads = kvHeads;
  c.sq = sq;
  c.sk = sk;
  c.d = c.dv = d;
  c.position = p;
  c.causal = causal;
  return c;
}

AttnCase with(AttnCase c, void (*edit)(AttnCase &)) {
  edit(c);
  return c;
}

using P = PositionBias;

INSTANTIATE_TEST_SUITE_P(
    NnCases, NnAttention,
    ::testing::Values(
        // Odd sizes: S = 13, d = 7 (rotary needs an even d).
        make("none", 3, 3, 13, 13, 7, P::None, false),
        make("none_causal", 3, 3, 13, 13, 7, P::None, true),
        make("alibi_paper", 12, 12, 13, 13, 7, P::Alibi, false),
        make("alibi_paper_causal", 12, 12, 13, 13, 7, P::Alibi, true),
        with(make("alibi_seed", 12, 12, 13, 13, 7, P::Alibi, false),
             [](AttnCase &c) { c.recipe = SlopeRecipe::Seed; }),
        with(make("alibi_seed_causal", 12, 12, 13, 13, 7, P::Alibi, true),
             [](AttnCase &c) { c.recipe = SlopeRecipe::Seed; }),
        with(make("alibi_key_only_causal", 12, 12, 13, 13, 7, P::Alibi, true),
             [](AttnCase &c) { c.form = AlibiForm::KeyOnly; }),
        with(make("alibi_causal_form_masks_itself", 4, 4, 9, 9, 5, P::Alibi,
                  false),
             [](AttnCase &c) { c.form = AlibiForm::Causal; }),
        with(make("alibi_scale_bias", 4, 4, 9, 9, 5, P::Alibi, false),
             [](AttnCase &c) { c.scaleBias = true; }),
        with(make("alibi_explicit_scale", 4, 4, 9, 9, 5, P::Alibi, true),
             [](AttnCase &c) { c.scale = 0.3; }),
        make("relative", 3, 3, 13, 13, 7, P::Relative, false),
        make("relative_causal", 3, 3, 13, 13, 7, P::Relative, true),
        make("rotary", 3, 3, 13, 13, 8, P::Rotary, false),
        make("rotary_causal", 3, 3, 13, 13, 8, P::Rotary, true),
        // Grouped-query and multi-query attention.
        make("gqa_none", 8, 2, 6, 6, 4, P::None, false),
        make("gqa_alibi_causal", 8, 2, 6, 6, 4, P::Alibi, true),
        make("gqa_relative", 8, 2, 6, 6, 4, P::Relative, false),
        make("gqa_rotary_causal", 8, 2, 6, 6, 4, P::Rotary, true),
        make("mqa_none_causal", 4, 1, 5, 5, 3, P::None, true),
        make("mqa_alibi", 4, 1, 5, 5, 3, P::Alibi, false),
        with(make("gqa_value_dim", 6, 3, 4, 7, 4, P::None, false),
             [](AttnCase &c) { c.dv = 5; }),
        // Decoding with a KV cache: one query (or a few) at the end.
        make("decode_none_causal", 4, 4, 1, 17, 7, P::None, true),
        make("decode_alibi_causal", 4, 4, 1, 17, 7, P::Alibi, true),
        make("decode_alibi_symmetric", 4, 4, 1, 17, 7, P::Alibi, false),
        with(make("decode_alibi_key_only", 4, 4, 3, 17, 7, P::Alibi, true),
             [](AttnCase &c) { c.form = AlibiForm::KeyOnly; }),
        make("decode_relative_causal", 4, 4, 1, 17, 7, P::Relative, true),
        make("decode_rotary_causal", 4, 4, 1, 17, 8, P::Rotary, true),
        make("decode_gqa_rotary", 8, 2, 3, 17, 8, P::Rotary, true),
        make("decode_mqa_alibi", 4, 1, 1, 17, 7, P::Alibi, true),
        // Cross-attention without positions may have Sq > Sk.
        make("more_queries_than_keys", 2, 2, 9, 4, 3, P::None, false),
        with(make("f64_alibi_causal", 12, 12, 13, 13, 7, P::Alibi, true),
             [](AttnCase &c) { c.dtype = DType::F64; }),
        with(make("f64_rotary", 2, 2, 13, 13, 8, P::Rotary, false),
             [](AttnCase &c) { c.dtype = DType::F64; })),
    [](const ::testing::TestParamInfo<AttnCase> &info) {
      return std::string(info.param.name);
    });

TEST(NnAttention, DecodeMatchesTheLastRowOfTheFullComputation) {
  // Direct evidence for the offset: the same k, v and last query row, once
  // as the full causal computation and once as a one-query decode step.
  const int64_t H = 4, S = 17, D = 8;
  for (PositionBias p : {P::Alibi, P::Rotary, P::Relative}) {
    AttentionOptions o;
    o.position = p;
    o.causal = true;
    TensorType full = TensorType::f32({1, H, S, D});
    TensorType last = TensorType::f32({1, H, 1, D});
    TensorData qd = wave(full, 5.0), kd = wave(full, 6.0), vd = wave(full, 7.0);
    TensorData qLast = filled(last, [&](int64_t e) {
      return qd.get((e / D * S + S - 1) * D + e % D);
    });
    std::vector<TensorData> results;
    for (const TensorData *query : {&qd, &qLast}) {
      Graph g;
      Builder b(g);
      TensorId q = b.input("q", query->type());
      TensorId k = b.input("k", full), v = b.input("v", full);
      auto out = buildAttention(g, q, k, v, o);
      ASSERT_OK(out);
      b.output(*out);
      std::vector<const TensorData *> in{query, &kd, &vd};
      TensorData table;
      if (p == P::Relative) {
        table = wave(g.type(g.findTensor("rel_table")), 8.0);
        in.push_back(&table);
      }
      std::vector<TensorData> r = runOk(g, in);
      ASSERT_EQ(r.size(), 1u);
      results.push_back(std::move(r[0]));
    }
    expectElements(
        results[1],
        [&](int64_t e) {
          return results[0].get((e / D * S + S - 1) * D + e % D);
        },
        0, 1e-5);
  }
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

struct Built {
  Graph g{"attention"};
  std::string error;
  int count(OpKind op) const {
    int n = 0;
    for (NodeId id : g.liveNodes())
      n += g.node(id).op == op;
    return n;
  }
  const Node *first(OpKind op) const {
    for (NodeId id : g.liveNodes())
      if (g.node(id).op == op)
        return &g.node(id);
    return nullptr;
  }
};

void build(Built &out, int64_t heads, int64_t kvHeads, int64_t sq, int64_t sk,
           const AttentionOptions &o) {
  Builder b(out.g);
  TensorId q = b.input("q", TensorType::f32({1, heads, sq, 8}));
  TensorId k = b.input("k", TensorType::f32({1, kvHeads, sk, 8}));
  TensorId v = b.input("v", TensorType::f32({1, kvHeads, sk, 8}));
  auto r = buildAttention(out.g, q, k, v, o);
  if (!r) {
    out.error = firstMessage(r.takeError());
    return;
  }
  b.output(*r, "out");
}

TEST(NnAttentionGraph, NamesTheImportantTensors) {
  AttentionOptions o;
  o.position = P::Alibi;
  Built bt;
  build(bt, 4, 4, 6, 6, o);
  ASSERT_EQ(bt.error, "");
  for (const char *name :
       {"scores", "scale", "slopes", "dist", "logits", "probs", "out"})
    EXPECT_TRUE(bt.g.findTensor(name).isValid()) << name;
  // The scale is a rank-0 constant, 1/sqrt(8).
  TensorId scale = bt.g.findTensor("scale");
  EXPECT_EQ(bt.g.type(scale), TensorType::f32({}));
  EXPECT_FLOAT_EQ(bt.g.node(bt.g.producer(scale)).attr("value").getFloat(),
                  1.0 / std::sqrt(8.0));
  // The bias goes after the scale: logits = (scores * scale) - bias.
  const Node &logits = bt.g.node(bt.g.producer(bt.g.findTensor("logits")));
  EXPECT_EQ(logits.op, OpKind::Sub);
  const Node &scaled = bt.g.node(bt.g.producer(logits.inputs[0]));
  EXPECT_EQ(scaled.op, OpKind::Mul);
  EXPECT_EQ(scaled.inputs,
            (std::vector<TensorId>{bt.g.findTensor("scores"), scale}));
  EXPECT_EQ(bt.count(OpKind::Softmax), 1);
  EXPECT_EQ(bt.first(OpKind::Softmax)->attr("axis").getInt(), -1);
}

TEST(NnAttentionGraph, CausalAlibiMasksOnceThroughTheCausalDistance) {
  AttentionOptions o;
  o.position = P::Alibi;
  o.causal = true; // the Symmetric default switches to Causal
  Built bt;
  build(bt, 4, 4, 2, 6, o);
  ASSERT_EQ(bt.error, "");
  EXPECT_EQ(bt.count(OpKind::CausalMask), 0);
  const Node *dist = bt.first(OpKind::Distance);
  ASSERT_NE(dist, nullptr);
  EXPECT_EQ(dist->attr("form").getString(), "causal");
  EXPECT_EQ(dist->attr("query_offset").getInt(), 4);
}

TEST(NnAttentionGraph, OtherCausalAttentionAddsOneMaskWithTheDecodeOffset) {
  for (PositionBias p : {P::None, P::Relative, P::Rotary}) {
    AttentionOptions o;
    o.position = p;
    o.causal = true;
    Built bt;
    build(bt, 4, 4, 3, 10, o);
    ASSERT_EQ(bt.error, "");
    EXPECT_EQ(bt.count(OpKind::CausalMask), 1) << positionBiasName(p).str();
    EXPECT_EQ(bt.first(OpKind::CausalMask)->attr("query_offset").getInt(), 7);
  }
  AttentionOptions keyOnly;
  keyOnly.position = P::Alibi;
  keyOnly.causal = true;
  keyOnly.alibi.form = AlibiForm::KeyOnly;
  Built bt;
  build(bt, 4, 4, 3, 10, keyOnly);
  ASSERT_EQ(bt.error, "");
  EXPECT_EQ(bt.count(OpKind::CausalMask), 1);
  EXPECT_EQ(bt.count(OpKind::Distance), 0);
}

TEST(NnAttentionGraph, GroupedQueriesUseTheGroupedEinsums) {
  Built bt;
  build(bt, 8, 2, 5, 5, {});
  ASSERT_EQ(bt.error, "");
  std::vector<std::string> specs;
  for (NodeId id : bt.g.liveNodes())
    if (bt.g.node(id).op == OpKind::Einsum)
      specs.push_back(bt.g.node(id).attr("spec").getString());
  EXPECT_EQ(specs, (std::vector<std::string>{"bkgid,bkjd->bkgij",
                                             "bkgij,bkjd->bkgid"}));
  EXPECT_EQ(bt.g.type(bt.g.findTensor("q_groups")),
            TensorType::f32({1, 2, 4, 5, 8}));
  EXPECT_EQ(bt.g.type(bt.g.findTensor("scores")),
            TensorType::f32({1, 8, 5, 5}));
}

TEST(NnAttentionGraph, SelfAttentionRotatesQAndKWithOneRotation) {
  AttentionOptions o;
  o.position = P::Rotary;
  Built self, decode;
  build(self, 2, 2, 6, 6, o);
  build(decode, 2, 2, 1, 6, o);
  ASSERT_EQ(self.error, "");
  ASSERT_EQ(decode.error, "");
  EXPECT_TRUE(self.g.findTensor("q_rope").isValid());
  EXPECT_TRUE(self.g.findTensor("k_rope").isValid());
  EXPECT_EQ(self.count(OpKind::Sin), 1);
  EXPECT_EQ(decode.count(OpKind::Sin), 2);
}

TEST(NnAttentionGraph, TwoLayersInOneGraphVerify) {
  for (PositionBias p : {P::None, P::Alibi, P::Relative, P::Rotary}) {
    Graph g;
    Builder b(g);
    TensorType t = TensorType::f32({1, 2, 4, 8});
    TensorId q = b.input("q", t), k = b.input("k", t), v = b.input("v", t);
    AttentionOptions o;
    o.position = p;
    auto first = buildAttention(g, q, k, v, o);
    ASSERT_OK(first);
    auto second = buildAttention(g, *first, k, v, o);
    ASSERT_OK(second);
    b.output(*second, "out");
    EXPECT_EQ(errorOf(verify(g)), "<no error>") << positionBiasName(p).str();
    EXPECT_TRUE(g.findTensor("scores_1").isValid());
    // T5 layers share one relative table.
    if (p == P::Relative) {
      EXPECT_EQ(g.parameters().size(), 1u);
    }
  }
}

TEST(NnAttentionGraph, PositionBiasNames) {
  EXPECT_EQ(positionBiasName(P::None), "none");
  EXPECT_EQ(positionBiasName(P::Alibi), "alibi");
  EXPECT_EQ(positionBiasName(P::Relative), "relative");
  EXPECT_EQ(positionBiasName(P::Rotary), "rotary");
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

struct ErrorCase {
  const char *name;
  TensorType q, k, v;
  void (*edit)(AttentionOptions &);
  const char *message;
};

void PrintTo(const ErrorCase &c, std::ostream *os) { *os << c.name; }

class NnAttentionErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(NnAttentionErrors, AreReportedBeforeTheGraphChanges) {
  const ErrorCase &c = GetParam();
  Graph g;
  TensorId q = g.addInput("q", c.q), k = g.addInput("k", c.k),
           v = g.addInput("v", c.v);
  AttentionOptions o;
  if (c.edit)
    c.edit(o);
  EXPECT_EQ(errorOf(buildAttention(g, q, k, v, o)), c.message);
  EXPECT_EQ(g.numNodes(), 0u);
}

TensorType f32(std::vector<int64_t> s) { return TensorType::f32(std::move(s)); }

INSTANTIATE_TEST_SUITE_P(NnCases, NnAttentionErrors,
                         ::testing::Values(
                             ErrorCase{"q_rank", f32({2, 4, 8}),
                                       f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                       nullptr,
                                       "attention: q is f32[2,4,8]; expected "
                                       "rank 4 ([batch, "
                                       "heads, queries, head_dim])"},
                             ErrorCase{"v_integer", f32({1, 2, 4, 8}),
                                       f32({1, 2, 4, 8}),
                                       TensorType::i64({1, 2, 4, 8}), nullptr,
                                       "attention: v is i64[1,2,4,8]; expected "
                                       "a float type"},
                             ErrorCase{"dtypes", f32({1, 2, 4, 8}),
                                       TensorType::f64({1, 2, 4, 8}),
                                       f32({1, 2, 4, 8}), nullptr,
                                       "attention: q is f32[1,2,4,8] but k is "
                                       "f64[1,2,4,8]; "
                                       "element types must match"},
                             ErrorCase{"batch", f32({2, 2, 4, 8}),
                                       f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                       nullptr,
                                       "attention: q, k and v have batch sizes "
                                       "2, 1 and 1; they "
                                       "must be equal"},
                             ErrorCase{"kv_keys", f32({1, 2, 4, 8}),
                                       f32({1, 2, 4, 8}), f32({1, 2, 5, 8}),
                                       nullptr,
                                       "attention: k is f32[1,2,4,8] but v is "
                                       "f32[1,2,5,8]; k and "
                                       "v need the same heads and keys"},
                             ErrorCase{"head_dim", f32({1, 2, 4, 8}),
                                       f32({1, 2, 4, 6}), f32({1, 2, 4, 6}),
                                       nullptr,
                                       "attention: q is f32[1,2,4,8] but k is "
                                       "f32[1,2,4,6]; q and "
                                       "k need the same head dimension"},
                             ErrorCase{
                                 "heads_divide", f32({1, 12, 4, 8}),
                                 f32({1, 5, 4, 8}), f32({1, 5, 4, 8}), nullptr,
                                 "attention: k and v have 5 heads, which does "
                                 "not divide the "
                                 "12 heads of q"},
                             ErrorCase{
                                 "causal_more_queries", f32({1, 2, 6, 8}),
                                 f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                 [](AttentionOptions &o) { o.causal = true; },
                                 "attention: q has 6 queries but k has 4 keys; "
                                 "causal masks "
                                 "and position encodings place query i at "
                                 "position "
                                 "i + Sk - Sq, which needs Sq <= Sk"},
                             ErrorCase{
                                 "key_only_needs_causal", f32({1, 2, 4, 8}),
                                 f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                 [](AttentionOptions &o) {
                                   o.position = PositionBias::Alibi;
                                   o.alibi.form = AlibiForm::KeyOnly;
                                 },
                                 "attention: the key-only alibi form needs "
                                 "causal attention: "
                                 "+m j equals the distance bias only under a "
                                 "causal mask"},
                             ErrorCase{
                                 "rotary_odd", f32({1, 2, 4, 7}),
                                 f32({1, 2, 4, 7}), f32({1, 2, 4, 7}),
                                 [](AttentionOptions &o) {
                                   o.position = PositionBias::Rotary;
                                 },
                                 "rotary config: d_model is 7; rotary needs an "
                                 "even d_model"},
                             ErrorCase{
                                 "rope_scaling", f32({1, 2, 4, 8}),
                                 f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                 [](AttentionOptions &o) {
                                   o.position = PositionBias::Rotary;
                                   o.ropeScaling = 0;
                                 },
                                 "rotary config: scaling_factor is 0; expected "
                                 "a positive "
                                 "finite number"},
                             ErrorCase{"relative_buckets", f32({1, 2, 4, 8}),
                                       f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                       [](AttentionOptions &o) {
                                         o.position = PositionBias::Relative;
                                         o.relativeBuckets = 0;
                                       },
                                       "relative config: num_buckets is 0; "
                                       "expected at least 1"},
                             ErrorCase{"alibi_bias", f32({1, 2, 4, 8}),
                                       f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                       [](AttentionOptions &o) {
                                         o.position = PositionBias::Alibi;
                                         o.alibi.maxBias = -1;
                                       },
                                       "alibi options: max_bias is -1; "
                                       "expected a positive finite "
                                       "number"},
                             ErrorCase{"scale", f32({1, 2, 4, 8}),
                                       f32({1, 2, 4, 8}), f32({1, 2, 4, 8}),
                                       [](AttentionOptions &o) {
                                         o.scale = std::numeric_limits<
                                             double>::infinity();
                                       },
                                       "attention: scale is inf; expected a "
                                       "finite number"}),
                         [](const ::testing::TestParamInfo<ErrorCase> &info) {
                           return std::string(info.param.name);
                         });

TEST(NnAttentionErrors, UnknownAndUntypedTensors) {
  Graph g;
  TensorId q = g.addInput("q", TensorType::f32({1, 2, 4, 8}));
  TensorId untyped = g.addTensor("k");
  EXPECT_EQ(errorOf(buildAttention(g, q, untyped, q)),
            "attention: k %k has no type");
  EXPECT_EQ(errorOf(buildAttention(g, q, q, TensorId(99))),
            "attention: v is not a tensor of the graph");
}

} // namespace
