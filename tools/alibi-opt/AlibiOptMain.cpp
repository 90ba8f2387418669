//===- AlibiOptMain.cpp - The alibi-opt driver ----------------------------===//
//
// 1. Parse the command line and load the backend plugins it names.
// 2. Read the input graph (a file or stdin), or build one (--build), and
//    verify it.
// 3. Either run it on a backend (--run), or emit it (--emit) to stdout or,
//    atomically, to -o FILE: the graph as text or DOT, or what the cpu
//    backend compiles it to ahead of time (backends/cpu/Aot.h).
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
#ifdef EG_HAVE_CPU_BACKEND
#include "backends/cpu/Aot.h"
#endif
#include "ir/ByteSize.h"
#include "ir/Dot.h"
#include "ir/OutputFile.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

namespace einsum {

namespace cl = llvm::cl;

namespace {

/// The graph itself (IR, Dot), or what the cpu backend compiles it to.
enum class EmitKind { IR, Dot, Mlir, LLVMIR, Assembly, Object, CHeader };

bool isNative(EmitKind kind) {
  return kind != EmitKind::IR && kind != EmitKind::Dot;
}

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
                 clEnumValN(EmitKind::Dot, "dot", "a Graphviz digraph"),
                 clEnumValN(EmitKind::Mlir, "mlir",
                            "cpu backend: the MLIR module the graph lowers to"),
                 clEnumValN(EmitKind::LLVMIR, "llvm",
                            "cpu backend: optimized LLVM IR for the host"),
                 clEnumValN(EmitKind::Assembly, "asm",
                            "cpu backend: assembly for the host"),
                 clEnumValN(EmitKind::Object, "obj",
                            "cpu backend: a relocatable object for the host "
                            "(needs -o)"),
                 clEnumValN(EmitKind::CHeader, "c-header",
                            "cpu backend: the C header of the entry point")),
      cl::cat(category)};
  cl::opt<std::string> entryName{
      "entry-name",
      cl::desc("--emit=mlir|llvm|asm|obj|c-header: name of the entry point, "
               "a C identifier (default: eg_main)"),
      cl::value_desc("name"), cl::init("eg_main"), cl::cat(category)};
  cl::opt<std::string> headerFile{
      "header",
      cl::desc("--emit=mlir|llvm|asm|obj: also write the entry point's C "
               "header to <file> (atomically), from the same compilation"),
      cl::value_desc("file"), cl::cat(category)};

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
                            cl::desc("Worker threads for --run, and of an "
                                     "object emitted ahead of time (0: one per "
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
  return writeOutputFile(path, text);
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
  case EmitKind::Mlir:
  case EmitKind::LLVMIR:
  case EmitKind::Assembly:
  case EmitKind::Object:
  case EmitKind::CHeader:
    llvm_unreachable("the cpu backend emits these (emitNative)");
  }
  return text;
}

static int fail(llvm::Error err) {
  llvm::outs().flush();
  printErrors(std::move(err), llvm::errs());
  return 1;
}

static llvm::StringRef emitName(EmitKind kind) {
  switch (kind) {
  case EmitKind::IR:
    return "ir";
  case EmitKind::Dot:
    return "dot";
  case EmitKind::Mlir:
    return "mlir";
  case EmitKind::LLVMIR:
    return "llvm";
  case EmitKind::Assembly:
    return "asm";
  case EmitKind::Object:
    return "obj";
  case EmitKind::CHeader:
    return "c-header";
  }
  llvm_unreachable("every emission is handled above");
}

