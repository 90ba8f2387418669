//===- AttentionBench.cpp - ALiBi attention forward, f32 ------------------===//
//
// b = 1, h = 16, d = 64, S = 256..4096, causal and not, through the public
// API only (nn::buildAttention, the named pipelines, createBackend("cpu")),
// so that new cpu kernels are measured without touching this file:
//
//   attention/unfused    the graph as built, at -O1 (see kVariants)
//   attention/O2         bias, scale and mask fused into the score contraction
//   attention/O3         one fused attention node
//   attention/O3_nobias  the same without position encoding: ALiBi's cost
//   attention/O3_dynamic the -O3 graph over ?s, a length known only at run
//                        time: what one compile for every length costs
//   attention/openblas   sgemm + bias/softmax loops + sgemm (SgemmAttention.h)
//   attention/onednn     the same with oneDNN's sgemm
//   attention/O3_1thread, O3_avx2, O3_avx2_1thread   at S = 2048: the
//                        kernels shaped for one thread, and for AVX2 (the
//                        host's CPU without AVX-512), against the peak of
//                        their threads and instruction set
//   attention/fused-gqa  one fused causal ALiBi node with kv heads < heads
//                        (kvN: N kv heads for the 16 query heads; causal:
//                        S queries x S keys, decode: 1 query x S keys)
//   fma_peak/ISA         the machine's measured FMA throughput
//   compile/O3_alibi     -O3 passes + cpu compile (JIT) at S = 2048, with
//                        the kernel shapes cached; .._first_use measuring
//                        them as on a new machine
//   gemm/...             a 2048^3 f32 product, ours and the libraries'
//                        (GemmBench.cpp)
//   decode/..., block/...  a decode step over a long cache and a decoder
//                        block (ModelBench.cpp), against the STREAM triad
//                        bandwidth measured at start-up (StreamTriad.h)
//   memory/VARIANT       peak resident memory of one compile + run at S = 8192,
//                        each in a fresh process
//
// Counters: GFLOP/s = 4 b h Sq Sk d per run (halved when causal), peak_frac
// = its share of the all-thread FMA peak measured once at start-up; each
// cpu row's label is how the backend compiled it (target, vector shape and
// kernel shapes, measured or modeled: Executable::describe). Every
// variant is first checked against the reference backend at S = 320; a
// mismatch skips its benchmarks with the error. docs/benchmarks.md explains
// the flags and the report (scripts/bench-report.py).
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "bench/FmaPeak.h"
#include "bench/FusedGqaGraph.h"
#include "bench/GemmBench.h"
#include "bench/ModelBench.h"
#include "bench/SgemmAttention.h"
#include "bench/StreamTriad.h"
#include "ir/Builder.h"
#include "ir/Diagnostic.h"
#include "ir/Verifier.h"
#include "ir/nn/Attention.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include "llvm/Support/FileSystem.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>

extern char **environ;

using namespace einsum;
using namespace einsum::bench;

