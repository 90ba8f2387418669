//===- ReferenceBackendTest.cpp - einsum and whole graphs -----------------===//
//
// Expected values come from explicit nested loops written here, not from the
// interpreter's odometer. f64 cases use rtol 1e-12 (only summation order
// differs); f32 cases use rtol 1e-6 (one rounding of a double result to f32
// is at most 6e-8 relative).
//
//===----------------------------------------------------------------------===//
#include "ReferenceTestUtil.h"

#include "backends/Backend.h"

#include <cmath>
#include <limits>

using namespace einsum;
using namespace einsum::testing;

namespace {

TEST(ReferenceEinsum, AttentionScoresMatchNestedLoops) {
  const int64_t B = 2, H = 3, S = 5, T = 6, D = 4;
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f64({B, H, S, D}));
  TensorId k = b.input("k", TensorType::f64({B, H, T, D}));
  b.output(b.einsum("bhid,bhjd->bhij", {q, k}), "s");
  ASSERT_FALSE(bool(b.takeError()));
  TensorData qd = wave(TensorType::f64({B, H, S, D}), 0.1);
  TensorData kd = wave(TensorType::f64({B, H, T, D}), 2.3);
  std::vector<TensorData> out = runOk(g, {&qd, &kd});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].type(), TensorType::f64({B, H, S, T}));
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < S; ++i)
        for (int64_t j = 0; j < T; ++j) {
          double sum = 0;
          for (int64_t d = 0; d < D; ++d)
            sum += qd.get(((bi * H + h) * S + i) * D + d) *
                   kd.get(((bi * H + h) * T + j) * D + d);
          EXPECT_NEAR(out[0].get(((bi * H + h) * S + i) * T + j), sum,
                      1e-12 * std::fabs(sum) + 1e-15);
        }
}

TEST(ReferenceEinsum, MatmulInF32) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({3, 5}));
  TensorId w = b.input("w", TensorType::f32({5, 2}));
  b.output(b.einsum("ij,jk->ik", {x, w}));
  TensorData xd = wave(TensorType::f32({3, 5}), 1.0);
  TensorData wd = wave(TensorType::f32({5, 2}), 4.0);
  std::vector<TensorData> out = runOk(g, {&xd, &wd});
  ASSERT_EQ(out.size(), 1u);
  expectElements(
      out[0],
      [&](int64_t flat) {
        int64_t i = flat / 2, k = flat % 2;
        double sum = 0;
        for (int64_t j = 0; j < 5; ++j)
          sum += xd.get(i * 5 + j) * wd.get(j * 2 + k);
        return sum;
      },
      1e-6, 1e-7);
}

TEST(ReferenceEinsum, AccumulatesInDouble) {
  // In f32 arithmetic 1e8 + 1 rounds back to 1e8 and the sum would be 0.
  Graph g;
  Builder b(g);
  TensorId a = b.constant({1e8, 1, -1e8}, TensorType::f32({3}));
  TensorId ones = b.splat(1, TensorType::f32({3}));
  b.output(b.einsum("i,i->", {a, ones}));
  std::vector<TensorData> out = runOk(g, {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].get(0), 1.0);
}

TEST(ReferenceEinsum, RepeatedLabelTakesTheDiagonal) {
  TensorData m = filled(TensorType::f64({3, 3}),
                        [](int64_t i) { return double(i * i + 1); });
  // Elements 0, 4, 8 on the diagonal: 1, 17, 65.
  TensorData diag = runUnaryGraph(
      m, [](Builder &b, TensorId x) { return b.einsum("ii->i", {x}); });
  ASSERT_EQ(diag.type(), TensorType::f64({3}));
  expectElements(
      diag,
      [](int64_t i) {
        return std::vector<double>{1, 17, 65}[i];
      },
      0);
  TensorData trace = runUnaryGraph(
      m, [](Builder &b, TensorId x) { return b.einsum("ii->", {x}); });
  ASSERT_EQ(trace.type(), TensorType::f64({}));
  EXPECT_EQ(trace.get(0), 83.0);
}

TEST(ReferenceEinsum, ThreeOperandChain) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f64({2, 3}));
  TensorId y = b.input("y", TensorType::f64({3, 4}));
  TensorId z = b.input("z", TensorType::f64({4, 2}));
  b.output(b.einsum("ij,jk,kl->il", {x, y, z}));
  TensorData xd = wave(TensorType::f64({2, 3}), 0.5);
  TensorData yd = wave(TensorType::f64({3, 4}), 1.5);
  TensorData zd = wave(TensorType::f64({4, 2}), 2.5);
  std::vector<TensorData> out = runOk(g, {&xd, &yd, &zd});
  ASSERT_EQ(out.size(), 1u);
  expectElements(
      out[0],
      [&](int64_t flat) {
        int64_t i = flat / 2, l = flat % 2;
        double sum = 0;
        for (int64_t j = 0; j < 3; ++j)
          for (int64_t k = 0; k < 4; ++k)
            sum += xd.get(i * 3 + j) * yd.get(j * 4 + k) * zd.get(k * 2 + l);
        return sum;
      },
      1e-12, 1e-15);
}

