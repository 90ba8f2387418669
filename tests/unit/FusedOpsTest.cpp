// The fused ops on the reference backend against the unfused graphs they
// replace, built from ordinary ops with the Builder, on random data at odd
// sizes. Tolerances: f64 rtol 1e-12 (only summation order and the one
// rounding differ); f32 rtol and atol 2e-5 (the unfused graph rounds every
// intermediate to f32, the fused op only its result).
#include "ReferenceTestUtil.h"

#include "ir/Printer.h"

#include <gtest/gtest.h>

#include <random>

using namespace einsum;
using namespace einsum::testing;

namespace {

TensorData randomData(const TensorType &type, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  return filled(type, [&](int64_t) { return dist(rng); });
}

struct Precision {
  DType dtype;
  double rtol, atol;
};
const Precision kPrecisions[] = {{DType::F64, 1e-12, 1e-12},
                                 {DType::F32, 2e-5, 2e-5}};

void expectClose(const TensorData &fused, const TensorData &unfused,
                 const Precision &p) {
  ASSERT_EQ(fused.type(), unfused.type());
  Comparison c = compareTensors(fused, unfused, p.rtol, p.atol);
  EXPECT_TRUE(c.allClose) << "max abs error " << c.maxAbsError << " at element "
                          << c.worstIndex << ": fused "
                          << fused.get(c.worstIndex) << ", unfused "
                          << unfused.get(c.worstIndex);
}

/// Builds `build` into a fresh graph with the given inputs and runs it.
TensorData runGraph(
    llvm::ArrayRef<TensorType> inputTypes,
    llvm::ArrayRef<const TensorData *> data,
    const std::function<TensorId(Builder &, llvm::ArrayRef<TensorId>)> &build) {
  Graph g;
  Builder b(g);
  std::vector<TensorId> ins;
  for (size_t i = 0; i < inputTypes.size(); ++i)
    ins.push_back(b.input("in" + std::to_string(i), inputTypes[i]));
  b.output(build(b, ins), "out");
  if (llvm::Error err = b.takeError()) {
    ADD_FAILURE() << "building failed: " << firstMessage(std::move(err));
    return TensorData();
  }
  std::vector<TensorData> out = runOk(g, {data.begin(), data.end()});
  return out.empty() ? TensorData() : std::move(out.front());
}

/// The epilogue attribute of `text`, which must parse.
Attribute epilogueAttr(llvm::StringRef text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (!e) {
    ADD_FAILURE() << firstMessage(e.takeError());
    return Attribute::ofEpilogue(Epilogue::acc());
  }
  return Attribute::ofEpilogue(std::move(*e));
}

TensorId contraction(Builder &b, llvm::StringRef spec, llvm::StringRef epilogue,
                     llvm::ArrayRef<TensorId> ins) {
  return b.op(OpKind::Contraction, ins,
              {{"spec", Attribute::ofString(spec.str())},
               {"epilogue", epilogueAttr(epilogue)}});
}

TensorId attention(Builder &b, llvm::StringRef epilogue,
                   llvm::ArrayRef<TensorId> ins) {
  return b.op(OpKind::Attention, ins,
              {{"score_epilogue", epilogueAttr(epilogue)}});
}

//===--- contraction ------------------------------------------------------===//

/// Scores of q [B,H,Sq,D] and k [B,H,Sk,D] with an epilogue over ALiBi
/// slopes, against einsum followed by `unfused(builder, scores, slopes)`.
void checkScoreContraction(
    int64_t sq, int64_t sk, llvm::StringRef epilogue,
    const std::function<TensorId(Builder &, TensorId, TensorId, DType)>
        &unfused) {
  const int64_t batch = 2, heads = 3, dim = 7;
  for (const Precision &p : kPrecisions) {
    SCOPED_TRACE(dtypeName(p.dtype).str());
    TensorType qt(p.dtype, {batch, heads, sq, dim});
    TensorType kt(p.dtype, {batch, heads, sk, dim});
    TensorData q = randomData(qt, 1), k = randomData(kt, 2);
    TensorData fused = runGraph(
        {qt, kt}, {&q, &k}, [&](Builder &b, llvm::ArrayRef<TensorId> in) {
          TensorId m = b.alibiSlopes(heads, p.dtype);
          return contraction(b, "bhid,bhjd->bhij", epilogue, {in[0], in[1], m});
        });
    TensorData reference = runGraph(
        {qt, kt}, {&q, &k}, [&](Builder &b, llvm::ArrayRef<TensorId> in) {
          TensorId s = b.einsum("bhid,bhjd->bhij", {in[0], in[1]});
          TensorId m = b.expandDims(b.alibiSlopes(heads, p.dtype), {1, 2});
          return unfused(b, s, m, p.dtype);
        });
    expectClose(fused, reference, p);
  }
}

TensorId scaled(Builder &b, TensorId s, DType dt) {
  return b.mul(s, b.scalar(0.125, dt));
}

TEST(FusedContraction, AlibiSymmetric) {
  checkScoreContraction(13, 13, "acc * 0.125 - $0[h] * abs(i - j)",
                        [](Builder &b, TensorId s, TensorId m, DType dt) {
                          TensorId d = b.distance(TensorType(dt, {13, 13}));
                          return b.sub(scaled(b, s, dt), b.mul(m, d));
                        });
}

TEST(FusedContraction, AlibiCausalMasksWithInfinity) {
  checkScoreContraction(
      13, 13, "select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)",
      [](Builder &b, TensorId s, TensorId m, DType dt) {
        TensorType t(dt, {13, 13});
        TensorId biased = b.sub(scaled(b, s, dt), b.mul(m, b.distance(t)));
        return b.add(biased, b.causalMask(t));
      });
}

TEST(FusedContraction, DecodeWithQueryOffset) {
  // Three new queries at positions 10..12 against 13 cached keys.
  checkScoreContraction(
      3, 13, "select(j <= i + 10, acc * 0.125 - $0[h] * (i + 10 - j), -inf)",
      [](Builder &b, TensorId s, TensorId m, DType dt) {
        TensorType t(dt, {3, 13});
        TensorId d = b.distance(t, "symmetric", 10);
        TensorId biased = b.sub(scaled(b, s, dt), b.mul(m, d));
        return b.add(biased, b.causalMask(t, 10));
      });
  checkScoreContraction(
      1, 13, "acc * 0.125 - $0[h] * abs(i + 12 - j)",
      [](Builder &b, TensorId s, TensorId m, DType dt) {
        TensorId d = b.distance(TensorType(dt, {1, 13}), "symmetric", 12);
        return b.sub(scaled(b, s, dt), b.mul(m, d));
      });
}

TEST(FusedContraction, KeyOnlyBias) {
  checkScoreContraction(13, 13, "acc * 0.125 + $0[h] * j",
                        [](Builder &b, TensorId s, TensorId m, DType dt) {
                          TensorId j = b.iota(TensorType(dt, {13}));
                          return b.add(scaled(b, s, dt), b.mul(m, j));
                        });
}

TEST(FusedContraction, IdentityEpilogueIsTheEinsumExactly) {
  TensorType xt = TensorType::f32({13, 7}), wt = TensorType::f32({7, 5});
  TensorData x = randomData(xt, 3), w = randomData(wt, 4);
  TensorData fused =
      runGraph({xt, wt}, {&x, &w}, [](Builder &b, llvm::ArrayRef<TensorId> in) {
        return contraction(b, "ij,jk->ik", "acc", in);
      });
  TensorData plain =
      runGraph({xt, wt}, {&x, &w}, [](Builder &b, llvm::ArrayRef<TensorId> in) {
        return b.einsum("ij,jk->ik", in);
      });
  expectClose(fused, plain, {DType::F32, 0, 0});
}

TEST(FusedContraction, BiasReluWithBroadcastOperands) {
  // relu(x w + bias[k]) + row[i] * col[0, k]: operands of rank 1 and a
  // [1, K] one broadcast along i.
  for (const Precision &p : kPrecisions) {
    SCOPED_TRACE(dtypeName(p.dtype).str());
    TensorType xt(p.dtype, {13, 7}), wt(p.dtype, {7, 5}), bt(p.dtype, {5}),
        rt(p.dtype, {13}), ct(p.dtype, {1, 5});
    TensorData x = randomData(xt, 5), w = randomData(wt, 6),
               bias = randomData(bt, 7), row = randomData(rt, 8),
               col = randomData(ct, 9);
    std::vector<TensorType> types = {xt, wt, bt, rt, ct};
    std::vector<const TensorData *> data = {&x, &w, &bias, &row, &col};
    TensorData fused =
        runGraph(types, data, [](Builder &b, llvm::ArrayRef<TensorId> in) {
          return contraction(b, "ij,jk->ik",
                             "max(acc + $0[k], 0) + $1[i] * $2[i,k]", in);
        });
    TensorData reference =
        runGraph(types, data, [](Builder &b, llvm::ArrayRef<TensorId> in) {
          TensorId s = b.einsum("ij,jk->ik", {in[0], in[1]});
          TensorId relu = b.unary(OpKind::Relu, b.add(s, in[2]));
          TensorId rowCol = b.mul(b.expandDims(in[3], {1}), in[4]);
          return b.add(relu, rowCol);
        });
    expectClose(fused, reference, p);
  }
}

//===--- attention --------------------------------------------------------===//

struct AttentionShape {
  int64_t batch, heads, kvHeads, queries, keys, dim, valueDim;
};

/// The unfused graph: scores by einsum over kv groups (q heads reshaped to
/// [kvHeads, group]), `scoreOps` on [B,H,Sq,Sk] scores, softmax, einsum.
TensorId
unfusedAttention(Builder &b, const AttentionShape &s, TensorId q, TensorId k,
                 TensorId v,
                 const std::function<TensorId(Builder &, TensorId)> &scoreOps) {
  int64_t group = s.heads / s.kvHeads;
  TensorId q5 = b.reshape(q, {s.batch, s.kvHeads, group, s.queries, s.dim});
  TensorId scores5 = b.einsum("bgrid,bgjd->bgrij", {q5, k});
  TensorId scores = b.reshape(scores5, {s.batch, s.heads, s.queries, s.keys});
  TensorId p = b.softmax(scoreOps(b, scores));
  TensorId p5 = b.reshape(p, {s.batch, s.kvHeads, group, s.queries, s.keys});
  TensorId out5 = b.einsum("bgrij,bgje->bgrie", {p5, v});
  return b.reshape(out5, {s.batch, s.heads, s.queries, s.valueDim});
}

/// Runs fused attention with `epilogue` (with ALiBi slopes as $0) against
/// the unfused graph with `scoreOps(builder, scores, slopes[H,1,1], dtype)`.
void checkAttention(const AttentionShape &s, llvm::StringRef epilogue,
                    const std::function<TensorId(Builder &, TensorId, TensorId,
                                                 DType)> &scoreOps) {
  for (const Precision &p : kPrecisions) {
    SCOPED_TRACE(dtypeName(p.dtype).str());
    TensorType qt(p.dtype, {s.batch, s.heads, s.queries, s.dim});
    TensorType kt(p.dtype, {s.batch, s.kvHeads, s.keys, s.dim});
    TensorType vt(p.dtype, {s.batch, s.kvHeads, s.keys, s.valueDim});
    TensorData q = randomData(qt, 11), k = randomData(kt, 12),
               v = randomData(vt, 13);
    TensorData fused =
        runGraph({qt, kt, vt}, {&q, &k, &v},
                 [&](Builder &b, llvm::ArrayRef<TensorId> in) {
                   TensorId m = b.alibiSlopes(s.heads, p.dtype);
                   return attention(b, epilogue, {in[0], in[1], in[2], m});
                 });
    TensorData reference = runGraph(
        {qt, kt, vt}, {&q, &k, &v},
        [&](Builder &b, llvm::ArrayRef<TensorId> in) {
          TensorId m = b.expandDims(b.alibiSlopes(s.heads, p.dtype), {1, 2});
          return unfusedAttention(b, s, in[0], in[1], in[2],
                                  [&](Builder &b, TensorId scores) {
                                    return scoreOps(b, scores, m, p.dtype);
                                  });
        });
    expectClose(fused, reference, p);
  }
}

/// scale * scores - slopes * |i + offset - j|, plus a causal mask if asked.
std::function<TensorId(Builder &, TensorId, TensorId, DType)>
alibiScores(const AttentionShape &s, int64_t offset, bool causal) {
  return [=](Builder &b, TensorId scores, TensorId m, DType dt) {
    TensorType t(dt, {s.queries, s.keys});
    TensorId biased = b.sub(b.mul(scores, b.scalar(0.125, dt)),
                            b.mul(m, b.distance(t, "symmetric", offset)));
    return causal ? b.add(biased, b.causalMask(t, offset)) : biased;
  };
}

TEST(FusedAttention, MultiHeadAlibiSymmetric) {
  AttentionShape s{2, 3, 3, 13, 13, 7, 5};
  checkAttention(s, "acc * 0.125 - $0[h] * abs(i - j)",
                 alibiScores(s, 0, false));
}

TEST(FusedAttention, GroupedQueryCausal) {
  AttentionShape s{1, 8, 2, 13, 13, 7, 5};
  checkAttention(s, "select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)",
                 alibiScores(s, 0, true));
}

TEST(FusedAttention, MultiQueryCausal) {
  AttentionShape s{2, 4, 1, 13, 13, 7, 3};
  checkAttention(s, "select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)",
                 alibiScores(s, 0, true));
}

TEST(FusedAttention, DecodeOneQueryWithOffset) {
  AttentionShape one{1, 8, 2, 1, 13, 7, 5};
  checkAttention(one,
                 "select(j <= i + 12, acc * 0.125 - $0[h] * (i + 12 - j), "
                 "-inf)",
                 alibiScores(one, 12, true));
  AttentionShape three{2, 4, 2, 3, 13, 7, 5};
  checkAttention(three, "acc * 0.125 - $0[h] * abs(i + 10 - j)",
                 alibiScores(three, 10, false));
}

TEST(FusedAttention, FullyMaskedRowsGiveZeros) {
  // Query 0 sees no key (j < i never holds), so its row is all -inf.
  AttentionShape s{1, 4, 2, 5, 5, 7, 3};
  auto strictlyCausal = [&](Builder &b, TensorId scores, TensorId, DType dt) {
    std::vector<double> mask;
    for (int64_t i = 0; i < s.queries; ++i)
      for (int64_t j = 0; j < s.keys; ++j)
        mask.push_back(j < i ? 0.0 : -INFINITY);
    return b.add(b.mul(scores, b.scalar(0.125, dt)),
                 b.constant(mask, TensorType(dt, {s.queries, s.keys})));
  };
  checkAttention(s, "select(j < i, acc * 0.125, -inf)", strictlyCausal);

  TensorType qt = TensorType::f64({1, 4, 5, 7}),
             kt = TensorType::f64({1, 2, 5, 7}),
             vt = TensorType::f64({1, 2, 5, 3});
  TensorData q = randomData(qt, 1), k = randomData(kt, 2),
             v = randomData(vt, 3);
  TensorData out = runGraph(
      {qt, kt, vt}, {&q, &k, &v}, [](Builder &b, llvm::ArrayRef<TensorId> in) {
        return attention(b, "select(j < i, acc, -inf)", in);
      });
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t e = 0; e < 3; ++e) {
      EXPECT_EQ(out.get((h * 5 + 0) * 3 + e), 0.0) << h << ' ' << e;
      EXPECT_NE(out.get((h * 5 + 1) * 3 + e), 0.0) << h << ' ' << e;
    }
}

