// T5-style relative biases in the cpu flash kernel against the reference:
// bidirectional and causal buckets, offsets in the difference, decode
// (fewer queries than keys), query and key counts off the row and key
// tiles, several work items per head (threads), every vector width; and
// epilogues that read i or j outside a difference, which the kernel
// evaluates lane by lane. Tolerances as CpuBackendTest: f32 sums of <= 32
// terms 1e-4, f64 1e-12.
#include "CpuTestUtil.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace einsum;
using namespace einsum::testing;

namespace {

Epilogue parseOk(const std::string &text) {
  llvm::Expected<Epilogue> e = parseEpilogue(text);
  if (!e) {
    ADD_FAILURE() << firstMessage(e.takeError());
    return Epilogue::acc();
  }
  return std::move(*e);
}

struct Shape {
  int64_t batch, heads, kvHeads, sq, sk;
};

/// attention(q, k, v, $0 = table [32, heads], $1 = weights [sk]).
Graph attention(const Shape &s, const std::string &epilogue,
                DType dt = DType::F32) {
  Graph g;
  Builder b(g);
  TensorId q = b.input("q", TensorType(dt, {s.batch, s.heads, s.sq, 16}));
  TensorId k = b.input("k", TensorType(dt, {s.batch, s.kvHeads, s.sk, 16}));
  TensorId v = b.input("v", TensorType(dt, {s.batch, s.kvHeads, s.sk, 9}));
  TensorId table = b.input("table", TensorType(dt, {32, s.heads}));
  TensorId w = b.input("w", TensorType(dt, {s.sk}));
  b.output(b.op(OpKind::Attention, {q, k, v, table, w},
                {{"score_epilogue", Attribute::ofEpilogue(parseOk(epilogue))}},
                "o"));
  EXPECT_FALSE(bool(b.takeError())) << epilogue;
  return g;
}

/// The epilogues over a shape; `diagonal` is sk - sq, the causal offset.
std::vector<std::string> epilogues(int64_t diagonal) {
  const std::string bias = "$0[rel_bucket(j - i, 32, 128, 1), h]";
  std::string causal = "select(j <= i + " + std::to_string(diagonal);
  return {
      "acc * 0.25 + " + bias,
      causal + ", acc * 0.25 + $0[rel_bucket(j - i, 32, 128, 0), h], -inf)",
      "acc * 0.25 + $0[rel_bucket(i + 3 - j, 16, 64, 1), h]",
      causal + ", acc + $0[rel_bucket(j - (i + 5), 16, 20, 0), h], -inf)",
      "acc * 0.25 + " + bias + " * exp(-abs(j - i) * 0.05)",
      "select(rel_bucket(j - i, 32, 128, 1) > 20, acc, acc * 0.5 + " + bias +
          ")",
      "acc * (i + 1) * 0.1 + " + bias,
      // i and j outside a difference: lane by lane.
      "acc * 0.25 + $0[rel_bucket(j + j - i, 32, 128, 1), h]",
      "acc * 0.25 + " + bias + " + $1[j]",
  };
}

void expectMatches(const Graph &g, double tol) {
  std::vector<TensorData> in = randomInputs(g, 17, -2, 2);
  for (unsigned threads : {1u, 3u}) {
    SCOPED_TRACE(threads);
    CompileOptions options;
    options.threads = threads;
    expectCpuMatches(g, in, tol, tol, nullptr, options);
  }
  for (const char *bits : {"256", "128"}) {
    SCOPED_TRACE(bits);
    setenv("EG_CPU_VECTOR_BITS", bits, 1);
    expectCpuMatches(g, in, tol, tol);
    unsetenv("EG_CPU_VECTOR_BITS");
  }
}

TEST(CpuRelativeBias, MatchesTheReference) {
  for (Shape s : {Shape{1, 4, 4, 12, 12}, Shape{2, 3, 3, 3, 19},
                  Shape{1, 2, 1, 77, 300}, Shape{2, 2, 2, 140, 140},
                  Shape{1, 4, 2, 1, 77}, Shape{1, 2, 2, 200, 130}}) {
    for (const std::string &e : epilogues(s.sk - s.sq)) {
      SCOPED_TRACE(e + " sq=" + std::to_string(s.sq) +
                   " sk=" + std::to_string(s.sk));
      expectMatches(attention(s, e), 1e-4);
    }
  }
}

TEST(CpuRelativeBias, F64) {
  Graph g = attention(Shape{1, 2, 2, 33, 45},
                      "acc * 0.25 + $0[rel_bucket(j - i, 32, 128, 1), h]",
                      DType::F64);
  expectCpuMatches(g, randomInputs(g, 18, -2, 2), 1e-12, 1e-12);
}

} // namespace