TEST(ReferenceEinsum, OuterProductPermutationAndFullSum) {
  Graph g;
  Builder b(g);
  TensorId u = b.constant({1, 2, 3}, TensorType::f64({3}));
  TensorId v = b.constant({10, 20}, TensorType::f64({2}));
  TensorId outer = b.einsum("i,j->ij", {u, v});
  TensorId cube = b.iota(TensorType::f64({2, 3, 4}), 2);
  b.output(outer, "outer");
  b.output(b.einsum("ijk->kji", {cube}), "perm");
  b.output(b.einsum("ijk->", {cube}), "total");
  // Implicit output: labels used once, alphabetically: "ik".
  TensorId m = b.constant({1, 2, 3, 4, 5, 6}, TensorType::f64({2, 3}));
  TensorId n = b.constant({1, 0, 0, 1, 1, 1}, TensorType::f64({3, 2}));
  b.output(b.einsum("ij,jk", {m, n}), "implicit");
  ASSERT_FALSE(bool(b.takeError()));
  std::vector<TensorData> out = runOk(g, {});
  ASSERT_EQ(out.size(), 4u);
  expectElements(
      out[0], [](int64_t f) { return double((f / 2 + 1) * 10 * (f % 2 + 1)); },
      0);
  ASSERT_EQ(out[1].type(), TensorType::f64({4, 3, 2}));
  // perm[k,j,i] = cube[i,j,k] = k.
  expectElements(
      out[1], [](int64_t f) { return double(f / 6); }, 0);
  EXPECT_EQ(out[2].get(0), 6.0 * (0 + 1 + 2 + 3));
  ASSERT_EQ(out[3].type(), TensorType::f64({2, 2}));
  // [[1+3, 2+3], [4+6, 5+6]].
  expectElements(
      out[3],
      [](int64_t f) {
        return std::vector<double>{4, 5, 10, 11}[f];
      },
      0);
}

TEST(ReferenceEinsum, LongSequenceAttentionSpotChecks) {
  // S = 128 as in the attention tests; sampled entries against loops.
  const int64_t H = 4, S = 128, D = 64;
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({1, H, S, D}));
  TensorId k = b.input("k", TensorType::f32({1, H, S, D}));
  b.output(b.einsum("bhid,bhjd->bhij", {q, k}));
  TensorData qd = wave(TensorType::f32({1, H, S, D}), 0.3);
  TensorData kd = wave(TensorType::f32({1, H, S, D}), 0.9);
  std::vector<TensorData> out = runOk(g, {&qd, &kd});
  ASSERT_EQ(out.size(), 1u);
  for (int64_t h : {0, 3})
    for (int64_t i : {0, 17, 127})
      for (int64_t j : {0, 64, 127}) {
        double sum = 0;
        for (int64_t d = 0; d < D; ++d)
          sum += qd.get((h * S + i) * D + d) * kd.get((h * S + j) * D + d);
        EXPECT_NEAR(out[0].get((h * S + i) * S + j), sum,
                    1e-6 * std::fabs(sum) + 1e-6);
      }
}

/// The ALiBi attention of the seed: softmax(q k^T / sqrt(d) - m_h |i-j|) v.
TEST(ReferenceGraph, AlibiAttentionMatchesLoops) {
  const int64_t H = 2, S = 16, D = 8;
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f32({1, H, S, D});
  TensorId q = b.input("q", t), k = b.input("k", t), v = b.input("v", t);
  TensorId s = b.einsum("bhid,bhjd->bhij", {q, k});
  TensorId scaled = b.mul(s, b.scalar(1 / std::sqrt(double(D))));
  TensorId slopes = b.expandDims(b.alibiSlopes(H), {1, 2});
  TensorId bias = b.mul(slopes, b.distance(TensorType::f32({S, S})));
  TensorId p = b.softmax(b.sub(scaled, bias));
  b.output(b.einsum("bhij,bhjd->bhid", {p, v}), "out");
  ASSERT_FALSE(bool(b.takeError()));

  TensorData qd = wave(t, 0.2), kd = wave(t, 1.2), vd = wave(t, 2.2);
  std::vector<TensorData> out = runOk(g, {&qd, &kd, &vd});
  ASSERT_EQ(out.size(), 1u);
  auto at = [&](const TensorData &x, int64_t h, int64_t i, int64_t d) {
    return x.get((h * S + i) * D + d);
  };
  for (int64_t h = 0; h < H; ++h) {
    double slope = std::pow(2.0, -8.0 * double(h + 1) / double(H));
    for (int64_t i = 0; i < S; ++i) {
      std::vector<double> logits(S);
      double max = -INFINITY, total = 0;
      for (int64_t j = 0; j < S; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < D; ++d)
          dot += at(qd, h, i, d) * at(kd, h, j, d);
        logits[j] =
            dot / std::sqrt(double(D)) - slope * std::fabs(double(i - j));
        max = std::max(max, logits[j]);
      }
      for (double &l : logits)
        total += l = std::exp(l - max);
      for (int64_t d = 0; d < D; ++d) {
        double o = 0;
        for (int64_t j = 0; j < S; ++j)
          o += logits[j] / total * at(vd, h, j, d);
        EXPECT_NEAR(at(out[0], h, i, d), o, 1e-5) << h << ' ' << i << ' ' << d;
      }
    }
  }
}

