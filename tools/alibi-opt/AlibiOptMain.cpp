//===- AlibiOptMain.cpp - The alibi-opt driver ----------------------------===//
//
// 1. Parse the command line and load the backend plugins it names.
// 2. Read the input graph (a file or stdin), or build one (--build), and
//    verify it.
// 3. Either run it on a backend (--run), or emit it (--emit) to stdout or,
//    atomically, to -o FILE.
//
//===----------------------------------------------------------------------===//
#include "tools/alibi-opt/AlibiOptMain.h"
#include "tools/alibi-opt/BuildGraph.h"
#include "tools/alibi-opt/DiagnosticVerifier.h"
#include "tools/alibi-opt/OpReference.h"
#include "tools/alibi-opt/PassCommandLine.h"
#include "tools/alibi-opt/RunGraph.h"

#include "backends/Backend.h"
#include "backends/PluginLoader.h"
#include "ir/ByteSize.h"
#include "ir/Dot.h"
#include "ir/Npy.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

namespace einsum {

namespace cl = llvm::cl;

namespace {

enum class EmitKind { IR, Dot };

/// Every option, in one place, in the tool's own category so that --help
/// does not list LLVM's internal options.
struct Options {
  cl::OptionCategory category{"alibi-opt options"};

  cl::opt<std::string> inputFile{cl::Positional, cl::desc("<input .eg file>"),
                                 cl::init("-"), cl::cat(category)};
  cl::opt<std::string> outputFile{
      "o", cl::desc("Write the emitted text to <file> (atomically)"),
      cl::value_desc("file"), cl::init("-"), cl::cat(category)};
  cl::opt<EmitKind> emit{
      "emit", cl::desc("What to emit"), cl::init(EmitKind::IR),
      cl::values(clEnumValN(EmitKind::IR, "ir", "the graph as text (default)"),
                 clEnumValN(EmitKind::Dot, "dot", "a Graphviz digraph")),
      cl::cat(category)};