TEST(FusedAttention, IdentityEpilogue) {
  AttentionShape s{1, 2, 2, 13, 11, 7, 5};
  checkAttention(s, "acc", [](Builder &, TensorId scores, TensorId, DType) {
    return scores;
  });
}

//===--- Types ------------------------------------------------------------===//

std::string buildError(const std::function<void(Builder &)> &build) {
  Graph g;
  Builder b(g);
  build(b);
  llvm::Error err = b.takeError();
  return err ? firstMessage(std::move(err)) : "<built>";
}

TEST(FusedTypes, ContractionResultAndErrors) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({1, 2, 8, 4}));
  TensorId k = b.input("k", TensorType::f32({1, 2, 8, 4}));
  TensorId m = b.input("m", TensorType::f32({2}));
  TensorId s = contraction(b, "bhid,bhjd->bhij", "acc*0.5-$0[h]", {q, k, m});
  ASSERT_TRUE(s.isValid());
  EXPECT_EQ(g.type(s), TensorType::f32({1, 2, 8, 8}));
  // The attribute holds the parsed tree; it prints canonically.
  EXPECT_EQ(g.node(g.producer(s)).attr("epilogue").getEpilogue().str(),
            "acc * 0.5 - $0[h]");
  b.output(s, "s");
  EXPECT_NE(printGraph(g).find("epilogue = \"acc * 0.5 - $0[h]\""),
            std::string::npos)
      << printGraph(g);

  auto err = [](llvm::StringRef spec, llvm::StringRef epilogue,
                std::vector<TensorType> types) {
    return buildError([&](Builder &b) {
      std::vector<TensorId> ins;
      for (size_t i = 0; i < types.size(); ++i)
        ins.push_back(b.input("x" + std::to_string(i), types[i]));
      contraction(b, spec, epilogue, ins);
    });
  };
  TensorType t = TensorType::f32({2, 3});
  EXPECT_EQ(err("ij,jk->ik", "acc", {t}),
            "'contraction': spec 'ij,jk->ik' has 2 terms but the "
            "node has 1 input");
  EXPECT_EQ(err("ij->ij", "acc + $0[k]", {t, TensorType::f32({3})}),
            "'contraction': epilogue 'acc + $0[k]': label 'k' is "
            "not a loop label of the node (loop labels: ij)");
  EXPECT_EQ(err("ij->i", "acc + j", {t}),
            "'contraction': epilogue 'acc + j': label 'j' is not "
            "a loop label of the node (loop labels: i)");
  EXPECT_EQ(err("ij->ij", "acc + $0[j]", {t, TensorType::f32({2})}),
            "'contraction': epilogue 'acc + $0[j]': dimension 0 "
            "of operand $0 (f32[2]) is 2 but label 'j' has size 3; expected 3 "
            "or 1");
  EXPECT_EQ(err("ij->ij", "acc + $0[j]", {t, TensorType::f64({3})}),
            "'contraction': epilogue operand $0 is f64[3]; the epilogue "
            "computes in f32, so its operands must be f32 (a 'cast' "
            "converts)");
  EXPECT_EQ(err("ij->ij", "acc + $0[j]", {t, TensorType::i64({3})}),
            "'contraction': epilogue operand $0 is i64[3]; the epilogue "
            "computes in f32, so its operands must be f32 (a 'cast' "
            "converts)");
  // Text is parsed where it is read, before any node exists.
  EXPECT_EQ(firstMessage(parseEpilogue("acc +").takeError()),
            "epilogue 'acc +': unexpected end of expression at column 6");
  // An epilogue attribute must hold a tree, not its text.
  EXPECT_EQ(buildError([&](Builder &b) {
              TensorId x = b.input("x", t);
              b.op(OpKind::Contraction, {x},
                   {{"spec", Attribute::ofString("ij->ij")},
                    {"epilogue", Attribute::ofString("acc")}});
            }),
            "'contraction': attribute 'epilogue' expects epilogue, got "
            "string");
}

