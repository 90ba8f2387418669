//===- ReferenceBackend.cpp - The interpreter as a Backend ----------------===//
#include "backends/reference/ReferenceBackend.h"

#include "backends/MemoryPlan.h"
#include "backends/reference/Interpreter.h"
#include "ir/Diagnostic.h"
#include "ir/Verifier.h"

#include <cstring>

namespace einsum {

namespace {

/// The interpreter's peak against the limit, before anything runs. The run
/// frees as the schedule says, which is the default model's lifetimes; the
/// evaluators' working copies in double come on top.
llvm::Error checkMemory(const Graph &g, const reference::Schedule &schedule,
                        const CompileOptions &options) {
  PeakMemory peak = peakMemory(g, schedule.order, BufferModel());
  if (peak.bytes > memoryLimit(options))
    return memoryLimitError(peak.bytes, peak.largestHolder, peak.largestBytes,
                            options);
  return llvm::Error::success();
}

class ReferenceExecutable : public Executable {
public:
  ReferenceExecutable(const Graph &g, reference::Schedule schedule,
                      CompileOptions options)
      : Executable(g), graph(g), schedule(std::move(schedule)),
        options(options) {}

protected:
  llvm::Error runImpl(llvm::ArrayRef<const TensorData *> inputs,
                      llvm::ArrayRef<TensorData *> outputs,
                      const SizeBindings &sizes) override {
    if (sizes.empty())
      return runGraph(graph, schedule, inputs, outputs);
    // Sizes known only now: the interpreter runs the graph they make, and
    // verifies it first, so the oracle checks the symbolic reasoning that
    // let the graph through too.
    llvm::Expected<Graph> g = specializeGraph(graph, sizes);
    if (!g)
      return g.takeError();
    if (llvm::Error err = verify(*g))
      return makeError("with " + bindingsStr(sizes) + ": " +
                       firstMessage(std::move(err)));
    llvm::Expected<reference::Schedule> s = reference::makeSchedule(*g);
    if (!s)
      return s.takeError();
    if (llvm::Error err = checkMemory(*g, *s, options))
      return err;
    return runGraph(*g, *s, inputs, outputs);
  }

private:
  static llvm::Error runGraph(const Graph &g, const reference::Schedule &s,
                              llvm::ArrayRef<const TensorData *> inputs,
                              llvm::ArrayRef<TensorData *> outputs) {
    llvm::Expected<std::vector<TensorData>> results =
        reference::runSchedule(g, s, inputs);
    if (!results)
      return results.takeError();
    // Copied into the caller's buffers rather than moved over them, so
    // pointers the caller holds into those buffers stay valid.
    for (size_t i = 0; i < outputs.size(); ++i)
      std::memcpy(outputs[i]->raw(), (*results)[i].raw(),
                  (*results)[i].sizeInBytes());
    return llvm::Error::success();
  }

  /// A private copy: the executable outlives the caller's graph.
  Graph graph;
  reference::Schedule schedule;
  CompileOptions options;
};

class ReferenceBackend : public Backend {
public:
  llvm::StringRef name() const override { return "reference"; }
  llvm::StringRef description() const override {
    return "node-by-node interpreter accumulating in double; the oracle";
  }
  llvm::Expected<std::unique_ptr<Executable>>
  compile(const Graph &g, const CompileOptions &options) override {
    // The contract says `g` is verified; checking again is cheap next to
    // running it and turns a caller's mistake into a message, not a crash.
    if (llvm::Error err = verify(g))
      return err;
    llvm::Expected<reference::Schedule> schedule = reference::makeSchedule(g);
    if (!schedule)
      return schedule.takeError();
    // With sizes known only at run time, the memory is checked then.
    if (graphSymbols(g).empty())
      if (llvm::Error err = checkMemory(g, *schedule, options))
        return err;
    return std::make_unique<ReferenceExecutable>(g, std::move(*schedule),
                                                 options);
  }
};

} // namespace

std::unique_ptr<Backend> createReferenceBackend() {
  return std::make_unique<ReferenceBackend>();
}

llvm::Expected<std::vector<TensorData>>
interpret(const Graph &g, llvm::ArrayRef<const TensorData *> inputs) {
  llvm::Expected<std::unique_ptr<Executable>> exe =
      ReferenceBackend().compile(g, {});
  if (!exe)
    return exe.takeError();
  std::vector<TensorType> inputTypes;
  for (const TensorData *t : inputs)
    if (t)
      inputTypes.push_back(t->type());
  llvm::Expected<std::vector<TensorType>> types =
      inputTypes.size() == inputs.size() && (*exe)->hasSymbolicSizes()
          ? (*exe)->resultTypesFor(inputTypes)
          : llvm::Expected<std::vector<TensorType>>((*exe)->resultTypes().vec());
  if (!types)
    return types.takeError();
  std::vector<TensorData> results;
  for (const TensorType &t : *types) {
    llvm::Expected<TensorData> r = TensorData::allocate(t);
    if (!r)
      return r.takeError();
    results.push_back(std::move(*r));
  }
  std::vector<TensorData *> outputs;
  for (TensorData &r : results)
    outputs.push_back(&r);
  if (llvm::Error err = (*exe)->run(inputs, outputs))
    return std::move(err);
  return results;
}

} // namespace einsum
