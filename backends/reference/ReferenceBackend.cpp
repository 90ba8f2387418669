//===- ReferenceBackend.cpp - The interpreter as a Backend ----------------===//
#include "backends/reference/ReferenceBackend.h"

#include "backends/MemoryPlan.h"
#include "backends/reference/Interpreter.h"
#include "ir/Diagnostic.h"
#include "ir/Verifier.h"

#include <cstring>

namespace einsum {

namespace {

class ReferenceExecutable : public Executable {
public:
  ReferenceExecutable(const Graph &g, reference::Schedule schedule)
      : Executable(g), graph(g), schedule(std::move(schedule)) {}

protected:
  llvm::Error runImpl(llvm::ArrayRef<const TensorData *> inputs,
                      llvm::ArrayRef<TensorData *> outputs) override {
    llvm::Expected<std::vector<TensorData>> results =
        reference::runSchedule(graph, schedule, inputs);
    if (!results)
      return results.takeError();
    // Copied into the caller's buffers rather than moved over them, so
    // pointers the caller holds into those buffers stay valid.
    for (size_t i = 0; i < outputs.size(); ++i)
      std::memcpy(outputs[i]->raw(), (*results)[i].raw(),
                  (*results)[i].sizeInBytes());
    return llvm::Error::success();
  }

private:
  /// A private copy: the executable outlives the caller's graph.
  Graph graph;
  reference::Schedule schedule;
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
    // The run frees as the schedule says, which is the default model's
    // lifetimes; the evaluators' working copies in double come on top.
    PeakMemory peak = peakMemory(g, schedule->order, BufferModel());
    if (peak.bytes > memoryLimit(options))
      return memoryLimitError(peak.bytes, peak.largestHolder, peak.largestBytes,
                              options);
    return std::make_unique<ReferenceExecutable>(g, std::move(*schedule));
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
  std::vector<TensorData> results;
  for (const TensorType &t : (*exe)->resultTypes()) {
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