TEST(ReferenceGraph, ValuesLiveUntilTheirLastReader) {
  // a is read by n and, after the dead node, by m; it is also an output.
  // x is an input returned as an output. Freeing anything early would make
  // a later read fail or return garbage.
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f64({4}));
  TensorId a = b.exp(x, "a");
  TensorId n = b.neg(a, "n");
  b.abs(n, "dead");
  TensorId m = b.mul(a, n, "m");
  b.output(a);
  b.output(n);
  b.output(x);
  b.output(m);
  ASSERT_FALSE(bool(b.takeError()));
  TensorData xd = filled(TensorType::f64({4}), [](int64_t i) { return i; });
  std::vector<TensorData> out = runOk(g, {&xd});
  ASSERT_EQ(out.size(), 4u);
  expectElements(
      out[0], [](int64_t i) { return std::exp(double(i)); }, 1e-15);
  expectElements(
      out[1], [](int64_t i) { return -std::exp(double(i)); }, 1e-15);
  expectElements(
      out[2], [](int64_t i) { return double(i); }, 0);
  expectElements(
      out[3], [](int64_t i) { return -std::exp(2.0 * i); }, 1e-14);
}

TEST(ReferenceGraph, BackendExecutableMatchesInterpret) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({2, 3}));
  TensorId y = b.input("y", TensorType::f32({3}));
  b.output(b.softmax(b.add(x, y)), "p");
  ASSERT_FALSE(bool(b.takeError()));
  TensorData xd = wave(TensorType::f32({2, 3}), 0.4);
  TensorData yd = wave(TensorType::f32({3}), 3.4);

  registerBuiltinBackends();
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend("reference");
  ASSERT_TRUE(bool(backend)) << firstMessage(backend.takeError());
  EXPECT_EQ((*backend)->name(), "reference");
  llvm::Expected<std::unique_ptr<Executable>> exe =
      (*backend)->compile(g, CompileOptions());
  ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
  TensorData result(TensorType::f32({2, 3}));
  void *buffer = result.raw();
  ASSERT_FALSE(bool((*exe)->run({&xd, &yd}, {&result})));
  // The caller's buffer is filled in place, not replaced.
  EXPECT_EQ(result.raw(), buffer);
  std::vector<TensorData> expected = runOk(g, {&xd, &yd});
  ASSERT_EQ(expected.size(), 1u);
  Comparison c = compareTensors(result, expected[0], 0, 0);
  EXPECT_TRUE(c.allClose) << c.maxAbsError;

  // Running again gives the same answer: nothing is left over from run 1.
  TensorData again(TensorType::f32({2, 3}));
  ASSERT_FALSE(bool((*exe)->run({&xd, &yd}, {&again})));
  EXPECT_TRUE(compareTensors(again, expected[0], 0, 0).allClose);
}

TEST(ReferenceGraph, CompileRejectsAnUnverifiedGraph) {
  Graph g;
  TensorId x = g.addInput("x", TensorType::f32({2}));
  TensorId y = g.addTensor("y", TensorType::f32({3}));
  Node node;
  node.op = OpKind::Neg;
  node.inputs = {x};
  node.outputs = {y};
  g.addNodeUnchecked(node);
  g.addOutput(y);
  llvm::Expected<std::unique_ptr<Executable>> exe =
      createReferenceBackend()->compile(g, CompileOptions());
  ASSERT_FALSE(bool(exe));
  EXPECT_FALSE(firstMessage(exe.takeError()).empty());
}

TEST(ReferenceGraph, InterpretChecksItsInputs) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({2}));
  b.output(b.neg(x));
  TensorData wrong(TensorType::f32({3}));
  EXPECT_EQ(runError(g, {}), "expected 1 input, got 0");
  EXPECT_EQ(runError(g, {&wrong}),
            "input 0 ('x') has type f32[3], expected f32[2]");
}

} // namespace