namespace {

constexpr int64_t kBatch = 1, kHeads = 16, kHeadDim = 64;
constexpr int64_t kSeqs[] = {256, 512, 1024, 2048, 4096};
/// Not a multiple of the baselines' 256-row blocks, so a partial block and
/// the causal block boundaries are checked too.
constexpr int64_t kCheckSeq = 320;
constexpr int64_t kCompileSeq = 2048;

/// Set from the command line (see `usage`) before any benchmark runs.
struct Config {
  unsigned threads = 0;
  int64_t maxSeq = 4096;
  int64_t memorySeq = 8192;
  uint64_t maxMemoryBytes = 0;
  /// In a --memory-child process: what to measure.
  std::string memoryChild;
  bool memoryChildCausal = false;
  int64_t memoryChildSeq = 0;
};

Config &config() {
  static Config c;
  return c;
}

enum class Kind { Graph, Sgemm };

struct Variant {
  const char *name;
  Kind kind;
  /// Graph variants: the -O level and whether the graph has ALiBi.
  unsigned optLevel;
  bool alibi;
  /// Sgemm variants: the library.
  GemmLibrary library;
  /// Graph variants: built over ?s, a length known only at run time, and
  /// compiled once for every length.
  bool dynamic = false;
  /// Graph variants: feature changes of the target (--mattr), for the
  /// kernels of a narrower machine than the host; the FMA peak of `isa`
  /// is then the row's peak.
  const char *features = nullptr;
  const char *isa = nullptr;
  /// Threads, if not the suite's; and rows at kCompileSeq only.
  unsigned threads = 0;
  bool oneLength = false;
  /// Graph variants: the storage type of q, k and v (the result is f32).
  DType dtype = DType::F32;
};

// The unfused variant runs -O1, not -O0: -O1 is -O2 without the fusion, so
// unfused vs O2 isolates what fusing buys. On buildAttention's graph -O1
// changes nothing (there is no constant to fold or expression to share),
// so the two levels run the same graph; -O1 is the level a user who turned
// fusion off would pick.
const Variant kVariants[] = {
    {"unfused", Kind::Graph, 1, true, {}},
    {"O2", Kind::Graph, 2, true, {}},
    {"O3", Kind::Graph, 3, true, {}},
    {"O3_nobias", Kind::Graph, 3, false, {}},
    {"O3_dynamic", Kind::Graph, 3, true, {}, true},
    {"openblas", Kind::Sgemm, 0, true, GemmLibrary::OpenBlas},
    {"onednn", Kind::Sgemm, 0, true, GemmLibrary::OneDnn},
    // The kernels shaped for one thread, and for AVX2 on an AVX-512 host
    // (its 16 registers, measured against the AVX2 FMA peak).
    {"O3_1thread", Kind::Graph, 3, true, {}, false, nullptr, nullptr, 1, true},
    {"O3_avx2", Kind::Graph, 3, true, {}, false, "-avx512f", "avx2", 0, true},
    {"O3_avx2_1thread",
     Kind::Graph,
     3,
     true,
     {},
     false,
     "-avx512f",
     "avx2",
     1,
     true},
    // 16-bit q, k and v: bf16 runs on vdpbf16ps where the host has
    // AVX512-BF16, and is then a share of that instruction's peak.
    {"O3_bf16",
     Kind::Graph,
     3,
     true,
     {},
     false,
     nullptr,
     nullptr,
     0,
     true,
     DType::BF16},
    {"O3_f16",
     Kind::Graph,
     3,
     true,
     {},
     false,
     nullptr,
     nullptr,
     0,
     true,
     DType::F16},
};

/// Whether the host runs `v` as a row of its own: an AVX2 variant needs an
/// AVX-512 host that has AVX2 too.
bool hostRuns(const Variant &v) {
  if (!v.isa)
    return true;
  bool avx512 = false, avx2 = false;
  for (const FmaKernel &k : supportedFmaKernels()) {
    avx512 |= llvm::StringRef(k.isa) == "avx512";
    avx2 |= llvm::StringRef(k.isa) == "avx2";
  }
  return avx512 && avx2;
}

const Variant &variantNamed(llvm::StringRef name) {
  for (const Variant &v : kVariants)
    if (name == v.name)
      return v;
  std::fprintf(stderr, "unknown variant '%s'\n", name.str().c_str());
  std::exit(2);
}

double attentionFlops(int64_t seq, bool causal) {
  double flops = 4.0 * kBatch * kHeads * double(seq) * double(seq) * kHeadDim;
  return causal ? flops / 2 : flops;
}

TensorType qkvType(int64_t seq, DType dtype = DType::F32) {
  return TensorType(dtype, {kBatch, kHeads, seq, kHeadDim});
}

llvm::Error errorOf(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

size_t countOps(const Graph &g, OpKind op) {
  size_t n = 0;
  for (NodeId id : g.liveNodes())
    n += g.node(id).op == op;
  return n;
}

/// The attention graph as nn::buildAttention writes it, before any pass;
/// over ?s when `dynamic`.
llvm::Expected<Graph> buildGraph(int64_t seq, bool causal, bool alibi,
                                 bool dynamic, DType dtype = DType::F32) {
  Graph g("attention");
  Builder b(g);
  TensorType type = qkvType(dynamic ? symbolSize("s") : seq, dtype);
  TensorId q = b.input("q", type), k = b.input("k", type),
           v = b.input("v", type);
  if (llvm::Error err = b.takeError())
    return err;
  nn::AttentionOptions options;
  options.position = alibi ? nn::PositionBias::Alibi : nn::PositionBias::None;
  options.causal = causal;
  llvm::Expected<TensorId> out = nn::buildAttention(g, q, k, v, options);
  if (!out)
    return out.takeError();
  Builder(g).output(*out, "out");
  if (llvm::Error err = verify(g))
    return err;
  return g;
}

/// Runs -O<level> and checks that the graph has the shape the variant's
/// name promises, so a fusion that stops firing cannot pass unnoticed.
llvm::Error optimize(Graph &g, const Variant &variant) {
  PassManager pm;
  llvm::Expected<std::vector<std::unique_ptr<Pass>>> passes =
      parsePipeline(optLevelPipeline(variant.optLevel));
  if (!passes)
    return passes.takeError();
  pm.addPasses(std::move(*passes));
  if (llvm::Error err = pm.run(g))
    return err;
  size_t contractions = countOps(g, OpKind::Contraction),
         attentions = countOps(g, OpKind::Attention);
  bool expected = variant.optLevel == 3   ? attentions == 1
                  : variant.optLevel == 2 ? contractions == 1 && !attentions
                                          : !contractions && !attentions;
  if (!expected)
    return errorOf(fmt::format(
        "-O{} left {} contraction and {} attention nodes; the '{}' variant "
        "expects {}",
        variant.optLevel, contractions, attentions, variant.name,
        variant.optLevel == 3   ? "one attention node"
        : variant.optLevel == 2 ? "one contraction"
                                : "neither"));
  return llvm::Error::success();
}

CompileOptions compileOptions() {
  CompileOptions options;
  options.threads = config().threads;
  options.maxMemoryBytes = config().maxMemoryBytes;
  return options;
}

CompileOptions compileOptions(const Variant &v) {
  CompileOptions options = compileOptions();
  if (v.threads)
    options.threads = v.threads;
  if (v.features)
    options.target.features = v.features;
  return options;
}

unsigned threadsOf(const Variant &v) {
  return v.threads ? v.threads : config().threads;
}

/// One way of computing attention: a compiled graph or a sgemm baseline.
class Runner {
public:
  virtual ~Runner() = default;
  virtual llvm::Error run(const TensorData &q, const TensorData &k,
                          const TensorData &v, TensorData &out) = 0;
  /// How the backend compiled it (the row's label), or nothing.
  virtual std::string describe() const { return {}; }
};

class GraphRunner : public Runner {
public:
  explicit GraphRunner(std::unique_ptr<Executable> exe) : exe(std::move(exe)) {}
  llvm::Error run(const TensorData &q, const TensorData &k, const TensorData &v,
                  TensorData &out) override {
    return exe->run({&q, &k, &v}, {&out});
  }
  std::string describe() const override { return exe->describe(); }

private:
  std::unique_ptr<Executable> exe;
};

class SgemmRunner : public Runner {
public:
  explicit SgemmRunner(std::unique_ptr<SgemmAttention> a) : a(std::move(a)) {}
  llvm::Error run(const TensorData &q, const TensorData &k, const TensorData &v,
                  TensorData &out) override {
    return a->run(q.data<float>(), k.data<float>(), v.data<float>(),
                  out.data<float>());
  }

private:
  std::unique_ptr<SgemmAttention> a;
};

/// Builds, optimizes and compiles `variant` (or sets up the baseline).
llvm::Expected<std::unique_ptr<Runner>>
createRunner(const Variant &variant, int64_t seq, bool causal,
             llvm::StringRef backendName = "cpu") {
  if (variant.kind == Kind::Sgemm) {
    SgemmAttentionShape shape{kBatch, kHeads, seq, kHeadDim, causal};
    auto a = SgemmAttention::create(variant.library, shape, config().threads);
    if (!a)
      return a.takeError();
    return std::make_unique<SgemmRunner>(std::move(*a));
  }
  llvm::Expected<Graph> g =
      buildGraph(seq, causal, variant.alibi, variant.dynamic, variant.dtype);
  if (!g)
    return g.takeError();
  if (llvm::Error err = optimize(*g, variant))
    return err;
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(backendName);
  if (!backend)
    return backend.takeError();
  llvm::Expected<std::unique_ptr<Executable>> exe =
      (*backend)->compile(*g, compileOptions(variant));
  if (!exe)
    return exe.takeError();
  return std::make_unique<GraphRunner>(std::move(*exe));
}

struct Inputs {
  TensorData q, k, v;
};

/// Uniform in [-1, 1), the same for every variant at a given length; a
/// 16-bit variant's are those values rounded once to its type.
Inputs makeInputs(int64_t seq, DType dtype = DType::F32) {
  std::mt19937 rng(20240501);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Inputs in{TensorData(qkvType(seq, dtype)), TensorData(qkvType(seq, dtype)),
            TensorData(qkvType(seq, dtype))};
  for (TensorData *t : {&in.q, &in.k, &in.v})
    for (int64_t i = 0, n = t->numElements(); i < n; ++i)
      t->set(i, uniform(rng));
  return in;
}

/// Every variant's outputs against the reference backend (which sums in
/// double) on the unoptimized graph, at kCheckSeq; tolerances as in
/// docs/cpu-backend.md for attention in f32, and for bf16 inputs the
/// 2^-9 max|v| (here 2^-9) that bf16 softmax weights in the value product
/// add, doubled (docs/mixed-precision.md).
constexpr double kRtol = 1e-4, kAtol = 1e-4, kBf16Atol = 0x1p-8;

/// The largest difference, or an error if it is beyond the tolerance.
llvm::Expected<double> compareOutputs(const TensorData &actual,
                                      const TensorData &expected,
                                      llvm::StringRef what,
                                      double atol = kAtol) {
  Comparison c = compareTensors(actual, expected, kRtol, atol);
  if (c.allClose)
    return c.maxAbsError;
  return errorOf(fmt::format(
      "{}: max |error| {:.3g} at element {} (got {}, expected {}); "
      "tolerance {} + {} |expected|",
      what.str(), c.maxAbsError, c.worstIndex, actual.get(c.worstIndex),
      expected.get(c.worstIndex), atol, kRtol));
}

struct CheckResult {
  /// Empty when the variant matches the reference.
  std::string error;
  double maxAbsError = 0;
};

/// `variant` against the reference at kCheckSeq; computed once.
const CheckResult &checkAgainstReference(const Variant &variant, bool causal) {
  static std::map<std::pair<std::string, bool>, CheckResult> results;
  static std::map<std::tuple<bool, bool, DType>, TensorData> expected;
  auto key = std::make_pair(std::string(variant.name), causal);
  auto it = results.find(key);
  if (it != results.end())
    return it->second;
  const Inputs in = makeInputs(kCheckSeq, variant.dtype);
  auto check = [&]() -> llvm::Expected<double> {
    auto refKey = std::make_tuple(variant.alibi, causal, variant.dtype);
    if (!expected.count(refKey)) {
      Variant plain = {"reference", Kind::Graph, 0, variant.alibi, {}};
      plain.dtype = variant.dtype;
      auto ref = createRunner(plain, kCheckSeq, causal, "reference");
      if (!ref)
        return ref.takeError();
      TensorData out(qkvType(kCheckSeq));
      if (llvm::Error err = (*ref)->run(in.q, in.k, in.v, out))
        return err;
      expected.emplace(refKey, std::move(out));
    }
    auto runner = createRunner(variant, kCheckSeq, causal);
    if (!runner)
      return runner.takeError();
    TensorData out(qkvType(kCheckSeq));
    if (llvm::Error err = (*runner)->run(in.q, in.k, in.v, out))
      return err;
    return compareOutputs(
        out, expected.at(refKey),
        fmt::format("{} differs from the reference backend at S={}",
                    variant.name, kCheckSeq),
        variant.dtype == DType::BF16 ? kBf16Atol : kAtol);
  };
  CheckResult result;
  llvm::Expected<double> maxError = check();
  if (maxError)
    result.maxAbsError = *maxError;
  else
    result.error = firstMessage(maxError.takeError());
  return results.emplace(key, result).first->second;
}

/// The runner, inputs and output of the benchmark running now. One at a
/// time: the repetitions of a benchmark reuse it, the next one replaces it.
struct Fixture {
  std::string variant;
  int64_t seq;
  bool causal;
  std::unique_ptr<Runner> runner;
  TensorData out;
};

const Inputs &inputsFor(int64_t seq, DType dtype = DType::F32) {
  static std::optional<std::pair<std::pair<int64_t, DType>, Inputs>> cache;
  auto key = std::make_pair(seq, dtype);
  if (!cache || cache->first != key) {
    cache.reset();
    cache.emplace(key, makeInputs(seq, dtype));
  }
  return cache->second;
}

llvm::Expected<Fixture *> fixtureFor(const Variant &variant, int64_t seq,
                                     bool causal) {
  static std::unique_ptr<Fixture> current;
  if (current && current->variant == variant.name && current->seq == seq &&
      current->causal == causal)
    return current.get();
  current.reset();
  const Inputs &in = inputsFor(seq, variant.dtype);
  auto runner = createRunner(variant, seq, causal);
  if (!runner)
    return runner.takeError();
  auto f = std::make_unique<Fixture>(Fixture{
      variant.name, seq, causal, std::move(*runner), TensorData(qkvType(seq))});
  // The first run also warms caches, JIT'd sgemm kernels and thread pools.
  if (llvm::Error err = f->runner->run(in.q, in.k, in.v, f->out))
    return err;
  // The two baselines check each other at the benchmark's own length too
  // (the reference is too slow to run at S = 4096).
  if (variant.kind == Kind::Sgemm && variant.library == GemmLibrary::OneDnn &&
      isAvailable(GemmLibrary::OpenBlas)) {
    auto other = createRunner(variantNamed("openblas"), seq, causal);
    if (!other)
      return other.takeError();
    TensorData theirs(qkvType(seq));
    if (llvm::Error err = (*other)->run(in.q, in.k, in.v, theirs))
      return err;
    llvm::Expected<double> maxError = compareOutputs(
        f->out, theirs,
        fmt::format("onednn differs from openblas at S={}", seq));
    if (!maxError)
      return maxError.takeError();
  }
  current = std::move(f);
  return current.get();
}

double peakFlops() {
  static double peak = measurePeakFlops(config().threads);
  return peak;
}

double avx2Peak() {
  static double peak = measurePeakFlops(config().threads, "avx2");
  return peak;
}

/// Whether the host has the instruction set `isa` (FmaPeak.h's names).
bool hostHas(llvm::StringRef isa) {
  for (const FmaKernel &k : supportedFmaKernels())
    if (isa == k.isa)
      return true;
  return false;
}

/// The peak a variant's row is a share of: its threads' and, for the
/// kernels of a narrower machine, its instruction set's; for bf16 inputs on
/// a host with AVX512-BF16, vdpbf16ps's.
double peakFlops(const Variant &v) {
  static std::map<std::pair<unsigned, std::string>, double> peaks;
  const char *isa = v.isa;
  if (v.dtype == DType::BF16 && hostHas("avx512bf16"))
    isa = "avx512bf16";
  auto key = std::make_pair(threadsOf(v), std::string(isa ? isa : ""));
  if (!isa && threadsOf(v) == config().threads)
    return peakFlops();
  auto it = peaks.find(key);
  if (it == peaks.end())
    it = peaks.emplace(key, measurePeakFlops(key.first, isa)).first;
  return it->second;
}

double bandwidth() {
  static double bytes = measureTriadBandwidth(config().threads);
  return bytes;
}

void benchAttention(benchmark::State &state, const Variant *variant,
                    bool causal) {
  int64_t seq = state.range(0);
  const CheckResult &check = checkAgainstReference(*variant, causal);
  if (!check.error.empty()) {
    state.SkipWithError(check.error.c_str());
    return;
  }
  llvm::Expected<Fixture *> f = fixtureFor(*variant, seq, causal);
  if (!f) {
    state.SkipWithError(firstMessage(f.takeError()).c_str());
    return;
  }
  const Inputs &in = inputsFor(seq, variant->dtype);
  for (auto _ : state)
    if (llvm::Error err = (*f)->runner->run(in.q, in.k, in.v, (*f)->out)) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      break;
    }
  double flops = attentionFlops(seq, causal);
  using benchmark::Counter;
  state.counters["GFLOP/s"] =
      Counter(flops * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] =
      Counter(flops / peakFlops(*variant), Counter::kIsIterationInvariantRate);
  state.counters["S"] = double(seq);
  state.counters["causal"] = causal;
  state.counters["threads"] = threadsOf(*variant);
  state.counters["check_max_abs_error"] = check.maxAbsError;
  state.SetLabel((*f)->runner->describe());
}

//===--- Fused grouped-query attention ------------------------------------===//

struct GqaRow {
  const char *name;
  GqaShape shape;
};

const GqaRow kGqaRows[] = {
    {"kv16/causal", {kHeads, 16, 2048, 2048, kHeadDim}},
    {"kv4/causal", {kHeads, 4, 2048, 2048, kHeadDim}},
    {"kv1/causal", {kHeads, 1, 2048, 2048, kHeadDim}},
    {"kv4/decode", {kHeads, 4, 1, 4096, kHeadDim}},
    {"kv1/decode", {kHeads, 1, 1, 4096, kHeadDim}},
};

/// Uniform in [-1, 1) for every argument of `g`.
std::vector<TensorData> gqaInputs(const Graph &g) {
  std::mt19937 rng(20240502);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<TensorData> in;
  for (TensorId a : g.arguments()) {
    in.emplace_back(g.type(a));
    std::generate_n(in.back().data<float>(), in.back().numElements(),
                    [&] { return uniform(rng); });
  }
  return in;
}

llvm::Expected<std::unique_ptr<Executable>>
compileGqa(const GqaShape &s, llvm::StringRef backendName) {
  llvm::Expected<Graph> g = buildFusedGqaGraph(s);
  if (!g)
    return g.takeError();
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(backendName);
  if (!backend)
    return backend.takeError();
  return (*backend)->compile(*g, compileOptions());
}

llvm::Expected<TensorData> runGqa(Executable &exe,
                                  const std::vector<TensorData> &in) {
  TensorData out(exe.resultTypes().front());
  std::vector<const TensorData *> args;
  for (const TensorData &t : in)
    args.push_back(&t);
  if (llvm::Error err = exe.run(args, {&out}))
    return err;
  return out;
}

/// The cpu kernel against the reference at the row's shape, prefill rows
/// shortened to kCheckSeq (the reference is too slow at S = 2048).
llvm::Expected<double> checkGqa(const GqaShape &row) {
  GqaShape s = row;
  if (s.queries > 1)
    s.queries = s.keys = std::min<int64_t>(s.keys, kCheckSeq);
  llvm::Expected<Graph> g = buildFusedGqaGraph(s);
  if (!g)
    return g.takeError();
  std::vector<TensorData> in = gqaInputs(*g);
  llvm::Expected<TensorData> results[2] = {TensorData(), TensorData()};
  const char *backends[] = {"reference", "cpu"};
  for (int k = 0; k < 2; ++k) {
    auto exe = compileGqa(s, backends[k]);
    if (!exe)
      return exe.takeError();
    results[k] = runGqa(**exe, in);
    if (!results[k])
      return results[k].takeError();
  }
  return compareOutputs(
      *results[1], *results[0],
      fmt::format("fused-gqa kv={} {}x{} differs from the reference backend",
                  s.kvHeads, s.queries, s.keys));
}

void benchFusedGqa(benchmark::State &state, const GqaRow *row) {
  llvm::Expected<double> maxError = checkGqa(row->shape);
  if (!maxError) {
    state.SkipWithError(firstMessage(maxError.takeError()).c_str());
    return;
  }
  llvm::Expected<Graph> g = buildFusedGqaGraph(row->shape);
  auto exe = g ? compileGqa(row->shape, "cpu")
               : llvm::Expected<std::unique_ptr<Executable>>(g.takeError());
  if (!exe) {
    state.SkipWithError(firstMessage(exe.takeError()).c_str());
    return;
  }
  std::vector<TensorData> in = gqaInputs(*g);
  TensorData out((*exe)->resultTypes().front());
  std::vector<const TensorData *> args;
  for (const TensorData &t : in)
    args.push_back(&t);
  // The first run warms caches and the thread pool.
  if (llvm::Error err = (*exe)->run(args, {&out})) {
    state.SkipWithError(firstMessage(std::move(err)).c_str());
    return;
  }
  for (auto _ : state)
    if (llvm::Error err = (*exe)->run(args, {&out})) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      break;
    }
  const GqaShape &s = row->shape;
  double flops = gqaFlops(s);
  using benchmark::Counter;
  state.counters["GFLOP/s"] =
      Counter(flops * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] =
      Counter(flops / peakFlops(), Counter::kIsIterationInvariantRate);
  state.counters["S"] = double(s.keys);
  state.counters["queries"] = double(s.queries);
  state.counters["kv_heads"] = double(s.kvHeads);
  state.counters["causal"] = 1;
  state.counters["threads"] = config().threads;
  state.counters["check_max_abs_error"] = *maxError;
}