/// The options of ahead-of-time compilation, checked before any input is
/// read.
static llvm::Error checkNativeOptions(const Options &opts) {
  std::string emit = "--emit=" + emitName(opts.emit).str();
  bool native = isNative(opts.emit);
  if (!native && (opts.entryName.getNumOccurrences() ||
                  opts.headerFile.getNumOccurrences()))
    return makeError("--entry-name and --header need --emit=mlir, llvm, asm, "
                     "obj or c-header");
  if (!native)
    return llvm::Error::success();
#ifndef EG_HAVE_CPU_BACKEND
  return makeError(fmt::format("{} needs the cpu backend, which this build "
                               "leaves out (EG_ENABLE_CPU_BACKEND=OFF)",
                               emit));
#else
  if (opts.run)
    return makeError(fmt::format("{} compiles the graph; --run runs it: give "
                                 "one of them",
                                 emit));
  if (opts.emit == EmitKind::CHeader && opts.headerFile.getNumOccurrences())
    return makeError("--header writes the C header next to another "
                     "emission; --emit=c-header emits it alone");
  if ((opts.splitInputFile || opts.verifyDiagnostics) &&
      (opts.emit == EmitKind::Object || opts.headerFile.getNumOccurrences()))
    return makeError("--split-input-file and --verify-diagnostics emit text "
                     "for each chunk; they cannot be used with --emit=obj or "
                     "--header");
  if (opts.headerFile == "-")
    return makeError("--header needs a file name; --emit=c-header prints "
                     "the header");
  if (opts.headerFile.getNumOccurrences() && opts.headerFile == opts.outputFile)
    return makeError(fmt::format("-o and --header both name '{}'",
                                 opts.headerFile.getValue()));
  if (opts.emit == EmitKind::Object) {
    if (!opts.outputFile.getNumOccurrences())
      return makeError("--emit=obj writes a binary object: give -o FILE "
                       "(or -o - for a pipe)");
    if (opts.outputFile == "-" && llvm::outs().is_displayed())
      return makeError("refusing to write a binary object to a terminal; "
                       "give -o FILE or redirect standard output");
  }
  return cpu::checkEntryName(opts.entryName);
#endif
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
  if (llvm::Error err = checkNativeOptions(opts))
    return err;
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

#ifdef EG_HAVE_CPU_BACKEND
static cpu::AotArtifact aotArtifact(EmitKind kind) {
  switch (kind) {
  case EmitKind::Mlir:
    return cpu::AotArtifact::Mlir;
  case EmitKind::LLVMIR:
    return cpu::AotArtifact::LLVMIR;
  case EmitKind::Assembly:
    return cpu::AotArtifact::Assembly;
  case EmitKind::Object:
    return cpu::AotArtifact::Object;
  case EmitKind::CHeader:
    return cpu::AotArtifact::CHeader;
  case EmitKind::IR:
  case EmitKind::Dot:
    break;
  }
  llvm_unreachable("not an ahead-of-time emission");
}
#endif

/// Compiles the graph ahead of time; the C header goes to `header` when
/// --header asks for it.
static llvm::Expected<std::string>
emitNative(const Graph &g, const Options &opts, std::string &header) {
#ifdef EG_HAVE_CPU_BACKEND
  cpu::AotOptions aot;
  aot.entryName = opts.entryName;
  aot.header = opts.headerFile.getNumOccurrences();
  // Single-threaded unless asked: such an object needs no OpenMP runtime.
  aot.threads = opts.threads.getNumOccurrences() ? opts.threads : 1;
  llvm::Expected<cpu::AotResult> result =
      cpu::compileAheadOfTime(g, aotArtifact(opts.emit), aot);
  if (!result)
    return result.takeError();
  header = std::move(result->header);
  return std::move(result->output);
#else
  // checkNativeOptions refuses native emissions in this build.
  llvm_unreachable("no cpu backend");
#endif
}

/// Runs the pipeline, then runs or emits the graph; returns the text for
/// standard output (or -o), and the C header for --header.
static llvm::Expected<std::string> processGraph(Graph &g, Options &opts,
                                                std::string &header) {
  if (opts.passes.hasPipeline())
    if (llvm::Error err = opts.passes.run(g, llvm::errs()))
      return std::move(err);
  if (!opts.run)
    return isNative(opts.emit) ? emitNative(g, opts, header)
                               : emitText(g, opts.emit);
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

static llvm::Expected<std::string> processChunk(llvm::StringRef text,
                                                llvm::StringRef fileName,
                                                Options &opts,
                                                std::string &header) {
  llvm::Expected<Graph> g = parseGraph(text, fileName);
  if (!g)
    return g.takeError();
  if (llvm::Error err = verify(*g))
    return std::move(err);
  return processGraph(*g, opts, header);
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

  std::string output, header;
  bool failed = false;
  if (opts.build.getNumOccurrences()) {
    llvm::Expected<Graph> g = buildFromOptions(opts);
    llvm::Expected<std::string> out =
        g ? processGraph(*g, opts, header) : g.takeError();
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
          processChunk(chunks[i].text, fileName, opts, header);
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
  if (failed && (opts.outputFile != "-" || opts.headerFile.getNumOccurrences()))
    return 1;
  if (llvm::Error err = writeOutput(opts.outputFile, output))
    return fail(std::move(err));
  // The object and its header go together: without one, neither.
  if (opts.headerFile.getNumOccurrences())
    if (llvm::Error err = writeOutputFile(opts.headerFile, header)) {
      if (opts.outputFile != "-")
        removeOutputFile(opts.outputFile);
      return fail(std::move(err));
    }
  return failed ? 1 : 0;
}

} // namespace einsum
