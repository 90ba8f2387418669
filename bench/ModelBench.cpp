//===- ModelBench.cpp - Decode and decoder-block benchmark rows -----------===//
//
//   decode/mha, decode/gqa4   one query over 4096 cached keys, 16 heads over
//                             16 or 4 kv heads, d = 64, causal ALiBi, -O3
//                             (one fused attention node), keys ?k. GB/s =
//                             the K and V bytes read per step / time;
//                             bw_frac = that over the measured triad.
//   decode/mha_f16, _bf16     the same with q, k and v in f16 or bf16: half
//                             the bytes per step.
//   block/prefill             a decoder block (hidden 1024, 16 heads, ffn
//                             4096, f32) over 512 tokens ?s: GFLOP/s from
//                             the graph's contractions, tokens/s.
//   block/decode              the same block with a cache of 512 positions
//                             ?p, one new token: ms per token, and GB/s of
//                             the weights and cache read per token.
//
// Each row is first checked against the reference backend on the same
// graph at a small length (for the block, small sizes too); a mismatch
// skips it with the error.
//
//===----------------------------------------------------------------------===//
#include "bench/ModelBench.h"

#include "ir/Builder.h"
#include "ir/Diagnostic.h"
#include "ir/FlopCount.h"
#include "ir/SizeBindings.h"
#include "ir/Verifier.h"
#include "ir/nn/Attention.h"
#include "ir/nn/DecoderBlock.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>
#include <memory>
#include <random>

