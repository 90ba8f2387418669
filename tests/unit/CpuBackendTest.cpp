// The cpu backend against the reference, op by op, on odd shapes. f32
// tolerances follow from the cpu backend accumulating in f32 where the
// reference accumulates in double: elementwise 1e-6 relative (one rounding
// of libm results), sums of <= 128 terms of O(1) values 1e-4; f64 1e-12.
#include "CpuTestUtil.h"
#include "ir/Builder.h"

#ifdef EG_HAVE_CPU_BACKEND
#include "backends/cpu/RankReduction.h"
#endif

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>

using namespace einsum;
using namespace einsum::testing;

namespace {

using Attrs = std::vector<NamedAttribute>;
NamedAttribute str(const char *n, std::string v) {
  return {n, Attribute::ofString(std::move(v))};
}

Epilogue parseOk(const std::string &text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (!e) {
    ADD_FAILURE() << firstMessage(e.takeError());
    return Epilogue::acc();
  }
  return std::move(*e);
}

TensorType f32(std::vector<int64_t> s) { return TensorType::f32(std::move(s)); }

TEST(CpuBackend, IsRegistered) {
  if (!cpuBackend())
    GTEST_SKIP() << "cpu backend not built";
  std::vector<std::string> names = registeredBackends();
  EXPECT_NE(std::find(names.begin(), names.end(), "cpu"), names.end());
}

class CpuUnary : public ::testing::TestWithParam<OpKind> {};

TEST_P(CpuUnary, MatchesReference) {
  for (DType dt : {DType::F32, DType::F64}) {
    Graph g;
    Builder b(g);
    TensorId x = b.input("x", TensorType(dt, {7, 13}));
    b.output(b.unary(GetParam(), x, "y"));
    ASSERT_FALSE(bool(b.takeError()));
    // Positive inputs keep log, sqrt and rsqrt real.
    double tol = dt == DType::F32 ? 2e-6 : 1e-12;
    expectCpuMatches(g, randomInputs(g, 1, 0.05, 3), tol, tol);
    expectCpuMatches(g, randomInputs(g, 2, -3, 3), tol, tol);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, CpuUnary,
    ::testing::Values(OpKind::Neg, OpKind::Abs, OpKind::Exp, OpKind::Log,
                      OpKind::Sqrt, OpKind::Rsqrt, OpKind::Recip, OpKind::Tanh,
                      OpKind::Sigmoid, OpKind::Relu, OpKind::Gelu,
                      OpKind::Square, OpKind::Sin, OpKind::Cos),
    [](const auto &info) { return opInfo(info.param).name.str(); });

class CpuBinary : public ::testing::TestWithParam<OpKind> {};

TEST_P(CpuBinary, MatchesReferenceWithBroadcasting) {
  for (DType dt : {DType::F32, DType::F64}) {
    Graph g;
    Builder b(g);
    TensorId x = b.input("x", TensorType(dt, {3, 1, 13}));
    TensorId y = b.input("y", TensorType(dt, {7, 1}));
    TensorId z = b.input("z", TensorType(dt, {3, 7, 13}));
    b.output(b.binary(GetParam(), x, y, "xy"));
    b.output(b.binary(GetParam(), z, x, "zx"));
    ASSERT_FALSE(bool(b.takeError()));
    double tol = dt == DType::F32 ? 2e-6 : 1e-12;
    expectCpuMatches(g, randomInputs(g, 3, 0.1, 2), tol, tol);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ops, CpuBinary,
    ::testing::Values(OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div,
                      OpKind::Max, OpKind::Min, OpKind::Pow),
    [](const auto &info) { return opInfo(info.param).name.str(); });

struct EinsumCase {
  const char *name, *spec;
  std::vector<std::vector<int64_t>> shapes;
};

class CpuEinsum : public ::testing::TestWithParam<EinsumCase> {};

TEST_P(CpuEinsum, MatchesReference) {
  for (DType dt : {DType::F32, DType::F64}) {
    Graph g;
    Builder b(g);
    std::vector<TensorId> ins;
    for (size_t k = 0; k < GetParam().shapes.size(); ++k)
      ins.push_back(b.input("x" + std::to_string(k),
                            TensorType(dt, GetParam().shapes[k])));
    b.output(b.einsum(GetParam().spec, ins, "y"));
    ASSERT_FALSE(bool(b.takeError()));
    double tol = dt == DType::F32 ? 1e-4 : 1e-12;
    expectCpuMatches(g, randomInputs(g, 4), tol, tol);
    // The register tiles shaped for AVX2 and 128-bit machines.
    for (const char *bits : {"256", "128"}) {
      SCOPED_TRACE(bits);
      setenv("EG_CPU_VECTOR_BITS", bits, 1);
      expectCpuMatches(g, randomInputs(g, 4), tol, tol);
      unsetenv("EG_CPU_VECTOR_BITS");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Specs, CpuEinsum,
    ::testing::Values(
        EinsumCase{"matmul", "ij,jk->ik", {{7, 13}, {13, 77}}},
        EinsumCase{"scores", "bhid,bhjd->bhij", {{2, 3, 13, 7}, {2, 3, 77, 7}}},
        EinsumCase{
            "weighted", "bhij,bhjd->bhid", {{1, 2, 7, 128}, {1, 2, 128, 5}}},
        // Register-tiled: several row blocks and column tiles, a partial
        // last tile, batch labels of one side only, a transposed left side.
        EinsumCase{"matmul_long", "ij,jk->ik", {{77, 200}, {200, 333}}},
        EinsumCase{"batch_right", "ik,bkj->bij", {{9, 70}, {3, 70, 45}}},
        EinsumCase{"transposed_left", "ji,jk->ik", {{33, 17}, {33, 40}}},
        EinsumCase{"scores_long",
                   "bhid,bhjd->bhij",
                   {{1, 2, 100, 64}, {1, 2, 150, 64}}},
        // A decode step's projections: one row, the columns split across
        // work items and the right side read in place (up to a tail of 1
        // lane), and a few rows packing only their items' tiles.
        EinsumCase{"one_row", "bsD,DF->bsF", {{1, 1, 70}, {70, 333}}},
        EinsumCase{"one_row_tail", "ij,jk->ik", {{1, 300}, {300, 129}}},
        EinsumCase{"few_rows", "ij,jk->ik", {{5, 33}, {33, 1000}}},
        // Depth in blocks (700: three of 234, the last tile's partial sums
        // carried in the output), with each side's k not contiguous (a
        // scalar pack), and columns in several panels per row chunk.
        EinsumCase{"deep", "ij,jk->ik", {{13, 700}, {700, 45}}},
        EinsumCase{"deep_right_rows", "ik,jk->ij", {{9, 600}, {70, 600}}},
        EinsumCase{"deep_left_columns", "ki,kj->ij", {{600, 17}, {600, 40}}},
        EinsumCase{"wide_panels", "ij,jk->ik", {{20, 300}, {300, 1500}}},
        EinsumCase{"deep_one_row", "ij,jk->ik", {{1, 900}, {900, 77}}},
        EinsumCase{"three", "ij,jk,k->i", {{7, 13}, {13, 5}, {5}}},
        EinsumCase{"diagonal", "ii->i", {{13, 13}}},
        EinsumCase{"total", "ij->", {{7, 13}}},
        EinsumCase{"outer", "i,j->ji", {{7}, {1}}},
        // In vectors along the last output label (rotary's form): a masked
        // tail, whole vectors and a tail, one lane, a term broadcast along
        // it, no other output label; and a row sum whose output label is
        // not contiguous (kept in scalar loops).
        EinsumCase{
            "rotation", "bhsfe,scfe->bhsce", {{1, 3, 5, 2, 9}, {5, 2, 2, 9}}},
        EinsumCase{"rotation_wide",
                   "bhsfe,scfe->bhsce",
                   {{1, 2, 7, 2, 37}, {7, 2, 2, 37}}},
        EinsumCase{"last_one", "sfe,cfe->sce", {{3, 2, 1}, {2, 2, 1}}},
        EinsumCase{"broadcast_row", "se,s->se", {{6, 40}, {6}}},
        EinsumCase{"only_vector", "e,e->e", {{45}, {45}}},
        EinsumCase{"row_sum", "ij->i", {{7, 13}}},
        EinsumCase{"broadcast_sum", "ik,k->i", {{11, 6}, {6}}},
        EinsumCase{"scalar", ",->", {{}, {}}}),
    [](const auto &info) { return std::string(info.param.name); });

Graph contraction(const std::string &epilogue, int64_t sq, int64_t sk,
                  bool withBuckets = false) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", f32({2, 3, sq, 8}));
  TensorId k = b.input("k", f32({2, 3, sk, 8}));
  TensorId m = b.input("m", f32({3}));
  std::vector<TensorId> ins = {q, k, m};
  if (withBuckets)
    ins.push_back(b.input("rel", f32({32, 3})));
  b.output(b.op(OpKind::Contraction, ins,
                {str("spec", "bhid,bhjd->bhij"),
                 {"epilogue", Attribute::ofEpilogue(parseOk(epilogue))}},
                "s"));
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

// One compile of a product over sizes known only at run time: the depth
// blocks (fixed, with a short last one), the column parts and the row
// chunks are worked out when it runs. Against the reference at each size.
TEST(CpuEinsum, SymbolicProductAtEverySize) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  Graph g;
  Builder b(g);
  int64_t m = symbolSize("m"), k = symbolSize("k"), n = symbolSize("n");
  TensorId x = b.input("x", TensorType::f32({m, k}));
  TensorId w = b.input("w", TensorType::f32({k, n}));
  b.output(b.einsum("ij,jk->ik", {x, w}, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
  ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
  std::unique_ptr<Backend> ref = createReferenceBackend();
  llvm::Expected<std::unique_ptr<Executable>> oracle = ref->compile(g, {});
  ASSERT_TRUE(bool(oracle));
  struct Sizes {
    int64_t m, k, n;
  };
  unsigned seed = 0;
  for (Sizes s : {Sizes{1, 5, 3}, Sizes{7, 700, 45}, Sizes{20, 300, 1500},
                  Sizes{3, 1, 1}, Sizes{13, 257, 64}, Sizes{1, 1000, 300}}) {
    SCOPED_TRACE(fmt::format("m={} k={} n={}", s.m, s.k, s.n));
    std::vector<TensorData> in;
    for (auto shape :
         {std::vector<int64_t>{s.m, s.k}, std::vector<int64_t>{s.k, s.n}}) {
      TensorData t(TensorType::f32(shape));
      std::mt19937 gen(++seed);
      std::uniform_real_distribution<double> dist(-1, 1);
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.set(i, dist(gen));
      in.push_back(std::move(t));
    }
    std::vector<TensorData> actual = runExecutable(**exe, in);
    std::vector<TensorData> expected = runExecutable(**oracle, in);
    ASSERT_EQ(actual.size(), 1u);
    ASSERT_EQ(expected.size(), 1u);
    // Sums of up to 1000 products of O(1) terms in f32.
    Comparison c = compareTensors(actual[0], expected[0], 1e-4, 1e-4);
    EXPECT_TRUE(c.allClose)
        << "max |error| " << c.maxAbsError << " at " << c.worstIndex;
  }
}

TEST(CpuContraction, Epilogues) {
  for (int64_t s : {1, 7, 13, 77}) {
    SCOPED_TRACE(s);
    expectCpuMatches(contraction("acc", s, s),
                     randomInputs(contraction("acc", s, s), 5), 1e-4, 1e-4);
    for (const char *e :
         {"acc * 0.125 - $0[h] * abs(i - j)",
          "select(j <= i, acc * 0.125 - $0[h] * (i - j), -inf)",
          "max(acc, 0) + exp($0[h]) - log(sqrt(abs(acc) + 1)) / (b + 1)",
          "select(acc > 0, acc, min(acc, -$0[h]))"}) {
      SCOPED_TRACE(e);
      Graph g = contraction(e, s, s);
      expectCpuMatches(g, randomInputs(g, 6), 1e-4, 1e-4);
    }
    Graph g = contraction("acc * 0.125 + $1[rel_bucket(j - i, 32, 128, 1), h]",
                          s, s + 3, true);
    expectCpuMatches(g, randomInputs(g, 7), 1e-4, 1e-4);
  }
}

Graph attention(int64_t heads, int64_t kvHeads, int64_t sq, int64_t sk,
                const std::string &epilogue, DType dt = DType::F32) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType(dt, {2, heads, sq, 16}));
  TensorId k = b.input("k", TensorType(dt, {2, kvHeads, sk, 16}));
  TensorId v = b.input("v", TensorType(dt, {2, kvHeads, sk, 9}));
  TensorId m = b.input("m", TensorType(dt, {heads}));
  b.output(b.op(OpKind::Attention, {q, k, v, m},
                {{"score_epilogue", Attribute::ofEpilogue(parseOk(epilogue))}},
                "o"));
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

TEST(CpuAttention, ShapesAndEpilogues) {
  struct Shape {
    int64_t heads, kvHeads, sq, sk;
  };
  for (Shape s :
       {Shape{1, 1, 1, 1}, Shape{3, 3, 7, 7}, Shape{4, 2, 13, 13},
        Shape{4, 1, 77, 77}, Shape{6, 2, 1, 77}, Shape{2, 2, 3, 13}}) {
    for (const char *e :
         {"acc * 0.25", "acc * 0.25 - $0[h] * abs(i - j)", "select(j <= i + ",
          "select(j <= i, acc * 0.25 - $0[h] * (i - j), -inf)"}) {
      std::string text = e;
      if (text == "select(j <= i + ")
        text += std::to_string(s.sk - s.sq) + ", acc * 0.25, -inf)";
      SCOPED_TRACE(text + " sq=" + std::to_string(s.sq));
      Graph g = attention(s.heads, s.kvHeads, s.sq, s.sk, text);
      expectCpuMatches(g, randomInputs(g, 8, -2, 2), 1e-4, 1e-4);
    }
  }
  Graph g =
      attention(4, 2, 13, 13, "acc * 0.25 - $0[h] * abs(i - j)", DType::F64);
  expectCpuMatches(g, randomInputs(g, 9), 1e-12, 1e-12);
}

// ALiBi's causal form masks the future only if the slopes are positive
// (-m * inf is -inf for m > 0). With the slopes an input rather than the
// generator, the flash kernel checks them when it runs and skips the tiles
// beyond the diagonal when they are.
TEST(CpuAttention, CausalSlopesFromAnInput) {
  const char *causal = "acc * 0.25 - $0[h] * select(j <= i, i - j, inf)";
  for (int64_t s : {5, 77, 200}) {
    SCOPED_TRACE(s);
    Graph g = attention(4, 2, s, s, causal);
    expectCpuMatches(g, randomInputs(g, 12, 0.125, 1), 1e-4, 1e-4);
  }
}

// With kv heads < heads, a work item runs several query heads of one kv
// group over one K^T pack: the whole group (16/4, 4/2 at batch 2), or part
// of it where that would leave the threads too few items (multi-query, a
// one-row decode). Per-head slopes catch an item computing with the wrong
// head; row counts not a multiple of the register tile (13, 77), one query
// and a decode offset (Sq < Sk), causal masks the kernel skips by diagonal
// (including slopes from an input, checked when it runs), at 1 and 2
// threads. f32 against the reference in double: 1e-4 on O(1) outputs.
TEST(CpuAttention, QueryHeadsShareAKeyPack) {
  struct Shape {
    int64_t heads, kvHeads, sq, sk;
  };
  for (unsigned threads : {1u, 2u}) {
    CompileOptions options;
    options.threads = threads;
    for (Shape s :
         {Shape{4, 2, 13, 13}, Shape{8, 2, 77, 77}, Shape{16, 4, 13, 40},
          Shape{8, 8, 1, 33}, Shape{16, 4, 1, 77}, Shape{8, 1, 13, 13},
          Shape{16, 1, 1, 77}, Shape{4, 1, 5, 40}}) {
      std::string off = std::to_string(s.sk - s.sq);
      for (std::string e :
           {std::string("acc * 0.25 - $0[h] * abs(i + ") + off + " - j)",
            "select(j <= i + " + off + ", acc * 0.25 - $0[h] * (i + " + off +
                " - j), -inf)",
            "acc * 0.25 - $0[h] * select(j <= i + " + off + ", i + " + off +
                " - j, inf)"}) {
        SCOPED_TRACE(e + " heads=" + std::to_string(s.heads) + "/" +
                     std::to_string(s.kvHeads) + " sq=" + std::to_string(s.sq) +
                     " sk=" + std::to_string(s.sk) +
                     " threads=" + std::to_string(threads));
        Graph g = attention(s.heads, s.kvHeads, s.sq, s.sk, e);
        expectCpuMatches(g, randomInputs(g, 13, 0.125, 1), 1e-4, 1e-4, nullptr,
                         options);
      }
    }
  }
}

TEST(CpuReduce, KindsAxesKeepDims) {
  for (const char *kind : {"sum", "max", "min", "mean"})
    for (bool keep : {false, true})
      for (std::vector<int64_t> axes :
           {std::vector<int64_t>{1}, {0, 2}, {-1}, {0, 1, 2}}) {
        Graph g;
        Builder b(g);
        TensorId x = b.input("x", f32({7, 13, 5}));
        b.output(b.reduce(kind, x, axes, keep, "y"));
        ASSERT_FALSE(bool(b.takeError()));
        expectCpuMatches(g, randomInputs(g, 10), 1e-5, 1e-5);
      }
}

// The vector forms (ReduceVectors.cpp, RowVectors.h) at sizes that split
// rows and row parts across threads and leave vector tails: the last axis
// alone, kept last axes over one or two reduced axes, and a pattern left
// to linalg (the last axis and another); NaN wins max and min. f32 and f64,
// 1 and 3 threads.
TEST(CpuReduce, VectorFormsAcrossThreads) {
  struct Case {
    std::vector<int64_t> shape, axes;
    bool keep;
  };
  for (DType dt : {DType::F32, DType::F64})
    for (const Case &c :
         {Case{{301, 37, 129}, {2}, false}, Case{{301, 37, 129}, {1}, true},
          Case{{301, 37, 129}, {0}, false},
          Case{{5, 301, 3, 129}, {0, 2}, false}, Case{{3, 40000}, {0}, true},
          Case{{40000, 3}, {1}, false}, Case{{17, 300, 11}, {0, 2}, true}})
      for (const char *kind : {"sum", "max", "mean"})
        for (unsigned threads : {1u, 3u}) {
          SCOPED_TRACE(fmt::format("{} {} axes {} threads {}", kind,
                                   shapeStr(c.shape), shapeStr(c.axes),
                                   threads));
          Graph g;
          Builder b(g);
          TensorId x = b.input("x", TensorType(dt, c.shape));
          b.output(b.reduce(kind, x, c.axes, c.keep, "y"));
          ASSERT_FALSE(bool(b.takeError()));
          std::vector<TensorData> in = randomInputs(g, 21);
          // A NaN in the middle of one reduced run.
          in[0].set(in[0].numElements() / 2 + 1, std::nan(""));
          CompileOptions options;
          options.threads = threads;
          double tol = dt == DType::F32 ? 2e-4 : 1e-11;
          expectCpuMatches(g, in, tol, tol, nullptr, options);
        }
}

TEST(CpuElementwise, BroadcastsInVectorsAcrossThreads) {
  struct Case {
    std::vector<int64_t> a, b;
  };
  for (const Case &c : {Case{{33, 1, 129}, {7, 1}}, Case{{70001}, {1}},
                        Case{{5, 1}, {1, 20000}}, Case{{}, {300, 17}},
                        Case{{2, 3, 40, 77}, {77}}})
    for (unsigned threads : {1u, 3u}) {
      SCOPED_TRACE(shapeStr(c.a) + " " + shapeStr(c.b));
      Graph g;
      Builder b(g);
      TensorId x = b.input("x", f32(c.a)), y = b.input("y", f32(c.b));
      b.output(b.exp(b.sub(x, y)), "e");
      b.output(b.div(y, b.add(x, x)), "d");
      ASSERT_FALSE(bool(b.takeError()));
      CompileOptions options;
      options.threads = threads;
      expectCpuMatches(g, randomInputs(g, 22, 0.5, 2), 1e-5, 1e-6, nullptr,
                       options);
    }
}

TEST(CpuSoftmax, AxesAndMaskedRows) {
  for (int64_t axis : {0, 1, -1}) {
    Graph g;
    Builder b(g);
    TensorId x = b.input("x", f32({7, 13, 5}));
    TensorId mask = b.causalMask(f32({13, 5}), 0, "mask");
    b.output(b.softmax(b.add(x, mask), axis, "p"));
    ASSERT_FALSE(bool(b.takeError()));
    expectCpuMatches(g, randomInputs(g, 11, -3, 3), 1e-6, 1e-6);
  }
  // Inner axes in vectors across threads, a column of -inf giving zeros.
  for (int64_t axis : {0, 1}) {
    Graph g;
    Builder b(g);
    TensorId x = b.input("x", f32({37, 300, 41}));
    TensorId mask = b.causalMask(f32({300, 41}), 0, "mask");
    b.output(b.softmax(b.add(x, mask), axis, "p"));
    ASSERT_FALSE(bool(b.takeError()));
    CompileOptions options;
    options.threads = 3;
    expectCpuMatches(g, randomInputs(g, 12, -3, 3), 1e-6, 1e-6, nullptr,
                     options);
  }
}

TEST(CpuShape, ViewsTransposeAndOutputs) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", f32({7, 13}));
  TensorId e = b.expandDims(x, {0, 2}, "e");
  TensorId r = b.reshape(e, {13, 7}, "r");
  b.output(r);
  b.output(b.transpose(b.exp(e), {3, 1, 0, 2}, "t"));
  b.output(b.transpose(x, {1, 0}, "xt"));
  b.output(x);
  b.output(b.reshape(b.neg(x), {91}, "flat"));
  ASSERT_FALSE(bool(b.takeError()));
  // exp in vectors is within a few ulp of libm's (CpuVectorMathTest.cpp).
  expectCpuMatches(g, randomInputs(g, 12), 1e-6, 0);
}

TEST(CpuShape, Gather) {
  for (int64_t axis : {0, 1, -1}) {
    Graph g;
    Builder b(g);
    TensorId table = b.input("table", TensorType(DType::F64, {7, 5, 3}));
    TensorId idx = b.input("idx", TensorType(DType::I64, {2, 3}));
    b.output(b.gather(table, idx, axis, "y"));
    ASSERT_FALSE(bool(b.takeError()));
    expectCpuMatches(g, randomInputs(g, 13, -1, 1, 3), 0, 0);
  }
}

TEST(CpuShape, GatherOutOfRangeIsTheReferenceError) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP();
  Graph g;
  Builder b(g);
  TensorId table = b.input("table", f32({4, 3}));
  TensorId idx = b.input("idx", TensorType(DType::I64, {2, 2}));
  b.output(b.gather(table, idx, 0, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  std::vector<TensorData> in = randomInputs(g, 14, -1, 1, 4);
  for (int64_t bad : {int64_t(4), int64_t(-1), int64_t(1) << 40}) {
    in[1].set(1, 0);
    in[1].set(2, double(bad));
    in[1].set(3, 99);
    std::vector<const TensorData *> ptrs = {&in[0], &in[1]};
    std::string expected = firstMessage(interpret(g, ptrs).takeError());
    llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
    ASSERT_TRUE(bool(exe));
    TensorData out(g.type(g.outputs()[0]));
    llvm::Error err = (*exe)->run(ptrs, {&out});
    ASSERT_TRUE(bool(err));
    EXPECT_EQ(firstMessage(std::move(err)), expected);
  }
}

TEST(CpuGenerators, MatchReference) {
  Graph g;
  Builder b(g);
  b.output(b.splat(0.375, f32({3, 5})));
  b.output(b.constant({1, 2, 3, 4, 5, 6}, TensorType(DType::F64, {2, 3})));
  b.output(b.constant({1, -2, 3}, TensorType(DType::I64, {3})));
  b.output(b.iota(f32({4, 7}), 1));
  b.output(b.iota(TensorType(DType::I64, {4, 7}), 0));
  b.output(b.distance(f32({7, 13}), "symmetric", 6));
  b.output(b.distance(TensorType(DType::F64, {7, 13}), "causal", 3));
  b.output(b.causalMask(f32({7, 13}), 6));
  b.output(b.alibiSlopes(12));
  b.output(b.alibiSlopes(5, DType::F64, SlopeRecipe::Seed, 4.0, 3, 16));
  for (bool bidirectional : {true, false})
    b.output(b.op(OpKind::RelativeBuckets, {},
                  {{"bidirectional", Attribute::ofBool(bidirectional)},
                   {"query_offset", Attribute::ofInt(100)}},
                  {}, TensorType(DType::I64, {77, 300})));
  ASSERT_FALSE(bool(b.takeError()));
  expectCpuMatches(g, {}, 0, 0);
}

TEST(CpuBackend, RunsTwiceWithoutRecompiling) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP();
  Graph g = attention(2, 1, 5, 9, "acc * 0.5");
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
  ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
  for (unsigned seed : {1u, 2u}) {
    std::vector<TensorData> in = randomInputs(g, seed);
    std::vector<const TensorData *> ptrs;
    for (const TensorData &t : in)
      ptrs.push_back(&t);
    TensorData out(g.type(g.outputs()[0]));
    ASSERT_FALSE(bool((*exe)->run(ptrs, {&out})));
    llvm::Expected<std::vector<TensorData>> ref = interpret(g, ptrs);
    ASSERT_TRUE(bool(ref));
    EXPECT_TRUE(compareTensors(out, (*ref)[0], 1e-5, 1e-5).allClose);
  }
}

TEST(CpuBackend, InvalidGraphIsADiagnostic) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP();
  Graph g = unverifiedEinsumGraph();
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
  ASSERT_FALSE(bool(exe));
  EXPECT_NE(firstMessage(exe.takeError()).find("'q'"), std::string::npos);
}

/// A shape of `rank` ones with `dims` at the given positions.
std::vector<int64_t> onesWith(unsigned rank,
                              std::vector<std::pair<unsigned, int64_t>> dims) {
  std::vector<int64_t> shape(rank, 1);
  for (auto [d, size] : dims)
    shape[d] = size;
  return shape;
}

#ifdef EG_HAVE_CPU_BACKEND
/// The shapes the lowering works at, as `[8] [1,16] -> [32,16]`, or
/// "declared" for a node lowered as declared.
std::string reducedShapes(const Graph &g) {
  std::optional<cpu::ReducedNode> r =
      cpu::reduceRank(g, g.producer(g.outputs()[0]));
  if (!r)
    return "declared";
  std::string s;
  for (const TensorType &t : r->inputs)
    s += shapeStr(t.shape()) + " ";
  return s + "-> " + shapeStr(r->result.shape());
}

TEST(CpuRank, UnitAndContiguousDimensionsAreMerged) {
  auto one = [](std::vector<int64_t> x, auto op) {
    Graph g;
    Builder b(g);
    b.output(op(b, b.input("x", f32(std::move(x)))));
    EXPECT_FALSE(bool(b.takeError()));
    return reducedShapes(g);
  };
  EXPECT_EQ(one({1, 1, 1, 8}, [](Builder &b, TensorId x) { return b.exp(x); }),
            "[8] -> [8]");
  EXPECT_EQ(one({4, 8, 16},
                [](Builder &b, TensorId x) {
                  return b.add(x, b.input("w", f32({16})));
                }),
            "[32,16] [1,16] -> [32,16]");
  // Neither operand has every dimension: nothing merges.
  EXPECT_EQ(one({3, 1, 13},
                [](Builder &b, TensorId x) {
                  return b.mul(x, b.input("w", f32({7, 1})));
                }),
            "[3,1,13] [1,7,1] -> [3,7,13]");
  EXPECT_EQ(one({2, 1, 3, 4, 1, 5},
                [](Builder &b, TensorId x) {
                  return b.reduce("sum", x, {2, 3}, true);
                }),
            "[2,12,5] -> [2,5]");
  EXPECT_EQ(one({1, 1, 6},
                [](Builder &b, TensorId x) {
                  return b.reduce("max", x, {0, 1, 2});
                }),
            "[6] -> [1]");
  EXPECT_EQ(one({2, 3, 4, 1, 1},
                [](Builder &b, TensorId x) { return b.softmax(x, 2); }),
            "[6,4] -> [6,4]");
  EXPECT_EQ(
      one({2, 3, 4, 5}, [](Builder &b, TensorId x) { return b.softmax(x, 1); }),
      "[2,3,20] -> [2,3,20]");
  // Input dimensions 1 and 2 stay neighbours (the unit dimension between
  // them does not count): [2,1,3,4] -> [3,4,2,1] is a [2,12] -> [12,2].
  EXPECT_EQ(one({2, 1, 3, 4},
                [](Builder &b, TensorId x) {
                  return b.transpose(x, {2, 3, 0, 1});
                }),
            "[2,12] -> [12,2]");
  EXPECT_EQ(
      one({1, 8, 1},
          [](Builder &b, TensorId x) { return b.einsum("abc->cba", {x}); }),
      "declared");
}
#endif

// Rank 40, mostly unit dimensions, through every reduced family; the
// dimensions that are not 1 sit apart so that not everything merges.
TEST(CpuRank, RankFortyMatchesTheReference) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", f32(onesWith(40, {{39, 8}})));
  TensorId bias = b.input("bias", f32({8}));
  std::vector<int64_t> zShape =
      onesWith(40, {{3, 2}, {10, 3}, {20, 4}, {39, 5}});
  TensorId z = b.input("z", f32(zShape));
  TensorId w = b.input("w", f32(onesWith(40, {{10, 3}, {20, 4}})));
  TensorId e = b.add(b.exp(x), bias, "e");
  b.output(b.softmax(e, -1, "p"));
  b.output(b.softmax(e, 5, "unit_axis"));
  b.output(b.reduce("sum", e, {39}, true, "row_sum"));
  b.output(b.reduce("max", e, {5}, false, "unit_reduced"));
  std::vector<int64_t> toFront(40);
  for (unsigned d = 0; d < 40; ++d)
    toFront[d] = (d + 39) % 40;
  b.output(b.transpose(e, toFront, "front"));
  TensorId zw = b.sub(z, w, "zw");
  b.output(b.reduce("mean", zw, {10, 39}, false, "zmean"));
  b.output(b.reduce("sum", zw, {0, 1, 2, 3, 20}, true, "zsum"));
  b.output(b.softmax(zw, 20, "zp"));
  std::vector<int64_t> reversed(40);
  for (unsigned d = 0; d < 40; ++d)
    reversed[d] = 39 - d;
  b.output(b.transpose(zw, reversed, "zt"));
  if (llvm::Error err = b.takeError())
    FAIL() << firstMessage(std::move(err));
  expectCpuMatches(g, randomInputs(g, 21, -2, 2), 1e-5, 1e-5);
}

// Intermediates of rank 1000 between views of rank 1: before unit
// dimensions were merged, each op compiled for over 80 s.
TEST(CpuRank, RankThousandIntermediatesCompileFast) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", f32({8}));
  std::vector<int64_t> shape = onesWith(1000, {{999, 8}});
  TensorId wide = b.reshape(x, shape, "wide");
  TensorId e = b.add(b.exp(wide), x, "e");
  TensorId p = b.softmax(e, 999, "p");
  std::vector<int64_t> toFront(1000);
  for (unsigned d = 0; d < 1000; ++d)
    toFront[d] = (d + 999) % 1000;
  TensorId t = b.transpose(p, toFront, "t");
  b.output(b.reshape(t, {8}, "y"));
  b.output(b.reshape(b.reduce("sum", e, {999}), {1}, "s"));
  ASSERT_FALSE(bool(b.takeError()));
  auto start = std::chrono::steady_clock::now();
  expectCpuMatches(g, randomInputs(g, 22), 1e-5, 1e-5);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_LT(seconds, 30) << "compiling and running took " << seconds << " s";
}

TEST(CpuRank, RankTenThousandIsRefusedWithItsRank) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP();
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", f32(onesWith(10000, {{9999, 8}})));
  b.output(b.exp(x, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
  ASSERT_FALSE(bool(exe));
  EXPECT_EQ(firstMessage(exe.takeError()),
            "the cpu backend lowers tensors of rank at most 64; %x has rank "
            "10000");
  // The reference runs it: nothing on the way recurses per dimension.
  std::vector<TensorData> in = randomInputs(g, 23);
  llvm::Expected<std::vector<TensorData>> ref = interpret(g, {&in[0]});
  ASSERT_TRUE(bool(ref)) << firstMessage(ref.takeError());
  EXPECT_EQ((*ref)[0].numElements(), 8);
}

// An op lowered as declared is refused at its own operand's rank, and the
// message names the node.
TEST(CpuRank, DeclaredOperandAboveTheLimitIsRefused) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP();
  Graph g;
  Builder b(g);
  TensorId i = b.iota(f32(onesWith(65, {{64, 8}})), 64, "i");
  b.output(b.reshape(i, {8}, "y"));
  ASSERT_FALSE(bool(b.takeError()));
  llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
  ASSERT_FALSE(bool(exe));
  EXPECT_EQ(firstMessage(exe.takeError()),
            "'iota' producing %i: the cpu backend lowers tensors of rank at "
            "most 64; %i has rank 65");
}

} // namespace