  cl::opt<bool> run{"run", cl::desc("Run the graph instead of emitting it"),
                    cl::cat(category)};
  cl::opt<std::string> backend{"backend",
                               cl::desc("Backend for --run (default: "
                                        "reference; see --list-backends)"),
                               cl::value_desc("name"), cl::init("reference"),
                               cl::cat(category)};
  cl::list<std::string> loadBackends{
      "load-backend",
      cl::desc("Load a shared library that registers backends (a backend "
               "plugin, see docs/plugins.md; repeat for several)"),
      cl::value_desc("path"), cl::cat(category)};
  cl::opt<bool> listBackends{
      "list-backends",
      cl::desc("List the registered backends, with those of --load-backend"),
      cl::cat(category)};
  cl::opt<std::string> bench{
      "bench",
      cl::desc("With --run: after a warm-up run, time N more runs and print "
               "'median_ms=<x> min_ms=<y> gflops=<z>' as the only line of "
               "standard output (the run's summary goes to standard error)"),
      cl::value_desc("N"), cl::cat(category)};
  /// --bench as a number; 0 without --bench.
  unsigned benchRuns = 0;
  cl::list<std::string> inputs{
      "input", cl::desc("Bind graph argument NAME to a .npy file (repeat)"),
      cl::value_desc("NAME=PATH.npy"), cl::cat(category)};
  cl::opt<bool> randomInputs{
      "random-inputs",
      cl::desc("Fill arguments without --input with seeded random values"),
      cl::cat(category)};
  cl::opt<unsigned> seed{"seed", cl::desc("Seed for --random-inputs"),
                         cl::init(0), cl::cat(category)};
  cl::opt<std::string> outputDir{
      "output-dir", cl::desc("Write <output name>.npy for each graph output"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<std::string> expectedDir{
      "expected-dir",
      cl::desc("After --run, compare each output with <dir>/<name>.npy"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<double> rtol{"rtol", cl::desc("Relative tolerance of --expected-dir"),
                       cl::init(1e-5), cl::cat(category)};
  cl::opt<double> atol{"atol", cl::desc("Absolute tolerance of --expected-dir"),
                       cl::init(1e-5), cl::cat(category)};
  cl::opt<bool> opReference{
      "op-reference",
      cl::desc("Print the op reference (Markdown) generated from the op table"),
      cl::cat(category)};
  cl::opt<bool> passReference{
      "pass-reference",
      cl::desc("Print the pass reference (Markdown) generated from the "
               "registry"),
      cl::cat(category)};
  cl::opt<bool> splitInputFile{
      "split-input-file",
      cl::desc("Treat each '// -----' separated chunk of the input as its "
               "own graph; outputs are joined by the same separator"),
      cl::cat(category)};
  cl::opt<bool> verifyDiagnostics{
      "verify-diagnostics",
      cl::desc("Check the diagnostics against the input's expected-error "
               "annotations instead of printing them"),
      cl::cat(category)};
  PassCommandLine passes{category};
  cl::opt<unsigned> threads{"threads",
                            cl::desc("Worker threads for --run (0: one per "
                                     "core)"),
                            cl::init(0), cl::cat(category)};
  cl::opt<std::string> maxMemory{
      "max-memory",
      cl::desc("Refuse to --run a graph needing more memory than this at its "
               "peak: bytes, or a number with K, M, G or T (default: half "
               "the physical memory)"),
      cl::value_desc("size"), cl::cat(category)};
  /// --max-memory in bytes; 0 for the default.
  uint64_t maxMemoryBytes = 0;

  // --build and the options that shape the built graph.
  cl::opt<BuildKind> build{
      "build",
      cl::desc("Build a graph with the ir/nn API instead of reading one"),
      cl::values(clEnumValN(BuildKind::Attention, "attention",
                            "softmax(q k^T * scale + bias) v"),
                 clEnumValN(BuildKind::AlibiBias, "alibi-bias",
                            "the original API's four-node ALiBi bias graph")),
      cl::cat(category)};
  cl::opt<int64_t> batch{"batch", cl::desc("--build: batch size (1)"),
                         cl::value_desc("n"), cl::cat(category)};
  cl::opt<int64_t> heads{"heads", cl::desc("--build: query heads (12)"),
                         cl::value_desc("n"), cl::cat(category)};
  cl::opt<int64_t> kvHeads{"kv-heads",
                           cl::desc("--build: key/value heads (= --heads)"),
                           cl::value_desc("n"), cl::cat(category)};
  cl::opt<int64_t> seq{"seq", cl::desc("--build: queries (64)"),
                       cl::value_desc("n"), cl::cat(category)};
  cl::opt<int64_t> kvSeq{"kv-seq", cl::desc("--build: keys (= --seq)"),
                         cl::value_desc("n"), cl::cat(category)};
  cl::opt<int64_t> headDim{"head-dim", cl::desc("--build: head dimension (32)"),
                           cl::value_desc("n"), cl::cat(category)};
  cl::opt<nn::PositionBias> position{
      "position", cl::desc("--build: position encoding (none)"),
      cl::values(clEnumValN(nn::PositionBias::None, "none", "none"),
                 clEnumValN(nn::PositionBias::Alibi, "alibi", "ALiBi bias"),
                 clEnumValN(nn::PositionBias::Relative, "relative",
                            "T5 relative buckets"),
                 clEnumValN(nn::PositionBias::Rotary, "rotary", "RoPE")),
      cl::cat(category)};
  cl::opt<SlopeRecipe> slopes{
      "slopes", cl::desc("--build: ALiBi slope recipe (paper)"),
      cl::values(clEnumValN(SlopeRecipe::Paper, "paper", "Press et al."),
                 clEnumValN(SlopeRecipe::Seed, "seed", "2^(-8i/n)")),
      cl::cat(category)};
  cl::opt<double> maxBias{"max-bias", cl::desc("--build: ALiBi max bias (8)"),
                          cl::value_desc("b"), cl::cat(category)};
  cl::opt<bool> causal{"causal", cl::desc("--build: causal attention"),
                       cl::cat(category)};
  cl::opt<DType> dtype{"dtype", cl::desc("--build: element type (f32)"),
                       cl::values(clEnumValN(DType::F32, "f32", "f32"),
                                  clEnumValN(DType::F64, "f64", "f64")),
                       cl::cat(category)};
};

} // namespace

/// A piece of the input processed on its own. Its text is preceded by as
/// many newlines as lines before it, so locations are the file's.
struct Chunk {
  std::string text;
};

static std::vector<Chunk> splitInput(llvm::StringRef text, bool split) {
  if (!split)
    return {Chunk{text.str()}};
  std::vector<Chunk> chunks;
  std::string current;
  unsigned line = 0, firstLine = 0;
  while (!text.empty()) {
    auto [lineText, rest] = text.split('\n');
    bool hasNewline = text.size() > lineText.size();
    text = rest;
    ++line;
    if (lineText.rtrim("\r").trim() == "// -----") {
      chunks.push_back(Chunk{std::string(firstLine, '\n') + current});
      current.clear();
      firstLine = line;
      continue;
    }
    current += lineText;
    if (hasNewline)
      current += '\n';
  }
  chunks.push_back(Chunk{std::string(firstLine, '\n') + current});
  return chunks;
}

template <typename T> static std::optional<T> given(const cl::opt<T> &option) {
  if (!option.getNumOccurrences())
    return std::nullopt;
  return option.getValue();
}

static llvm::Expected<Graph> buildFromOptions(const Options &opts) {
  if (opts.inputFile.getNumOccurrences())
    return makeError(fmt::format("--build makes its own graph; do not also "
                                 "give an input file ('{}')",
                                 opts.inputFile.getValue()));
  BuildOptions b{opts.build,          given(opts.batch),    given(opts.heads),
                 given(opts.kvHeads), given(opts.seq),      given(opts.kvSeq),
                 given(opts.headDim), given(opts.position), given(opts.slopes),
                 given(opts.maxBias), given(opts.causal),   given(opts.dtype)};
  llvm::Expected<Graph> g = buildGraph(b);
  if (!g)
    return g.takeError();
  if (llvm::Error err = verify(*g))
    return err;
  return g;
}

static llvm::Error writeOutput(llvm::StringRef path, llvm::StringRef text) {
  if (path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return llvm::Error::success();
  }
  return writeFileAtomically(path, text);
}

static std::string emitText(const Graph &g, EmitKind kind) {
  std::string text;
  llvm::raw_string_ostream os(text);
  switch (kind) {
  case EmitKind::IR:
    printGraph(g, os);
    break;
  case EmitKind::Dot:
    exportDot(g, os);
    break;
  }
  return text;
}

static int fail(llvm::Error err) {
  llvm::outs().flush();
  printErrors(std::move(err), llvm::errs());
  return 1;
}

/// Refuses options that would be silently ignored, and reads the ones given
/// as text.
static llvm::Error checkOptions(Options &opts) {
  for (const cl::Option *o : std::initializer_list<const cl::Option *>{
           &opts.batch, &opts.heads, &opts.kvHeads, &opts.seq, &opts.kvSeq,
           &opts.headDim, &opts.position, &opts.slopes, &opts.maxBias,
           &opts.causal, &opts.dtype})
    if (o->getNumOccurrences() && !opts.build.getNumOccurrences())
      return makeError(fmt::format("--{} needs --build", o->ArgStr.str()));
  if (!opts.run && (!opts.inputs.empty() || !opts.outputDir.empty() ||
                    opts.randomInputs || !opts.expectedDir.empty()))
    return makeError("--input, --random-inputs, --output-dir and "
                     "--expected-dir need --run");
  if (opts.maxMemory.getNumOccurrences() && !opts.run)
    return makeError("--max-memory needs --run");
  if (opts.bench.getNumOccurrences() && !opts.run)
    return makeError("--bench needs --run");
  if (opts.bench.getNumOccurrences() && opts.splitInputFile)
    return makeError("--bench times one graph; it cannot be used with "
                     "--split-input-file");
  if (opts.build.getNumOccurrences() &&
      (opts.splitInputFile || opts.verifyDiagnostics))
    return makeError("--split-input-file and --verify-diagnostics read an "
                     "input file; --build makes its own graph");
  if (opts.maxMemory.getNumOccurrences()) {
    llvm::Expected<uint64_t> bytes = parseByteSize(opts.maxMemory);
    if (!bytes)
      return makeError("--max-memory: " + firstMessage(bytes.takeError()));
    opts.maxMemoryBytes = *bytes;
  }
  if (opts.bench.getNumOccurrences()) {
    // A million runs is beyond any useful measurement, and the list of
    // their times stays small.
    constexpr unsigned maxRuns = 1000000;
    unsigned runs = 0;
    if (llvm::StringRef(opts.bench).getAsInteger(10, runs) || runs == 0 ||
        runs > maxRuns)
      return makeError(fmt::format("--bench expects a number of runs from 1 "
                                   "to {}, got '{}'",
                                   maxRuns, opts.bench.getValue()));
    opts.benchRuns = runs;
  }
  return llvm::Error::success();
}

/// Runs the pipeline, then runs or emits the graph; returns the text for
/// standard output (or -o).
static llvm::Expected<std::string> processGraph(Graph &g, Options &opts) {
  if (opts.passes.hasPipeline())
    if (llvm::Error err = opts.passes.run(g, llvm::errs()))
      return std::move(err);
  if (!opts.run)
    return emitText(g, opts.emit);
  RunOptions run;
  run.backend = opts.backend;
  run.inputs.assign(opts.inputs.begin(), opts.inputs.end());
  if (opts.randomInputs)
    run.randomSeed = opts.seed;
  run.outputDir = opts.outputDir;
  run.compile.threads = opts.threads;
  run.compile.maxMemoryBytes = opts.maxMemoryBytes;
  run.expectedDir = opts.expectedDir;
  run.rtol = opts.rtol;
  run.atol = opts.atol;
  run.benchRuns = opts.benchRuns;
  std::string summary;
  llvm::raw_string_ostream os(summary);
  BenchResult bench;
  if (llvm::Error err = runGraph(g, run, os, &bench))
    return std::move(err);
  if (!opts.benchRuns)
    return summary;
  // Standard output (or -o) holds only the line scripts read.
  llvm::errs() << summary;
  return bench.line() + "\n";
}

static llvm::Expected<std::string>
processChunk(llvm::StringRef text, llvm::StringRef fileName, Options &opts) {
  llvm::Expected<Graph> g = parseGraph(text, fileName);
  if (!g)
    return g.takeError();
  if (llvm::Error err = verify(*g))
    return std::move(err);
  return processGraph(*g, opts);
}

static void printBackendList(llvm::raw_ostream &os) {
  os << "Backends:\n";
  for (const std::string &name : registeredBackends()) {
    llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(name);
    std::string description =
        backend
            ? (*backend)->description().str()
            : "(cannot be created: " + firstMessage(backend.takeError()) + ")";
    os << fmt::format("  {:<24} {}\n", name, description);
  }
}

/// libLLVM registers internal options globally; drop the ones whose names
/// our tool uses, so that ours can be declared (ours hide all of LLVM's in
/// --help anyway).
static void unregisterClashingLLVMOptions() {
  llvm::StringMap<cl::Option *> &registered = cl::getRegisteredOptions();
  for (llvm::StringRef name : {"threads"}) {
    auto it = registered.find(name);
    if (it != registered.end())
      it->second->removeArgument();
  }
}

int alibiOptMain(int argc, char **argv) {
  unregisterClashingLLVMOptions();
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "alibi-opt " << EG_VERSION << " (EinsumGraph, LLVM "
       << LLVM_VERSION_STRING << ")\n";
  });
  registerBuiltinBackends();
  registerAllPasses();
  std::string parseErrors;
  llvm::raw_string_ostream parseErrorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "alibi-opt: reads, verifies, transforms and runs EinsumGraph "
          "programs\n",
          &parseErrorStream)) {
    llvm::errs() << parseErrorStream.str();
    return 1;
  }

