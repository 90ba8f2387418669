//===- ScaleBench.cpp - Parse, verify and -O3 at 10^3..10^5 nodes ---------===//
//
// The graph is a stack of small ALiBi attention blocks, as
// scripts/gen-graph.py writes it: intermediates anonymous, every other block
// with a residual add, about 10.5 nodes a block. Each benchmark reports its
// complexity; anything worse than O(N) is a regression (see
// tests/lit/hostile/README.md for the numbers and the fixes behind them).
//
// Two more inputs are big in another direction: many small graphs for
// --split-input-file, and shape ops with very long attribute lists (as
// `gen-graph.py split` and `gen-graph.py lists` write them). Their counters
// give the time per chunk and per list entry, which stays flat when the
// cost is linear.
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"
#include "tools/alibi-opt/InputChunks.h"

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

/// `chunks` small graphs separated by `// -----`.
std::string splitText(int64_t chunks) {
  std::string text;
  for (int64_t i = 0; i < chunks; ++i)
    text += fmt::format("{}graph @g{}(%x: f32[4]) {{\n"
                        "  %y = neg %x : f32[4]\n"
                        "  return %y\n}}\n",
                        i ? "// -----\n" : "", i);
  return text;
}

/// What alibi-opt --split-input-file does without passes: split, then
/// parse, verify and print each chunk.
void BM_SplitInputFile(benchmark::State &state) {
  int64_t chunks = state.range(0);
  std::string text = splitText(chunks);
  for (auto _ : state) {
    std::string output;
    for (const Chunk &chunk : splitInput(text, /*split=*/true)) {
      llvm::Expected<Graph> g =
          parseGraph(chunk.text, "split.eg", chunk.firstLine);
      if (!g) {
        state.SkipWithError(firstMessage(g.takeError()).c_str());
        return;
      }
      if (llvm::Error err = verify(*g)) {
        state.SkipWithError(firstMessage(std::move(err)).c_str());
        return;
      }
      output += printGraph(*g);
    }
    benchmark::DoNotOptimize(output.data());
  }
  state.SetComplexityN(chunks);
  state.counters["per_chunk"] = benchmark::Counter(
      double(chunks), benchmark::Counter::kIsIterationInvariantRate |
                          benchmark::Counter::kInvert);
}

/// expand_dims, transpose, reduce and reshape with `entries`-long lists.
std::string listsText(int64_t entries) {
  std::string ones = "f32[1", up = "0", down, negative = "-1", shape = "1";
  for (int64_t i = 1; i < entries; ++i) {
    ones += ",1";
    up += fmt::format(", {}", i);
    negative += fmt::format(", {}", -1 - i);
    shape += ", 1";
  }
  ones += "]";
  for (int64_t i = entries - 1; i >= 0; --i)
    down += fmt::format("{}{}", i == entries - 1 ? "" : ", ", i);
  return fmt::format("graph @lists(%x: f32[]) {{\n"
                     "  %e = expand_dims %x {{axes = [{1}]}} : {0}\n"
                     "  %t = transpose %e {{perm = [{2}]}} : {0}\n"
                     "  %r = reduce %t {{kind = sum, axes = [{3}]}} : f32[]\n"
                     "  %s = reshape %r {{shape = [{4}]}} : {0}\n"
                     "  return %s\n}}\n",
                     ones, up, down, negative, shape);
}

/// Parse, verify and print a graph whose size is in its attribute lists.
void BM_AttributeLists(benchmark::State &state) {
  int64_t entries = state.range(0);
  std::string text = listsText(entries);
  for (auto _ : state) {
    llvm::Expected<Graph> g = parseGraph(text, "lists.eg");
    if (!g) {
      state.SkipWithError(firstMessage(g.takeError()).c_str());
      return;
    }
    if (llvm::Error err = verify(*g)) {
      state.SkipWithError(firstMessage(std::move(err)).c_str());
      return;
    }
    benchmark::DoNotOptimize(printGraph(*g).size());
  }
  state.SetComplexityN(entries);
  // Four lists, and every type spells its rank-`entries` shape.
  state.counters["per_entry"] = benchmark::Counter(
      double(entries), benchmark::Counter::kIsIterationInvariantRate |
                           benchmark::Counter::kInvert);
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
BENCHMARK(BM_SplitInputFile)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(50000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);
BENCHMARK(BM_AttributeLists)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);

BENCHMARK_MAIN();
