//===- PassCommandLine.h - alibi-opt's pass options -------------*- C++ -*-===//
#ifndef EINSUM_TOOLS_PASSCOMMANDLINE_H
#define EINSUM_TOOLS_PASSCOMMANDLINE_H

#include "passes/Instrumentation.h"
#include "passes/PassManager.h"

#include "llvm/Support/CommandLine.h"

namespace einsum {

/// -O0 .. -O3, or none given.
enum class OptLevel { Unset = -1, O0, O1, O2, O3 };

/// The options that choose and instrument the pipeline, as mlir-opt's.
struct PassCommandLine {
  explicit PassCommandLine(llvm::cl::OptionCategory &category);

  llvm::cl::opt<std::string> passPipeline;
  llvm::cl::opt<OptLevel> optLevel;
  llvm::cl::opt<bool> listPasses;
  llvm::cl::list<std::string> printIRBefore;
  llvm::cl::list<std::string> printIRAfter;
  llvm::cl::opt<bool> printIRAfterAll;
  llvm::cl::opt<bool> printIRAfterChange;
  llvm::cl::opt<std::string> printIRTreeDir;
  llvm::cl::opt<bool> timing;
  llvm::cl::opt<TimingFormat> timingFormat;
  llvm::cl::opt<bool> passStatistics;
  llvm::cl::opt<bool> debugFusion;
  llvm::cl::opt<bool> verifyEach;
  llvm::cl::opt<std::string> reproducer;

  /// Whether any pass was asked for.
  bool hasPipeline() const;
  /// Whether both --pass-pipeline and -O<n> choose the pipeline (refused
  /// with the other flag combinations, by validate in Options.h).
  bool hasTwoPipelines() const;
  /// The pass manager these options describe, or a diagnostic for an
  /// unknown pass or option; `printer` is its IR printer, or null.
  llvm::Expected<std::unique_ptr<PassManager>>
  buildPassManager(llvm::raw_ostream &diagnostics, IRPrinter *&printer);
  /// Runs the pipeline on `g` and prints statistics if asked. IR dumps that
  /// could not be written fail the run.
  llvm::Error run(Graph &g, llvm::raw_ostream &diagnostics);
};

/// `--list-passes`: every pass with its summary and options, and the named
/// pipelines.
void printPassList(llvm::raw_ostream &os);

/// `--pass-reference`: the same as Markdown, for docs/passes.md.
void printPassReference(llvm::raw_ostream &os);

} // namespace einsum

#endif // EINSUM_TOOLS_PASSCOMMANDLINE_H