  for (const std::string &path : opts.loadBackends) {
    llvm::Expected<LoadedBackendPlugin> plugin = loadBackendPlugin(path);
    if (!plugin)
      return fail(plugin.takeError());
  }

  if (opts.opReference) {
    printOpReference(llvm::outs());
    return 0;
  }
  if (opts.passReference) {
    printPassReference(llvm::outs());
    return 0;
  }
  if (opts.passes.listPasses) {
    printPassList(llvm::outs());
    return 0;
  }
  if (opts.listBackends) {
    printBackendList(llvm::outs());
    return 0;
  }
  if (llvm::Error err = checkOptions(opts))
    return fail(std::move(err));

  std::string output;
  bool failed = false;
  if (opts.build.getNumOccurrences()) {
    llvm::Expected<Graph> g = buildFromOptions(opts);
    llvm::Expected<std::string> out =
        g ? processGraph(*g, opts) : g.takeError();
    if (!out)
      return fail(out.takeError());
    output = std::move(*out);
  } else {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        llvm::MemoryBuffer::getFileOrSTDIN(opts.inputFile, /*IsText=*/true);
    if (!buffer)
      return fail(makeError(fmt::format("cannot read '{}': {}",
                                        opts.inputFile.getValue(),
                                        buffer.getError().message())));
    std::string fileName =
        opts.inputFile == "-" ? "<stdin>" : opts.inputFile.getValue();
    std::vector<Chunk> chunks =
        splitInput((*buffer)->getBuffer(), opts.splitInputFile);
    for (size_t i = 0; i < chunks.size(); ++i) {
      llvm::Expected<std::string> out =
          processChunk(chunks[i].text, fileName, opts);
      llvm::Error err = out ? llvm::Error::success() : out.takeError();
      if (opts.verifyDiagnostics) {
        std::vector<Diagnostic> produced = takeDiagnostics(std::move(err));
        err = verifyDiagnostics(chunks[i].text, fileName, produced);
      }
      if (err) {
        printErrors(std::move(err), llvm::errs());
        failed = true;
        continue;
      }
      if (i)
        output += "// -----\n";
      if (out)
        output += *out;
    }
  }
  // A failed chunk means no output file at all, never a partial one.
  if (failed && opts.outputFile != "-")
    return 1;
  if (llvm::Error err = writeOutput(opts.outputFile, output))
    return fail(std::move(err));
  return failed ? 1 : 0;
}

} // namespace einsum
