//===- Instrumentation.h - Printing, timing, statistics, remarks -*- C++
//-*-===//
#ifndef EINSUM_PASSES_INSTRUMENTATION_H
#define EINSUM_PASSES_INSTRUMENTATION_H

#include "passes/PassManager.h"

#include <chrono>
#include <set>

namespace einsum {

struct IRPrintingOptions {
  std::set<std::string> beforePasses;
  std::set<std::string> afterPasses;
  bool afterAll = false;
  /// After any pass that changed the graph.
  bool afterChange = false;
  /// One numbered file per step that changed the graph (every step with
  /// afterAll) into this directory, created with its parents if missing,
  /// instead of the stream: 00-input.eg, 01-canonicalize.eg, ...
  std::string treeDir;
};

/// Prints the graph around passes, as mlir-opt's -mlir-print-ir-*.
class IRPrinter : public PassInstrumentation {
public:
  IRPrinter(IRPrintingOptions options, llvm::raw_ostream &os)
      : opts(std::move(options)), os(os) {}
  void beforePipeline(const Graph &g) override;
  void beforePass(const Pass &pass, const Graph &g) override;
  void afterPass(const Pass &pass, const Graph &g, bool changed) override;
  void afterPassFailed(const Pass &pass, const Graph &g) override;
  /// The first file (or the tree directory) that could not be written, if
  /// any. A pipeline that printed into a tree must check it: the pass
  /// manager's result does not include it.
  llvm::Error takeError() { return std::move(writeError); }

private:
  void emit(llvm::StringRef when, const Pass *pass, const Graph &g);
  void keepFirstError(llvm::Error err);

  IRPrintingOptions opts;
  llvm::raw_ostream &os;
  unsigned step = 0;
  llvm::Error writeError = llvm::Error::success();
};

enum class TimingFormat { Text, Json };

/// Wall time per pass, printed after the pipeline.
class PassTimer : public PassInstrumentation {
public:
  PassTimer(TimingFormat format, llvm::raw_ostream &os)
      : format(format), os(os) {}
  void beforePipeline(const Graph &g) override;
  void beforePass(const Pass &pass, const Graph &g) override;
  void afterPass(const Pass &pass, const Graph &g, bool changed) override;
  void afterPassFailed(const Pass &pass, const Graph &g) override;
  void afterPipeline(const Graph &g) override;

private:
  void stop(const Pass &pass);
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string pass;
    double seconds;
  };
  TimingFormat format;
  llvm::raw_ostream &os;
  Clock::time_point pipelineStart, passStart;
  std::vector<Entry> entries;
};

/// Prints each fusion remark as the pass that made it finishes.
class FusionRemarkPrinter : public PassInstrumentation {
public:
  FusionRemarkPrinter(PassContext &ctx, llvm::raw_ostream &os)
      : ctx(ctx), os(os) {}
  void afterPass(const Pass &pass, const Graph &g, bool changed) override;
  void afterPassFailed(const Pass &pass, const Graph &g) override;

private:
  PassContext &ctx;
  llvm::raw_ostream &os;
};

/// Each pass's statistics, in pipeline order.
void printPassStatistics(const PassManager &pm, llvm::raw_ostream &os);

} // namespace einsum

#endif // EINSUM_PASSES_INSTRUMENTATION_H