void benchFmaPeak(benchmark::State &state, const FmaKernel *kernel) {
  unsigned threads = unsigned(state.range(0));
  // About 10 ms a run at 100 GFLOP/s per thread.
  const int64_t steps = int64_t(1e9 / kernel->flopsPerStep());
  double flops = 0;
  for (auto _ : state)
    flops = runFmaKernel(*kernel, threads, steps);
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
  state.counters["lanes"] = kernel->lanes;
}

/// `firstUse`: each iteration with a cache of kernel shapes of its own
/// (EG_CPU_TUNING_CACHE, a new file), so that the cpu backend measures its
/// shapes as at the first compile on a machine.
void benchCompile(benchmark::State &state, bool firstUse) {
  int64_t seq = state.range(0);
  const Variant &variant = variantNamed("O3");
  llvm::Expected<Graph> built =
      buildGraph(seq, /*causal=*/false, true, /*dynamic=*/false);
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend("cpu");
  if (!built || !backend) {
    llvm::Error err = llvm::joinErrors(
        built ? llvm::Error::success() : built.takeError(),
        backend ? llvm::Error::success() : backend.takeError());
    state.SkipWithError(firstMessage(std::move(err)).c_str());
    return;
  }
  using Clock = std::chrono::steady_clock;
  double passSeconds = 0, compileSeconds = 0;
  CompileOptions options = compileOptions();
  if (firstUse)
    options.tuning = KernelTuning::Measure;
  llvm::SmallString<128> cacheDir;
  if (firstUse &&
      llvm::sys::fs::createUniqueDirectory("eg-bench-tuning", cacheDir)) {
    state.SkipWithError("cannot create a directory for the kernel shapes");
    return;
  }
  int iteration = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Graph g = *built;
    if (firstUse)
      setenv("EG_CPU_TUNING_CACHE",
             fmt::format("{}/{}.tsv", cacheDir.str(), iteration++).c_str(), 1);
    state.ResumeTiming();
    auto start = Clock::now();
    if (llvm::Error err = optimize(g, variant)) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      break;
    }
    auto optimized = Clock::now();
    auto exe = (*backend)->compile(g, options);
    if (!exe) {
      state.SkipWithError(firstMessage(exe.takeError()).c_str());
      break;
    }
    auto compiled = Clock::now();
    passSeconds += std::chrono::duration<double>(optimized - start).count();
    compileSeconds +=
        std::chrono::duration<double>(compiled - optimized).count();
  }
  if (firstUse) {
    unsetenv("EG_CPU_TUNING_CACHE");
    llvm::sys::fs::remove_directories(cacheDir);
  }
  using benchmark::Counter;
  state.counters["passes_ms"] =
      Counter(passSeconds * 1e3, Counter::kAvgIterations);
  state.counters["backend_ms"] =
      Counter(compileSeconds * 1e3, Counter::kAvgIterations);
  state.counters["S"] = double(seq);
}

