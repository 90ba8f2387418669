//===- alibi_attention.cpp - Building and running ALiBi attention ---------===//
//
// Builds symmetric ALiBi attention with the C++ API,
//   out = softmax(q k^T / sqrt(d) - m_h |i - j|) v,
// prints and verifies the graph, runs it on the reference backend, and
// checks the result against a direct loop implementation written here.
// 12 heads: not a power of two, so the slopes follow the paper's recipe for
// that case (printed below).
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "ir/AlibiSlopes.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <vector>

using namespace einsum;

constexpr int64_t B = 1, H = 12, S = 48, D = 32;

/// The attention the graph describes, as plain loops.
static std::vector<double> directAttention(const TensorData &q,
                                           const TensorData &k,
                                           const TensorData &v) {
  std::vector<double> slopes = computeAlibiSlopes(H, 8.0, SlopeRecipe::Paper);
  std::vector<double> out(B * H * S * D, 0.0), row(S);
  for (int64_t bh = 0; bh < B * H; ++bh) {
    double m = slopes[bh % H];
    for (int64_t i = 0; i < S; ++i) {
      double mx = -INFINITY;
      for (int64_t j = 0; j < S; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < D; ++d)
          dot += double(q.data<float>()[(bh * S + i) * D + d]) *
                 k.data<float>()[(bh * S + j) * D + d];
        row[j] = dot / std::sqrt(double(D)) - m * std::abs(double(i - j));
        mx = std::max(mx, row[j]);
      }
      double total = 0;
      for (int64_t j = 0; j < S; ++j)
        total += row[j] = std::exp(row[j] - mx);
      for (int64_t j = 0; j < S; ++j)
        for (int64_t d = 0; d < D; ++d)
          out[(bh * S + i) * D + d] +=
              row[j] / total * v.data<float>()[(bh * S + j) * D + d];
    }
  }
  return out;
}

static TensorData filled(const TensorType &type, unsigned salt) {
  TensorData t(type);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, std::sin(0.37 * double(i) + salt));
  return t;
}

int main() {
  Graph g("alibi_attention");
  Builder b(g);
  TensorType qkv = TensorType::f32({B, H, S, D});
  TensorId q = b.input("q", qkv), k = b.input("k", qkv), v = b.input("v", qkv);
  TensorId scores = b.einsum("bhid,bhjd->bhij", {q, k}, "scores");
  TensorId scaled = b.mul(scores, b.scalar(1.0 / std::sqrt(double(D)), DType::F32, "scale"));
  TensorId slopes = b.alibiSlopes(H, DType::F32, SlopeRecipe::Paper, 8.0, 0,
                                  0, "slopes");
  TensorId dist = b.distance(TensorType::f32({S, S}), "symmetric", 0, "dist");
  TensorId bias = b.mul(b.expandDims(slopes, {1, 2}), dist, "bias");
  TensorId logits = b.sub(scaled, bias, "logits");
  TensorId probs = b.softmax(logits, -1, "probs");
  b.output(b.einsum("bhij,bhjd->bhid", {probs, v}), "out");
  if (llvm::Error err = b.takeError()) {
    printErrors(std::move(err), llvm::errs());
    return 1;
  }
  if (llvm::Error err = verify(g)) {
    printErrors(std::move(err), llvm::errs());
    return 1;
  }
  printGraph(g, llvm::outs());

  std::vector<double> m = computeAlibiSlopes(H, 8.0, SlopeRecipe::Paper);
  llvm::outs() << "\nslopes (paper recipe, " << H << " heads):";
  for (double s : m)
    llvm::outs() << ' ' << llvm::format("%.6g", s);
  llvm::outs() << "\n";

  registerBuiltinBackends();
  auto backend = createBackend("reference");
  if (!backend) {
    printErrors(backend.takeError(), llvm::errs());
    return 1;
  }
  auto exe = (*backend)->compile(g, {});
  if (!exe) {
    printErrors(exe.takeError(), llvm::errs());
    return 1;
  }
  TensorData qd = filled(qkv, 1), kd = filled(qkv, 2), vd = filled(qkv, 3);
  TensorData out(qkv);
  if (llvm::Error err = (*exe)->run({&qd, &kd, &vd}, {&out})) {
    printErrors(std::move(err), llvm::errs());
    return 1;
  }

  std::vector<double> expected = directAttention(qd, kd, vd);
  double maxErr = 0;
  for (int64_t i = 0; i < out.numElements(); ++i)
    maxErr = std::max(maxErr, std::abs(out.get(i) - expected[i]));
  // f32 storage of each intermediate: errors of a few ulps of O(1) values.
  const double tolerance = 1e-5;
  llvm::outs() << "reference backend vs direct loops: max |error| = "
               << llvm::format("%.3g", maxErr) << " (tolerance "
               << llvm::format("%.0e", tolerance) << ") over "
               << out.numElements() << " outputs: "
               << (maxErr <= tolerance ? "ok" : "MISMATCH") << "\n";
  return maxErr <= tolerance ? 0 : 1;
}
