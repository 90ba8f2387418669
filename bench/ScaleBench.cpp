//===- ScaleBench.cpp - Parse, verify and -O3 at 10^3..10^5 nodes ---------===//
//
// The graph is a stack of small ALiBi attention blocks, as
// scripts/gen-graph.py writes it: intermediates anonymous, every other block
// with a residual add, about 10.5 nodes a block. Each benchmark reports its
// complexity; anything worse than O(N) is a regression (see
// tests/lit/hostile/README.md for the numbers and the fixes behind them).
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>

using namespace einsum;

namespace {

/// About `nodes` nodes of attention blocks, as text.
std::string layersText(int64_t nodes) {
  int64_t blocks = std::max<int64_t>(1, nodes * 2 / 21);
  const char *shape = "f32[1,2,4,8]", *scores = "f32[1,2,4,4]";
  std::string text =
      fmt::format("graph @layers(%x: {0}, %k: {0}, %v: {0}) {{\n", shape);
  std::string prev = "%x";
  int64_t t = 0;
  auto fresh = [&] { return fmt::format("%{}", t++); };
  for (int64_t layer = 0; layer < blocks; ++layer) {
    std::string s = fresh(), c = fresh(), sc = fresh(), m = fresh(),
                d = fresh(), e = fresh(), b = fresh(), lg = fresh(),
                p = fresh(), y = fmt::format("%y{}", layer);
    std::string o = layer % 2 == 0 ? fresh() : y;
    text += fmt::format(
        "  {0} = einsum {1}, %k {{spec = \"bhid,bhjd->bhij\"}} : {2}\n"
        "  {3} = constant {{value = 0.35355339}} : f32[]\n"
        "  {4} = mul {0}, {3} : {2}\n"
        "  {5} = alibi_slopes : f32[2]\n"
        "  {6} = distance : f32[4,4]\n"
        "  {7} = expand_dims {5} {{axes = [1, 2]}} : f32[2,1,1]\n"
        "  {8} = mul {7}, {6} : f32[2,4,4]\n"
        "  {9} = sub {4}, {8} : {2}\n"
        "  {10} = softmax {9} : {2}\n"
        "  {11} = einsum {10}, %v {{spec = \"bhij,bhjd->bhid\"}} : {12}\n",
        s, prev, scores, c, sc, m, d, e, b, lg, p, o, shape);
    if (o != y)
      text += fmt::format("  {} = add {}, {} : {}\n", y, o, prev, shape);
    prev = y;
  }
  return text + fmt::format("  return {}\n}}\n", prev);
}

/// Generated once per size: the text and the parsed graph.
struct Input {
  std::string text;
  Graph graph;
};

const Input &input(int64_t nodes) {
  static std::map<int64_t, Input> cache;
  auto it = cache.find(nodes);
  if (it == cache.end()) {
    std::string text = layersText(nodes);
    Graph g = llvm::cantFail(parseGraph(text, "layers.eg"));
    it = cache.emplace(nodes, Input{std::move(text), std::move(g)}).first;
  }
  return it->second;
}

void BM_Parse(benchmark::State &state) {
  const Input &in = input(state.range(0));
  for (auto _ : state) {
    llvm::Expected<Graph> g = parseGraph(in.text, "layers.eg");
    if (!g) {
      state.SkipWithError(firstMessage(g.takeError()).c_str());
      break;
    }
    benchmark::DoNotOptimize(g->numNodes());
  }
  state.SetComplexityN(int64_t(in.graph.numNodes()));
  state.SetBytesProcessed(int64_t(state.iterations() * in.text.size()));
}

void BM_Verify(benchmark::State &state) {
  const Input &in = input(state.range(0));
  for (auto _ : state)
    if (llvm::Error err = verify(in.graph)) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      break;
    }
  state.SetComplexityN(int64_t(in.graph.numNodes()));
}

void BM_O3(benchmark::State &state) {
  const Input &in = input(state.range(0));
  registerAllPasses();
  for (auto _ : state) {
    state.PauseTiming();
    Graph g = in.graph;
    PassManager pm;
    pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
    state.ResumeTiming();
    if (llvm::Error err = pm.run(g)) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      break;
    }
    benchmark::DoNotOptimize(g.numNodes());
  }
  state.SetComplexityN(int64_t(in.graph.numNodes()));
}

} // namespace

BENCHMARK(BM_Parse)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);
BENCHMARK(BM_Verify)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);
BENCHMARK(BM_O3)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);

BENCHMARK_MAIN();
