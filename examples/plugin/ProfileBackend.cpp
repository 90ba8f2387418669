//===- ProfileBackend.cpp - An example backend plugin ---------------------===//
//
// For each backend registered when it is loaded (reference, cpu, ...), this
// plugin registers `profile-NAME`: it compiles every node of a graph alone,
// as a one-node graph, on NAME (for a graph with sizes known only at run
// time, once per set of sizes it runs with), runs the nodes in order, and
// when the executable goes away prints each node's mean time to standard
// error:
//
//   alibi-opt g.eg --run --random-inputs --backend=profile-reference
//       --load-backend=build/lib/profile-backend.so
//
// Nodes timed one at a time cannot show what a backend gains by working
// across nodes: this answers "which node is slow", not "how fast is the
// graph". The plugin uses only the public API (Backend, Executable, Graph,
// TensorData, the registry); docs/plugins.md explains the rest.
//
//===----------------------------------------------------------------------===//
#include "backends/BackendPlugin.h"
#include "ir/Diagnostic.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <map>

using namespace einsum;

namespace {

/// One node of the graph and its executable.
struct Step {
  /// "'einsum' producing %s".
  std::string what;
  /// In the whole graph: the node's distinct inputs in argument order of the
  /// one-node graph, and its results.
  std::vector<TensorId> inputs, outputs;
  std::unique_ptr<Executable> exe;
  double totalMs = 0;
};

/// Node `id` of `g` as a graph of its own; appends to `inputs` the tensors
/// of `g` that became its arguments.
Graph nodeAsGraph(const Graph &g, NodeId id, std::vector<TensorId> &inputs) {
  Graph single(g.name());
  Node node = g.node(id);
  std::map<TensorId, TensorId> arguments;
  for (TensorId &in : node.inputs) {
    auto [it, isNew] = arguments.try_emplace(in);
    if (isNew) {
      it->second =
          single.addInput(fmt::format("in{}", inputs.size()), g.type(in));
      inputs.push_back(in);
    }
    in = it->second;
  }
  // Names of its own: a name of `g` could clash with "in0".
  for (size_t i = 0; i < node.outputs.size(); ++i)
    node.outputs[i] =
        single.addTensor(fmt::format("out{}", i), g.type(node.outputs[i]));
  std::vector<TensorId> outputs = node.outputs;
  single.addNodeUnchecked(std::move(node));
  for (TensorId out : outputs)
    single.addOutput(out);
  return single;
}

/// Each node of `g` compiled alone on `backend`, in a topological order.
llvm::Expected<std::vector<Step>> compileSteps(Backend &backend, const Graph &g,
                                               const CompileOptions &options) {
  llvm::Expected<std::vector<NodeId>> order = g.topologicalOrder();
  if (!order)
    return order.takeError();
  std::vector<Step> steps;
  for (NodeId id : *order) {
    Step step;
    step.what = g.describeNode(id);
    step.outputs = g.node(id).outputs;
    // The memory limit applies to each node alone, as each is compiled
    // alone: this backend is for finding slow nodes, not for big graphs.
    llvm::Expected<std::unique_ptr<Executable>> exe =
        backend.compile(nodeAsGraph(g, id, step.inputs), options);
    if (!exe)
      return makeError(step.what + ": " + firstMessage(exe.takeError()));
    step.exe = std::move(*exe);
    steps.push_back(std::move(step));
  }
  return steps;
}

class ProfileExecutable : public Executable {
public:
  ProfileExecutable(const Graph &g, std::string name,
                    std::unique_ptr<Backend> backend, CompileOptions options,
                    std::vector<Step> steps)
      : Executable(g), graph(g), name(std::move(name)),
        backend(std::move(backend)), options(options),
        numTensors(g.numTensors()), arguments(g.arguments()),
        outputs(g.outputs()) {
    if (!steps.empty())
      stepsBySize[{}] = std::move(steps);
  }

