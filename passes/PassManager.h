//===- PassManager.h - Running pipelines ------------------------*- C++ -*-===//
//
// Runs passes in order over one graph, verifying after each (switchable),
// and calls instrumentations around every pass: IR printing, timing,
// statistics, fusion remarks. When a pass fails, or leaves a graph that
// does not verify, it writes a reproducer: the input IR and the exact
// pipeline, runnable with alibi-opt.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_PASSES_PASSMANAGER_H
#define EINSUM_PASSES_PASSMANAGER_H

#include "passes/Pass.h"

#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <vector>

namespace einsum {

class PassInstrumentation {
public:
  virtual ~PassInstrumentation() = default;
  /// Before the first pass, with the input graph.
  virtual void beforePipeline(const Graph &g) {}
  virtual void beforePass(const Pass &pass, const Graph &g) {}
  /// After a pass succeeded (and verified, if verification is on).
  virtual void afterPass(const Pass &pass, const Graph &g, bool changed) {}
  virtual void afterPassFailed(const Pass &pass, const Graph &g) {}
  /// After the whole pipeline ran (also after a failure).
  virtual void afterPipeline(const Graph &g) {}
};

class PassManager {
public:
  PassManager() = default;

  void addPass(std::unique_ptr<Pass> pass);
  void addPasses(std::vector<std::unique_ptr<Pass>> passes);
  void addInstrumentation(std::unique_ptr<PassInstrumentation> instr);
  void enableVerifier(bool on) { verifyEach = on; }
  /// Where to write a reproducer if the pipeline fails; empty: nowhere.
  void setReproducerPath(std::string path) { reproducer = std::move(path); }

  /// Runs every pass; stops at the first failure.
  llvm::Error run(Graph &g);

  llvm::ArrayRef<std::unique_ptr<Pass>> passes() const { return pipeline; }
  /// The pipeline as text that parsePipeline turns back into these passes.
  std::string pipelineText() const;
  PassContext &context() { return ctx; }

private:
  llvm::Error fail(const Pass &pass, const Graph &g, const std::string &input,
                   llvm::Error cause);

  std::vector<std::unique_ptr<Pass>> pipeline;
  std::vector<std::unique_ptr<PassInstrumentation>> instrumentations;
  PassContext ctx;
  bool verifyEach = true;
  std::string reproducer;
};

} // namespace einsum

#endif // EINSUM_PASSES_PASSMANAGER_H
