//===- GemmBench.cpp - Matrix product benchmark rows ----------------------===//
//
//   gemm/ours/N:2048        "ij,jk->ik" compiled by the cpu backend
//   gemm/ours_avx2/N:2048   the same shaped for AVX2 (the host's CPU without
//                           AVX-512, --mattr=-avx512f), on AVX-512 hosts
//   gemm/openblas, gemm/onednn   cblas_sgemm and dnnl_sgemm, row-major
//
// GFLOP/s = 2 N^3 per run; peak_frac its share of the measured FMA peak
// (the AVX2 peak for ours_avx2). Each row first checks 256 entries of its
// result against sums in double of the same operands.
//
//===----------------------------------------------------------------------===//
#include "bench/GemmBench.h"
#include "bench/SgemmAttention.h"

#include "ir/Builder.h"
#include "ir/Diagnostic.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <random>

namespace einsum::bench {

namespace {

constexpr int64_t kSize = 2048;

struct Context {
  SuiteContext suite;
  double (*avx2Peak)() = nullptr;
};

Context &context() {
  static Context c;
  return c;
}

struct Operands {
  TensorData a, b;
};

const Operands &operands() {
  static const Operands ops = [] {
    Operands o{TensorData(TensorType::f32({kSize, kSize})),
               TensorData(TensorType::f32({kSize, kSize}))};
    std::mt19937 rng(20241207);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (TensorData *t : {&o.a, &o.b})
      std::generate_n(t->data<float>(), t->numElements(),
                      [&] { return uniform(rng); });
    return o;
  }();
  return ops;
}

/// 256 entries of `c` against sums in double; the largest relative error
/// (over the sum of |terms|), or an error past 1e-5 of it.
llvm::Expected<double> check(const float *c) {
  const float *a = operands().a.data<float>(), *b = operands().b.data<float>();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> pick(0, kSize - 1);
  double worst = 0;
  for (int s = 0; s < 256; ++s) {
    int64_t i = pick(rng), j = pick(rng);
    double sum = 0, magnitude = 0;
    for (int64_t k = 0; k < kSize; ++k) {
      double term = double(a[i * kSize + k]) * double(b[k * kSize + j]);
      sum += term;
      magnitude += std::fabs(term);
    }
    double error = std::fabs(double(c[i * kSize + j]) - sum) / magnitude;
    worst = std::max(worst, error);
    if (error > 1e-5)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          fmt::format("c[{}, {}] = {}, expected {} (error {:.3g} of the sum "
                      "of |terms|)",
                      i, j, c[i * kSize + j], sum, error));
  }
  return worst;
}

void report(benchmark::State &state, double peak, double error) {
  double flops = 2.0 * double(kSize) * double(kSize) * double(kSize);
  using benchmark::Counter;
  state.counters["GFLOP/s"] =
      Counter(flops * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] =
      Counter(flops / peak, Counter::kIsIterationInvariantRate);
  state.counters["N"] = double(kSize);
  state.counters["threads"] = context().suite.compile.threads;
  state.counters["check_max_rel_error"] = error;
}

void benchOurs(benchmark::State &state, bool avx2) {
  Graph g("gemm");
  Builder b(g);
  TensorType type = TensorType::f32({kSize, kSize});
  TensorId x = b.input("a", type), w = b.input("b", type);
  b.output(b.einsum("ij,jk->ik", {x, w}, "c"));
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend("cpu");
  if (llvm::Error err = b.takeError())
    return state.SkipWithError(firstMessage(std::move(err)).c_str());
  if (!backend)
    return state.SkipWithError(firstMessage(backend.takeError()).c_str());
  CompileOptions options = context().suite.compile;
  if (avx2)
    options.target.features = "-avx512f";
  auto exe = (*backend)->compile(g, options);
  if (!exe)
    return state.SkipWithError(firstMessage(exe.takeError()).c_str());
  TensorData c(type);
  auto run = [&] { return (*exe)->run({&operands().a, &operands().b}, {&c}); };
  if (llvm::Error err = run())
    return state.SkipWithError(firstMessage(std::move(err)).c_str());
  llvm::Expected<double> error = check(c.data<float>());
  if (!error)
    return state.SkipWithError(firstMessage(error.takeError()).c_str());
  for (auto _ : state)
    if (llvm::Error err = run()) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      return;
    }
  report(state, avx2 ? context().avx2Peak() : context().suite.peakFlops(),
         *error);
  state.SetLabel((*exe)->describe());
}

void benchLibrary(benchmark::State &state, GemmLibrary lib) {
  TensorData c(TensorType::f32({kSize, kSize}));
  auto run = [&] {
    return librarySgemm(
        lib, false, kSize, kSize, kSize, 1.0f, operands().a.data<float>(),
        kSize, operands().b.data<float>(), kSize, c.data<float>(), kSize);
  };
  if (!run())
    return state.SkipWithError("the library's sgemm failed");
  llvm::Expected<double> error = check(c.data<float>());
  if (!error)
    return state.SkipWithError(firstMessage(error.takeError()).c_str());
  for (auto _ : state)
    run();
  report(state, context().suite.peakFlops(), *error);
  state.SetLabel(libraryVersion(lib));
}

} // namespace

void registerGemmBenchmarks(const SuiteContext &suite, double (*avx2Peak)()) {
  context() = {suite, avx2Peak};
  auto configure = [](benchmark::internal::Benchmark *b) {
    b->ArgName("N")->Arg(kSize)->UseRealTime()->MinTime(0.5)->Unit(
        benchmark::kMillisecond);
  };
  configure(benchmark::RegisterBenchmark("gemm/ours", benchOurs, false));
  if (avx2Peak)
    configure(benchmark::RegisterBenchmark("gemm/ours_avx2", benchOurs, true));
  for (auto [name, lib] : {std::pair{"gemm/openblas", GemmLibrary::OpenBlas},
                           std::pair{"gemm/onednn", GemmLibrary::OneDnn}})
    if (isAvailable(lib))
      configure(benchmark::RegisterBenchmark(name, benchLibrary, lib));
}

} // namespace einsum::bench
