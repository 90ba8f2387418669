//===- RunGraph.h - Running a graph from the command line -------*- C++ -*-===//
#ifndef EINSUM_TOOLS_RUNGRAPH_H
#define EINSUM_TOOLS_RUNGRAPH_H

#include "backends/Backend.h"
#include "ir/Graph.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace einsum {

struct RunOptions {
  std::string backend = "reference";
  /// `NAME=PATH.npy`, one per graph argument.
  std::vector<std::string> inputs;
  /// Fill arguments without an --input with seeded uniform values in [-1, 1].
  std::optional<unsigned> randomSeed;
  /// Values of the graph's size symbols for the random inputs (--dim
  /// NAME=N); a symbol an --input file gives must agree with it.
  SizeBindings dims;
  /// Values the random inputs take for symbols neither --dim nor a file
  /// gives (what --build's --seq and --kv-seq say).
  SizeBindings defaultDims;
  /// Where `<output name>.npy` files go; none are written if empty.
  std::string outputDir;
  CompileOptions compile;
  /// Compare each output with `<dir>/<output name>.npy` and fail if any
  /// element differs by more than atol + rtol * |expected|. The files are
  /// read before anything runs; outputs that differ are still written to
  /// outputDir, for inspection.
  std::string expectedDir;
  double rtol = 1e-5, atol = 1e-5;
  /// If not 0: after the run (then a warm-up), time this many more runs
  /// into the same outputs.
  unsigned benchRuns = 0;
};

/// The timings of RunOptions::benchRuns runs.
struct BenchResult {
  double medianMs = 0, minMs = 0;
  /// The backend's compile, kernel tuning at first use included.
  double compileMs = 0;
  /// contractionFlops (ir/FlopCount.h) of the graph run.
  uint64_t flops = 0;
  /// The backend that ran.
  std::string backend;
  /// `median_ms=<x> min_ms=<y> gflops=<z> compile_ms=<c> backend=<name>`,
  /// gflops = flops / median time.
  std::string line() const;
};

/// Binds inputs, compiles and runs `g` on the chosen backend, writes the
/// outputs and prints one summary line per output to `os` (after a line
/// `backend=<name>`, and a line `sizes: ?s=N ...` when the graph has sizes
/// known only at run time). Every input, the
/// output directory and the expected outputs are checked before anything
/// runs, and outputs are written only when all of them were computed, so an
/// error leaves no output files (a mismatch with --expected-dir keeps them).
/// With `options.benchRuns`, `bench` (which must then be given) receives
/// the timings and the compile time, and the summary starts with what
/// Executable::describe says (the cpu backend's target and kernel shapes).
llvm::Error runGraph(const Graph &g, const RunOptions &options,
                     llvm::raw_ostream &os, BenchResult *bench = nullptr);

/// Deterministic pseudo-random data in [-1, 1] for a tensor of `type`
/// (integers 0..7 for i64): the same seed and name give the same values on
/// every machine. An error if the memory is refused.
llvm::Expected<TensorData> randomTensor(const TensorType &type, unsigned seed,
                                        llvm::StringRef name);

} // namespace einsum

#endif // EINSUM_TOOLS_RUNGRAPH_H