//===--- Peak memory ------------------------------------------------------===//
//
// Each measurement runs in a fresh process (this binary, re-executed with
// --memory-child), so that nothing an earlier benchmark allocated, cached or
// left in malloc's free lists counts. The child reads the kernel's resident
// set accounting from /proc/self/status:
//
//   1. allocate and fill q, k, v and out: baseline = VmRSS;
//   2. reset the high-water mark (write 5 to /proc/self/clear_refs), build,
//      optimize and compile the graph (or allocate the baseline's scratch):
//      setup = VmHWM - baseline;
//   3. reset again, run once: run = VmHWM - baseline, and run_extra =
//      VmHWM - VmRSS before the run (what the run itself adds, without what
//      the compiler left resident: JIT'd code, LLVM's caches);
//
// and prints them for the parent, which reports them as counters in MiB
// (peak = the larger of setup and run). Where the reset is not allowed the
// high-water mark only grows, so run includes setup; the child says so
// (hwm_reset = 0).

/// A field of /proc/self/status in KiB, or -1.
int64_t statusKiB(const char *field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  size_t n = std::strlen(field);
  while (std::getline(status, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
      return std::strtoll(line.c_str() + n + 1, nullptr, 10);
  return -1;
}

bool resetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return bool(clear);
}

int memoryChild() {
  const Config &c = config();
  const Variant &variant = variantNamed(c.memoryChild);
  auto fail = [](llvm::Error err) {
    std::printf("error %s\n", firstMessage(std::move(err)).c_str());
    return 1;
  };
  Inputs in = makeInputs(c.memoryChildSeq);
  TensorData out(qkvType(c.memoryChildSeq));
  int64_t baseline = statusKiB("VmRSS");
  bool reset = resetPeakRss();
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto runner = createRunner(variant, c.memoryChildSeq, c.memoryChildCausal);
  if (!runner)
    return fail(runner.takeError());
  int64_t setupPeak = statusKiB("VmHWM");
  reset = resetPeakRss() && reset;
  int64_t beforeRun = statusKiB("VmRSS");
  auto compiled = Clock::now();
  if (llvm::Error err = (*runner)->run(in.q, in.k, in.v, out))
    return fail(std::move(err));
  int64_t runPeak = statusKiB("VmHWM");
  auto ran = Clock::now();
  std::printf("ok baseline_kib=%lld setup_kib=%lld run_kib=%lld "
              "run_extra_kib=%lld hwm_reset=%d setup_s=%.3f run_s=%.3f\n",
              (long long)baseline, (long long)(setupPeak - baseline),
              (long long)(runPeak - baseline), (long long)(runPeak - beforeRun),
              int(reset),
              std::chrono::duration<double>(compiled - start).count(),
              std::chrono::duration<double>(ran - compiled).count());
  return 0;
}

/// Runs this binary as a memory child; its stdout, or an error.
llvm::Expected<std::string> spawnMemoryChild(const Variant &variant,
                                             int64_t seq, bool causal) {
  std::vector<std::string> args = {
      "/proc/self/exe",
      fmt::format("--memory-child={}", variant.name),
      fmt::format("--memory-child-seq={}", seq),
      fmt::format("--memory-child-causal={}", int(causal)),
      fmt::format("--threads={}", config().threads),
      fmt::format("--max-memory={}", config().maxMemoryBytes)};
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0)
    return errorOf(fmt::format("pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(),
                       environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return errorOf(fmt::format("cannot start a child: {}", std::strerror(rc)));
  }
  std::string output;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      output.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (llvm::StringRef(output).starts_with("error "))
    return errorOf(llvm::StringRef(output).drop_front(6).rtrim().str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return errorOf(
        WIFSIGNALED(status)
            ? fmt::format("the child was killed by signal {}", WTERMSIG(status))
            : fmt::format("the child exited with status {}",
                          WEXITSTATUS(status)));
  return output;
}

void benchMemory(benchmark::State &state, const Variant *variant) {
  int64_t seq = state.range(0);
  std::map<std::string, double> values;
  for (auto _ : state) {
    llvm::Expected<std::string> out = spawnMemoryChild(*variant, seq, false);
    if (!out) {
      state.SkipWithError(firstMessage(out.takeError()).c_str());
      return;
    }
    llvm::SmallVector<llvm::StringRef> fields;
    llvm::StringRef(*out).trim().split(fields, ' ');
    for (llvm::StringRef field : fields) {
      auto [name, value] = field.split('=');
      double number;
      if (!value.empty() && !value.getAsDouble(number))
        values[name.str()] = number;
    }
  }
  for (const char *required :
       {"baseline_kib", "setup_kib", "run_kib", "run_extra_kib"})
    if (!values.count(required)) {
      state.SkipWithError("the child did not report its memory");
      return;
    }
  constexpr double kMiB = 1024.0;
  double io = 4.0 * double(qkvType(seq).numElements()) * 4.0;
  state.counters["baseline_MiB"] = values["baseline_kib"] / kMiB;
  state.counters["setup_MiB"] = values["setup_kib"] / kMiB;
  state.counters["run_MiB"] = values["run_kib"] / kMiB;
  state.counters["run_extra_MiB"] = values["run_extra_kib"] / kMiB;
  state.counters["peak_MiB"] =
      std::max(values["setup_kib"], values["run_kib"]) / kMiB;
  state.counters["io_MiB"] = io / (1024.0 * 1024.0);
  state.counters["hwm_reset"] = values["hwm_reset"];
  state.counters["setup_s"] = values["setup_s"];
  state.counters["run_s"] = values["run_s"];
  state.counters["S"] = double(seq);
}

//===--- Command line -----------------------------------------------------===//

void usage() {
  std::printf(
      "attention-bench: ALiBi attention forward benchmarks (b=1, h=16, d=64)\n"
      "\n"
      "Its own flags (Google Benchmark's --benchmark_* flags work too):\n"
      "  --threads=N       threads for the cpu backend, the baselines and\n"
      "                    the FMA peak (default: $EG_BENCH_THREADS, else\n"
      "                    every core this process may run on)\n"
      "  --max-seq=N       only sequence lengths <= N (default 4096)\n"
      "  --memory-seq=N    sequence length of the peak memory runs\n"
      "                    (default 8192; 0 skips them)\n"
      "  --max-memory=B    the cpu backend's memory limit in bytes for the\n"
      "                    memory runs (default 0: half the physical memory)\n"
      "\n");
}

/// Takes our flags out of argv, leaving Google Benchmark's.
bool parseFlags(int &argc, char **argv) {
  Config &c = config();
  if (const char *env = std::getenv("EG_BENCH_THREADS"))
    c.threads = unsigned(std::atoi(env));
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    auto [flag, value] = arg.split('=');
    auto number = [&, value = value](auto &out) {
      long long n;
      if (value.getAsInteger(10, n) || n < 0) {
        std::fprintf(stderr, "%s: expected a non-negative integer\n", argv[i]);
        return false;
      }
      out = std::remove_reference_t<decltype(out)>(n);
      return true;
    };
    bool ok = true;
    if (flag == "--threads")
      ok = number(c.threads);
    else if (flag == "--max-seq")
      ok = number(c.maxSeq);
    else if (flag == "--memory-seq")
      ok = number(c.memorySeq);
    else if (flag == "--max-memory")
      ok = number(c.maxMemoryBytes);
    else if (flag == "--memory-child")
      c.memoryChild = value.str();
    else if (flag == "--memory-child-seq")
      ok = number(c.memoryChildSeq);
    else if (flag == "--memory-child-causal")
      ok = number(c.memoryChildCausal);
    else {
      if (flag == "--help")
        usage();
      argv[kept++] = argv[i];
    }
    if (!ok)
      return false;
  }
  argc = kept;
  argv[argc] = nullptr;
  if (c.threads == 0) {
    cpu_set_t set;
    c.threads = sched_getaffinity(0, sizeof set, &set) == 0
                    ? unsigned(CPU_COUNT(&set))
                    : std::max(1u, std::thread::hardware_concurrency());
  }
  return true;
}

std::string cpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (llvm::StringRef(line).starts_with("model name"))
      return llvm::StringRef(line).split(':').second.trim().str();
  return "unknown";
}

