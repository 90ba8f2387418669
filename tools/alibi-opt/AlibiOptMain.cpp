//===- AlibiOptMain.cpp - The alibi-opt driver ----------------------------===//
//
// One pipeline, top to bottom (alibiOptMain):
// 1. Parse the command line, load the backend plugins it names and refuse
//    what cannot go together (Options.h), before anything is read.
// 2. Read the input (a file or stdin, at most --max-input-size, in chunks
//    with --split-input-file), or build a graph (--build).
// 3. For each graph (processGraph): verify it, run the pass pipeline, then
//    compile it on a backend and run it (--run), or have a backend emit it
//    ahead of time (Backend::emit), or print it as text or DOT.
// 4. Write the result to stdout or, atomically, to -o FILE, and the C
//    header to --header FILE: all of it, or nothing if any graph failed.
//
//===----------------------------------------------------------------------===//
#include "tools/alibi-opt/AlibiOptMain.h"
#include "tools/alibi-opt/BuildGraph.h"
#include "tools/alibi-opt/DiagnosticVerifier.h"
#include "tools/alibi-opt/InputChunks.h"
#include "tools/alibi-opt/OpReference.h"
#include "tools/alibi-opt/Options.h"
#include "tools/alibi-opt/PassCommandLine.h"
#include "tools/alibi-opt/RunGraph.h"

#include "backends/Backend.h"
#include "backends/PluginLoader.h"
#include "ir/Dot.h"
#include "ir/InputFile.h"
#include "ir/OutputFile.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