  ~ProfileExecutable() override {
    if (runs == 0)
      return;
    // Per node, over every size the graph ran with.
    std::vector<std::pair<std::string, double>> nodes;
    for (const auto &[sizes, steps] : stepsBySize)
      for (size_t i = 0; i < steps.size(); ++i) {
        if (nodes.size() <= i)
          nodes.emplace_back(steps[i].what, 0);
        nodes[i].second += steps[i].totalMs;
      }
    double totalMs = 0;
    for (const auto &node : nodes)
      totalMs += node.second;
    llvm::errs() << fmt::format("{}: mean time per node over {} run(s)\n", name,
                                runs);
    for (const auto &[what, ms] : nodes)
      llvm::errs() << fmt::format("  {:10.3f} ms {:5.1f}%  {}\n", ms / runs,
                                  totalMs > 0 ? 100 * ms / totalMs : 0.0,
                                  what);
    llvm::errs() << fmt::format("  {:10.3f} ms total\n", totalMs / runs);
  }

protected:
  llvm::Error runImpl(llvm::ArrayRef<const TensorData *> inputs,
                      llvm::ArrayRef<TensorData *> results,
                      const SizeBindings &sizes) override {
    using Clock = std::chrono::steady_clock;
    // A graph with sizes known only at run time is profiled as the graph
    // those sizes make, its nodes compiled once per set of sizes.
    auto it = stepsBySize.find(sizes);
    if (it == stepsBySize.end()) {
      llvm::Expected<Graph> g = specializeGraph(graph, sizes);
      if (!g)
        return g.takeError();
      llvm::Expected<std::vector<Step>> steps =
          compileSteps(*backend, *g, options);
      if (!steps)
        return steps.takeError();
      it = stepsBySize.emplace(sizes, std::move(*steps)).first;
    }
    // Every tensor by id: the caller's inputs, then each node's results,
    // kept until the end of the run (simple rather than frugal).
    std::vector<const TensorData *> value(numTensors);
    std::vector<TensorData> computed(numTensors);
    for (size_t i = 0; i < arguments.size(); ++i)
      value[arguments[i].index()] = inputs[i];
    for (Step &step : it->second) {
      std::vector<const TensorData *> in;
      for (TensorId t : step.inputs)
        in.push_back(value[t.index()]);
      std::vector<TensorData *> out;
      for (size_t i = 0; i < step.outputs.size(); ++i) {
        llvm::Expected<TensorData> r =
            TensorData::allocate(step.exe->resultTypes()[i]);
        if (!r)
          return r.takeError();
        TensorData &slot = computed[step.outputs[i].index()] = std::move(*r);
        value[step.outputs[i].index()] = &slot;
        out.push_back(&slot);
      }
      Clock::time_point start = Clock::now();
      if (llvm::Error err = step.exe->run(in, out))
        return err;
      step.totalMs +=
          std::chrono::duration<double, std::milli>(Clock::now() - start)
              .count();
    }
    for (size_t i = 0; i < outputs.size(); ++i)
      std::memcpy(results[i]->raw(), value[outputs[i].index()]->raw(),
                  results[i]->sizeInBytes());
    ++runs;
    return llvm::Error::success();
  }

private:
  Graph graph;
  std::string name;
  std::unique_ptr<Backend> backend;
  CompileOptions options;
  size_t numTensors;
  std::vector<TensorId> arguments, outputs;
  std::map<SizeBindings, std::vector<Step>> stepsBySize;
  unsigned runs = 0;
};

class ProfileBackend : public Backend {
public:
  explicit ProfileBackend(const std::string &innerName)
      : inner(innerName), ownName("profile-" + innerName),
        summary("each node compiled alone on '" + innerName +
                "' and timed (example plugin)") {}

  llvm::StringRef name() const override { return ownName; }
  llvm::StringRef description() const override { return summary; }

  llvm::Expected<std::unique_ptr<Executable>>
  compile(const Graph &g, const CompileOptions &options) override {
    llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(inner);
    if (!backend)
      return backend.takeError();
    std::vector<Step> steps;
    if (graphSymbols(g).empty()) {
      llvm::Expected<std::vector<Step>> compiled =
          compileSteps(**backend, g, options);
      if (!compiled)
        return compiled.takeError();
      steps = std::move(*compiled);
    }
    return std::make_unique<ProfileExecutable>(
        g, ownName, std::move(*backend), options, std::move(steps));
  }

private:
  std::string inner, ownName, summary;
};

bool registerProfileBackends(BackendRegistrar &registrar) {
  for (const std::string &inner : registeredBackends())
    if (!registrar.add("profile-" + inner, [inner] {
          return std::make_unique<ProfileBackend>(inner);
        }))
      return false;
  return true;
}

} // namespace

extern "C" const BackendPluginInfo *egGetBackendPluginInfo() {
  static const BackendPluginInfo info = {kBackendPluginAbiVersion, "profile",
                                         "1.0", registerProfileBackends};
  return &info;
}