/// "family 25 model 17" from /proc/cpuinfo: a virtual machine's model
/// name can be as vague as "AMD EPYC".
std::string cpuFamilyModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, family, model;
  while (std::getline(cpuinfo, line) && (family.empty() || model.empty())) {
    auto [key, value] = llvm::StringRef(line).split(':');
    key = key.trim();
    if (key == "cpu family")
      family = value.trim().str();
    else if (key == "model")
      model = value.trim().str();
  }
  return family.empty() ? "unknown"
                        : fmt::format("family {} model {}", family, model);
}

std::string compilerVersion() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#else
  return "unknown";
#endif
}

void registerBenchmarks() {
  const Config &c = config();
  std::vector<int64_t> threadCounts = {1};
  if (c.threads != 1)
    threadCounts.push_back(c.threads);
  static const std::vector<FmaKernel> kernels = supportedFmaKernels();
  for (const FmaKernel &kernel : kernels) {
    // SSE2 only where nothing wider exists: it is not the peak.
    if (llvm::StringRef(kernel.isa) == "sse2" && &kernel != &kernels.front())
      continue;
    auto *b = benchmark::RegisterBenchmark(
        fmt::format("fma_peak/{}", kernel.isa).c_str(), benchFmaPeak, &kernel);
    b->ArgName("threads")->UseRealTime()->MinTime(0.2)->Unit(
        benchmark::kMillisecond);
    for (int64_t t : threadCounts)
      b->Arg(t);
  }
  // Length-major, so that consecutive benchmarks share their inputs.
  for (bool causal : {false, true})
    for (int64_t seq : kSeqs) {
      if (seq > c.maxSeq)
        continue;
      for (const Variant &v : kVariants) {
        if ((v.kind == Kind::Sgemm && !isAvailable(v.library)) ||
            !hostRuns(v) || (v.oneLength && seq != kCompileSeq))
          continue;
        benchmark::RegisterBenchmark(
            fmt::format("attention/{}/{}", v.name,
                        causal ? "causal" : "noncausal")
                .c_str(),
            benchAttention, &v, causal)
            ->ArgName("S")
            ->Arg(seq)
            ->UseRealTime()
            ->MinTime(0.5)
            ->Unit(benchmark::kMillisecond);
      }
    }
  for (const GqaRow &row : kGqaRows) {
    if (row.shape.keys > c.maxSeq)
      continue;
    benchmark::RegisterBenchmark(
        fmt::format("attention/fused-gqa/{}", row.name).c_str(), benchFusedGqa,
        &row)
        ->ArgName("S")
        ->Arg(row.shape.keys)
        ->UseRealTime()
        ->MinTime(0.5)
        ->Unit(benchmark::kMillisecond);
  }
  for (bool firstUse : {false, true})
    benchmark::RegisterBenchmark(firstUse
                                     ? "compile/O3_alibi_first_use/noncausal"
                                     : "compile/O3_alibi/noncausal",
                                 benchCompile, firstUse)
        ->ArgName("S")
        ->Arg(kCompileSeq)
        ->UseRealTime()
        ->MinTime(1.0)
        ->Unit(benchmark::kMillisecond);
  // One run each, whatever --benchmark_repetitions says: a process per run
  // and minutes at S = 8192 with a slow variant.
  if (c.memorySeq > 0)
    for (const Variant &v : kVariants) {
      if ((v.kind == Kind::Sgemm && !isAvailable(v.library)) || v.oneLength)
        continue;
      benchmark::RegisterBenchmark(
          fmt::format("memory/{}/noncausal", v.name).c_str(), benchMemory, &v)
          ->ArgName("S")
          ->Arg(c.memorySeq)
          ->Iterations(1)
          ->Repetitions(1)
          ->UseRealTime()
          ->Unit(benchmark::kSecond);
    }
}

} // namespace