namespace einsum::bench {

namespace {

SuiteContext &suite() {
  static SuiteContext c;
  return c;
}

llvm::Error errorOf(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error optimizeO3(Graph &g) {
  PassManager pm;
  llvm::Expected<std::vector<std::unique_ptr<Pass>>> passes =
      parsePipeline(optLevelPipeline(3));
  if (!passes)
    return passes.takeError();
  pm.addPasses(std::move(*passes));
  return pm.run(g);
}

/// Uniform values in [-scale, scale) for a tensor of `type`.
TensorData randomTensor(const TensorType &type, double scale,
                        std::mt19937 &rng) {
  std::uniform_real_distribution<double> u(-scale, scale);
  TensorData t(type);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.set(i, u(rng));
  return t;
}

/// A graph with its inputs for one length, compiled on the cpu backend.
struct Case {
  Graph graph;
  std::unique_ptr<Executable> exe;
  std::vector<TensorData> inputs, outputs;
  SizeBindings sizes;

  llvm::Error run() {
    std::vector<const TensorData *> in;
    for (const TensorData &t : inputs)
      in.push_back(&t);
    std::vector<TensorData *> out;
    for (TensorData &t : outputs)
      out.push_back(&t);
    return exe->run(in, out);
  }
};

/// Compiles `g` on `backend` and makes its inputs with `makeInput` for the
/// sizes `sizes`, and its outputs.
llvm::Expected<std::unique_ptr<Case>>
prepare(const Graph &g, llvm::StringRef backendName, const SizeBindings &sizes,
        llvm::function_ref<TensorData(const std::string &, const TensorType &)>
            makeInput) {
  auto c = std::make_unique<Case>();
  c->graph = g;
  c->sizes = sizes;
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(backendName);
  if (!backend)
    return backend.takeError();
  llvm::Expected<std::unique_ptr<Executable>> exe =
      (*backend)->compile(g, suite().compile);
  if (!exe)
    return exe.takeError();
  c->exe = std::move(*exe);
  std::vector<TensorType> types;
  for (TensorId a : g.arguments()) {
    llvm::Expected<TensorType> t = specializeType(g.type(a), sizes);
    if (!t)
      return t.takeError();
    c->inputs.push_back(makeInput(g.tensor(a).name, *t));
    types.push_back(*t);
  }
  llvm::Expected<std::vector<TensorType>> outs = c->exe->resultTypesFor(types);
  if (!outs)
    return outs.takeError();
  for (const TensorType &t : *outs)
    c->outputs.emplace_back(t);
  return c;
}

/// The cpu backend against the reference on `g` at `sizes`.
llvm::Error checkGraph(
    const Graph &g, const SizeBindings &sizes,
    llvm::function_ref<TensorData(const std::string &, const TensorType &)>
        makeInput,
    llvm::StringRef what) {
  llvm::Expected<std::unique_ptr<Case>> cpu =
      prepare(g, "cpu", sizes, makeInput);
  if (!cpu)
    return cpu.takeError();
  // The same inputs for both.
  size_t next = 0;
  llvm::Expected<std::unique_ptr<Case>> ref = prepare(
      g, "reference", sizes, [&](const std::string &, const TensorType &) {
        return (*cpu)->inputs[next++];
      });
  if (!ref)
    return ref.takeError();
  if (llvm::Error err = (*cpu)->run())
    return err;
  if (llvm::Error err = (*ref)->run())
    return err;
  for (size_t k = 0; k < (*cpu)->outputs.size(); ++k) {
    Comparison c =
        compareTensors((*cpu)->outputs[k], (*ref)->outputs[k], 1e-4, 1e-4);
    if (!c.allClose)
      return errorOf(fmt::format("{}: output {} differs from the reference "
                                 "backend by {:.3g} at element {}",
                                 what.str(), k, c.maxAbsError, c.worstIndex));
  }
  return llvm::Error::success();
}

/// Runs `c` in the benchmark loop; false (after skipping) on an error.
bool timeRuns(benchmark::State &state, Case &c) {
  // A warm-up run outside the timing.
  if (llvm::Error err = c.run()) {
    state.SkipWithError(firstMessage(std::move(err)).c_str());
    return false;
  }
  for (auto _ : state)
    if (llvm::Error err = c.run()) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      return false;
    }
  return true;
}

//===--- Decode attention ----------------------------------------------===//

constexpr int64_t kHeads = 16, kHeadDim = 64, kDecodeKeys = 4096;

struct DecodeRow {
  const char *name;
  int64_t kvHeads;
  DType dtype = DType::F32;
};
const DecodeRow kDecodeRows[] = {{"mha", 16},
                                 {"mha_f16", 16, DType::F16},
                                 {"mha_bf16", 16, DType::BF16},
                                 {"gqa4", 4}};

/// One query over ?k keys, causal ALiBi, at -O3.
llvm::Expected<Graph> decodeGraph(int64_t kvHeads, DType dtype) {
  Graph g("decode");
  Builder b(g);
  TensorId q = b.input("q", TensorType(dtype, {1, kHeads, 1, kHeadDim}));
  TensorType kv(dtype, {1, kvHeads, symbolSize("k"), kHeadDim});
  TensorId k = b.input("k", kv), v = b.input("v", kv);
  if (llvm::Error err = b.takeError())
    return err;
  nn::AttentionOptions o;
  o.position = nn::PositionBias::Alibi;
  o.causal = true;
  llvm::Expected<TensorId> out = nn::buildAttention(g, q, k, v, o);
  if (!out)
    return out.takeError();
  b.output(*out, "out");
  if (llvm::Error err = verify(g))
    return err;
  if (llvm::Error err = optimizeO3(g))
    return err;
  return g;
}

void benchDecode(benchmark::State &state, const DecodeRow *row) {
  int64_t keys = state.range(0);
  llvm::Expected<Graph> g = decodeGraph(row->kvHeads, row->dtype);
  std::mt19937 rng(7);
  auto input = [&](const std::string &, const TensorType &t) {
    return randomTensor(t, 1.0, rng);
  };
  llvm::Error err =
      g ? checkGraph(*g, {{"k", 333}}, input, "decode") : g.takeError();
  llvm::Expected<std::unique_ptr<Case>> c =
      err ? llvm::Expected<std::unique_ptr<Case>>(std::move(err))
          : prepare(*g, "cpu", {{"k", keys}}, input);
  if (!c) {
    state.SkipWithError(firstMessage(c.takeError()).c_str());
    return;
  }
  if (!timeRuns(state, **c))
    return;
  double bytes = 2.0 * double(row->kvHeads * keys * kHeadDim) *
                 double(dtypeSize(row->dtype));
  using benchmark::Counter;
  state.counters["GB/s"] =
      Counter(bytes * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["bw_frac"] =
      Counter(bytes / suite().bandwidth(), Counter::kIsIterationInvariantRate);
  state.counters["tokens/s"] = Counter(1, Counter::kIsIterationInvariantRate);
  state.counters["kv_heads"] = double(row->kvHeads);
  state.counters["keys"] = double(keys);
}

//===--- Decoder block -------------------------------------------------===//

struct BlockShape {
  int64_t hidden, heads, kvHeads, ffn;
};
constexpr BlockShape kBlock = {1024, 16, 16, 4096};
constexpr int64_t kBlockTokens = 512;

/// The block over ?s tokens, or with a cache of ?p positions and one new
/// token; -O3.
llvm::Expected<Graph> blockGraph(const BlockShape &s, bool cached) {
  nn::DecoderBlockOptions o;
  o.hidden = s.hidden;
  o.heads = s.heads;
  o.kvHeads = s.kvHeads;
  o.ffn = s.ffn;
  Graph g(cached ? "block_decode" : "block_prefill");
  Builder b(g);
  TensorId x = b.input(
      "x", TensorType::f32({1, cached ? 1 : symbolSize("s"), s.hidden}));
  std::optional<nn::KvCache> past;
  if (cached) {
    TensorType cache =
        TensorType::f32({1, s.kvHeads, symbolSize("p"), o.headDim()});
    past =
        nn::KvCache{b.input("past_keys", cache), b.input("past_values", cache)};
  }
  if (llvm::Error err = b.takeError())
    return err;
  llvm::Expected<nn::DecoderBlockWeights> w =
      nn::createDecoderBlockWeights(g, o);
  if (!w)
    return w.takeError();
  llvm::Expected<nn::DecoderBlock> out =
      nn::buildDecoderBlock(g, x, *w, o, past);
  if (!out)
    return out.takeError();
  b.output(out->out, "out");
  if (cached) {
    b.output(out->keys, "keys");
    b.output(out->values, "values");
  }
  if (llvm::Error err = verify(g))
    return err;
  if (llvm::Error err = optimizeO3(g))
    return err;
  return g;
}

/// Weights scaled by 1/sqrt(fan-in), gammas near 1: activations of order
/// one through the block.
TensorData blockInput(const std::string &name, const TensorType &t,
                      const BlockShape &s, std::mt19937 &rng) {
  double scale = 0.1;
  if (name == "x" || name == "past_keys" || name == "past_values")
    scale = 1;
  else if (name == "wqkv" || name == "w1" || name == "wo")
    scale = 1 / std::sqrt(double(s.hidden));
  else if (name == "w2")
    scale = 1 / std::sqrt(double(s.ffn));
  TensorData d = randomTensor(t, scale, rng);
  if (llvm::StringRef(name).ends_with("gamma"))
    for (int64_t i = 0; i < d.numElements(); ++i)
      d.set(i, 1 + d.get(i));
  return d;
}

void benchBlock(benchmark::State &state, bool cached) {
  int64_t length = state.range(0);
  // Checked at small sizes: the reference takes minutes at the row's.
  BlockShape small = {64, 4, 2, 96};
  std::mt19937 rng(11);
  llvm::Expected<Graph> check = blockGraph(small, cached);
  llvm::Error err =
      check ? checkGraph(
                  *check,
                  cached ? SizeBindings{{"p", 37}} : SizeBindings{{"s", 37}},
                  [&](const std::string &n, const TensorType &t) {
                    return blockInput(n, t, small, rng);
                  },
                  "decoder block")
            : check.takeError();
  llvm::Expected<Graph> g =
      err ? llvm::Expected<Graph>(std::move(err)) : blockGraph(kBlock, cached);
  SizeBindings sizes =
      cached ? SizeBindings{{"p", length}} : SizeBindings{{"s", length}};
  llvm::Expected<std::unique_ptr<Case>> c =
      g ? prepare(*g, "cpu", sizes,
                  [&](const std::string &n, const TensorType &t) {
                    return blockInput(n, t, kBlock, rng);
                  })
        : llvm::Expected<std::unique_ptr<Case>>(g.takeError());
  if (!c) {
    state.SkipWithError(firstMessage(c.takeError()).c_str());
    return;
  }
  llvm::Expected<Graph> concrete = specializeGraph((*c)->graph, sizes);
  llvm::Expected<uint64_t> flops =
      concrete ? contractionFlops(*concrete)
               : llvm::Expected<uint64_t>(concrete.takeError());
  if (!flops) {
    state.SkipWithError(firstMessage(flops.takeError()).c_str());
    return;
  }
  if (!timeRuns(state, **c))
    return;
  double bytes = 0;
  for (const TensorData &t : (*c)->inputs)
    bytes += double(t.sizeInBytes());
  using benchmark::Counter;
  state.counters["GFLOP/s"] =
      Counter(double(*flops) * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] = Counter(double(*flops) / suite().peakFlops(),
                                        Counter::kIsIterationInvariantRate);
  state.counters["tokens/s"] = Counter(cached ? 1.0 : double(length),
                                       Counter::kIsIterationInvariantRate);
  // What a step reads at least once: the weights, x and the cache.
  state.counters["GB/s"] =
      Counter(bytes * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["bw_frac"] =
      Counter(bytes / suite().bandwidth(), Counter::kIsIterationInvariantRate);
}

} // namespace

void registerModelBenchmarks(const SuiteContext &context) {
  suite() = context;
  for (const DecodeRow &row : kDecodeRows)
    benchmark::RegisterBenchmark(fmt::format("decode/{}", row.name).c_str(),
                                 benchDecode, &row)
        ->ArgName("S")
        ->Arg(kDecodeKeys)
        ->UseRealTime()
        ->MinTime(0.5)
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("block/prefill", benchBlock, false)
      ->ArgName("S")
      ->Arg(kBlockTokens)
      ->UseRealTime()
      ->MinTime(0.5)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("block/decode", benchBlock, true)
      ->ArgName("S")
      ->Arg(kBlockTokens)
      ->UseRealTime()
      ->MinTime(0.5)
      ->Unit(benchmark::kMillisecond);
}

} // namespace einsum::bench