TEST(FusedTypes, AttentionResultAndErrors) {
  auto err = [](std::vector<TensorType> types,
                llvm::StringRef epilogue = "acc") {
    return buildError([&](Builder &b) {
      std::vector<TensorId> ins;
      for (size_t i = 0; i < types.size(); ++i)
        ins.push_back(b.input("x" + std::to_string(i), types[i]));
      attention(b, epilogue, ins);
    });
  };
  auto f32 = [](std::vector<int64_t> s) { return TensorType::f32(s); };
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 2, 13, 7}), f32({2, 2, 13, 3})}),
            "<built>");
  {
    Graph g;
    Builder b(g);
    TensorId o = attention(b, "acc",
                           {b.input("q", TensorType::f64({2, 8, 5, 7})),
                            b.input("k", TensorType::f64({2, 2, 13, 7})),
                            b.input("v", TensorType::f64({2, 2, 13, 3}))});
    ASSERT_TRUE(o.isValid());
    EXPECT_EQ(g.type(o), TensorType::f64({2, 8, 5, 3}));
  }
  EXPECT_EQ(err({f32({8, 5, 7}), f32({2, 2, 13, 7}), f32({2, 2, 13, 3})}),
            "'attention': q has type f32[8,5,7]; expected rank 4 "
            "[batch, heads, queries, head_dim]");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 2, 13, 7}), f32({2, 13, 3})}),
            "'attention': v has type f32[2,13,3]; expected rank "
            "4 [batch, kv_heads, keys, value_dim]");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({1, 2, 13, 7}), f32({2, 2, 13, 3})}),
            "'attention': batch sizes differ: q f32[2,8,5,7], k "
            "f32[1,2,13,7], v f32[2,2,13,3]");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 2, 13, 7}), f32({2, 2, 12, 3})}),
            "'attention': k f32[2,2,13,7] and v f32[2,2,12,3] "
            "must have the same kv heads and keys");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 3, 13, 7}), f32({2, 3, 13, 3})}),
            "'attention': q f32[2,8,5,7] has 8 heads, not a "
            "multiple of the 3 kv heads of k f32[2,3,13,7]");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 2, 13, 6}), f32({2, 2, 13, 3})}),
            "'attention': head dimension of q f32[2,8,5,7] is 7 "
            "but of k f32[2,2,13,6] is 6");
  EXPECT_EQ(
      err({f32({2, 8, 5, 7}), f32({2, 2, 13, 7}), f32({2, 2, 13, 3}), f32({2})},
          "acc - $0[h]"),
      "'attention': epilogue 'acc - $0[h]': dimension 0 of "
      "operand $0 (f32[2]) is 2 but label 'h' has size 8; expected 8 or "
      "1");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 2, 13, 7}), f32({2, 2, 13, 3}),
                 f32({5, 13})},
                "acc - $0[i,j] * d"),
            "'attention': epilogue 'acc - $0[i,j] * d': label "
            "'d' is not a loop label of the node (loop labels: bhij)");
  EXPECT_EQ(err({f32({2, 8, 5, 7}), f32({2, 2, 13, 7}),
                 TensorType::f64({2, 2, 13, 3})}),
            "'attention': input 2 is f64[2,2,13,3] but input 0 "
            "is f32[2,8,5,7]; element types must match (a 'cast' "
            "converts)");
}

} // namespace