int main(int argc, char **argv) {
  if (!parseFlags(argc, argv))
    return 2;
  registerBuiltinBackends();
  registerAllPasses();
  // The libraries' OpenMP default, so that oneDNN called outside our
  // parallel loops uses the same thread count.
  omp_set_num_threads(int(config().threads));
  if (!config().memoryChild.empty())
    return memoryChild();

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  const Config &c = config();
  benchmark::AddCustomContext("cpu_model", cpuModel());
  benchmark::AddCustomContext("compiler", compilerVersion());
  benchmark::AddCustomContext("threads", std::to_string(c.threads));
  benchmark::AddCustomContext("fma_isa", supportedFmaKernels().front().isa);
  benchmark::AddCustomContext("peak_gflops",
                              fmt::format("{:.2f}", peakFlops() * 1e-9));
  benchmark::AddCustomContext("openblas",
                              libraryVersion(GemmLibrary::OpenBlas));
  benchmark::AddCustomContext("onednn", libraryVersion(GemmLibrary::OneDnn));
  benchmark::AddCustomContext(
      "shape", fmt::format("b={} h={} d={} f32", kBatch, kHeads, kHeadDim));
  benchmark::AddCustomContext("memory_seq", std::to_string(c.memorySeq));
  benchmark::AddCustomContext("triad_gbs",
                              fmt::format("{:.2f}", bandwidth() * 1e-9));
  benchmark::AddCustomContext("cpu_family_model", cpuFamilyModel());
  registerBenchmarks();
  registerModelBenchmarks({compileOptions(), peakFlops, bandwidth});
  registerGemmBenchmarks({compileOptions(), peakFlops, bandwidth},
                         hostRuns(variantNamed("O3_avx2")) ? avx2Peak
                                                           : nullptr);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