namespace einsum {

namespace cl = llvm::cl;

static int fail(llvm::Error err) {
  llvm::outs().flush();
  printErrors(std::move(err), llvm::errs());
  return 1;
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

static bool parseCommandLine(int argc, char **argv, Options &opts) {
  cl::HideUnrelatedOptions(opts.category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "alibi-opt " << EG_VERSION << " (EinsumGraph, LLVM "
       << LLVM_VERSION_STRING << ")\n";
  });
  registerBuiltinBackends();
  registerAllPasses();
  std::string parseErrors;
  llvm::raw_string_ostream parseErrorStream(parseErrors);
  if (cl::ParseCommandLineOptions(
          argc, argv,
          "alibi-opt: reads, verifies, transforms and runs EinsumGraph "
          "programs\n",
          &parseErrorStream))
    return true;
  llvm::errs() << parseErrorStream.str();
  return false;
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

/// --op-reference, --pass-reference, --list-passes and --list-backends
/// print what they name instead of processing a graph; false if none is
/// given.
static bool printListing(const Options &opts) {
  if (opts.opReference)
    printOpReference(llvm::outs());
  else if (opts.passReference)
    printPassReference(llvm::outs());
  else if (opts.passes.listPasses)
    printPassList(llvm::outs());
  else if (opts.listBackends)
    printBackendList(llvm::outs());
  else
    return false;
  return true;
}

/// The chunks of the input file, or one empty chunk standing for the graph
/// --build makes.
static llvm::Expected<std::vector<Chunk>> readInput(const Options &opts) {
  if (opts.build.getNumOccurrences())
    return std::vector<Chunk>{Chunk{}};
  // Read in pieces up to --max-input-size: the input may be /dev/zero or a
  // FIFO that never ends.
  llvm::Expected<std::string> text =
      readInputFile(opts.inputFile, maxInputBytes(opts), "--max-input-size");
  if (!text)
    return text.takeError();
  return splitInput(*text, opts.splitInputFile);
}

static std::string graphText(const Graph &g, EmitKind kind) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (kind == EmitKind::Dot)
    exportDot(g, os);
  else
    printGraph(g, os);
  return text;
}

static llvm::Expected<EmitResult>
emitAheadOfTime(const Graph &g, EmitArtifact artifact, const Options &opts) {
  llvm::Expected<std::unique_ptr<Backend>> backend =
      createBackend(emitBackendName(opts));
  if (!backend)
    return backend.takeError();
  return (*backend)->emit(g, artifact, emitOptions(opts));
}

/// Compiles and runs `g` (RunGraph.h); the summary is the output, or with
/// --bench the timing line is, and the summary goes to standard error.
static llvm::Expected<EmitResult> runOnBackend(const Graph &g,
                                               const Options &opts,
                                               SizeBindings defaultSizes) {
  RunOptions run = runOptions(opts);
  run.defaultDims = std::move(defaultSizes);
  std::string summary;
  llvm::raw_string_ostream os(summary);
  BenchResult bench;
  if (llvm::Error err = runGraph(g, run, os, &bench))
    return std::move(err);
  if (!run.benchRuns)
    return EmitResult{summary, ""};
  // Standard output (or -o) holds only the line scripts read.
  llvm::errs() << summary;
  return EmitResult{bench.line() + "\n", ""};
}

/// Step 3 for one chunk: the text for standard output (or -o), and the C
/// header for --header.
static llvm::Expected<EmitResult>
processGraph(const Chunk &chunk, llvm::StringRef fileName, Options &opts) {
  SizeBindings defaultSizes;
  llvm::Expected<Graph> g = [&]() -> llvm::Expected<Graph> {
    if (!opts.build.getNumOccurrences())
      return parseGraph(chunk.text, fileName, chunk.firstLine);
    llvm::Expected<BuiltGraph> built = buildGraph(buildOptions(opts));
    if (!built)
      return built.takeError();
    defaultSizes = std::move(built->defaultSizes);
    return std::move(built->graph);
  }();
  if (!g)
    return g.takeError();
  if (llvm::Error err = verify(*g))
    return std::move(err);
  if (opts.passes.hasPipeline())
    if (llvm::Error err = opts.passes.run(*g, llvm::errs()))
      return std::move(err);
  if (opts.run)
    return runOnBackend(*g, opts, std::move(defaultSizes));
  if (std::optional<EmitArtifact> artifact = aheadOfTimeArtifact(opts.emit))
    return emitAheadOfTime(*g, *artifact, opts);
  return EmitResult{graphText(*g, opts.emit), ""};
}

int alibiOptMain(int argc, char **argv) {
  // 1. The command line.
  unregisterClashingLLVMOptions();
  Options opts;
  if (!parseCommandLine(argc, argv, opts))
    return 1;
  for (const std::string &path : opts.loadBackends) {
    llvm::Expected<LoadedBackendPlugin> plugin = loadBackendPlugin(path);
    if (!plugin)
      return fail(plugin.takeError());
  }
  if (printListing(opts))
    return 0;
  if (llvm::Error err = validate(opts))
    return fail(std::move(err));

  // 2. Read.
  llvm::Expected<std::vector<Chunk>> chunks = readInput(opts);
  if (!chunks)
    return fail(chunks.takeError());
  std::string fileName =
      opts.inputFile == "-" ? "<stdin>" : opts.inputFile.getValue();

  // 3. Each graph: verify, passes, then run, or emit.
  std::string output, header;
  bool failed = false;
  for (size_t i = 0; i < chunks->size(); ++i) {
    const Chunk &chunk = (*chunks)[i];
    llvm::Expected<EmitResult> out = processGraph(chunk, fileName, opts);
    llvm::Error err = out ? llvm::Error::success() : out.takeError();
    if (opts.verifyDiagnostics) {
      std::vector<Diagnostic> produced = takeDiagnostics(std::move(err));
      err = verifyDiagnostics(chunk.text, fileName, produced, chunk.firstLine);
    }
    if (err) {
      printErrors(std::move(err), llvm::errs());
      failed = true;
      continue;
    }
    if (i)
      output += "// -----\n";
    if (out) {
      output += out->output;
      header = std::move(out->header);
    }
  }

  // 4. Write. A failed chunk means no output file at all, never a partial
  // one.
  if (failed && (opts.outputFile != "-" || opts.headerFile.getNumOccurrences()))
    return 1;
  if (opts.outputFile == "-") {
    llvm::outs() << output;
    llvm::outs().flush();
  } else if (llvm::Error err = writeOutputFile(opts.outputFile, output)) {
    return fail(std::move(err));
  }
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
