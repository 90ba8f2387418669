//===- AlibiOptMain.cpp - The alibi-opt driver ----------------------------===//
//
// 1. Parse the command line.
// 2. Read the input graph (a file or stdin) and verify it.
// 3. Either run it on a backend (--run), or emit it (--emit) to stdout or,
//    atomically, to -o FILE.
//
//===----------------------------------------------------------------------===//
#include "tools/alibi-opt/AlibiOptMain.h"
#include "tools/alibi-opt/OpReference.h"
#include "tools/alibi-opt/RunGraph.h"

#include "backends/Backend.h"
#include "ir/Dot.h"
#include "ir/Npy.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

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
                                        "reference)"),
                               cl::value_desc("name"), cl::init("reference"),
                               cl::cat(category)};
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
  cl::opt<bool> opReference{
      "op-reference",
      cl::desc("Print the op reference (Markdown) generated from the op table"),
      cl::cat(category)};
  cl::opt<unsigned> threads{"threads",
                            cl::desc("Worker threads for --run (0: one per "
                                     "core)"),
                            cl::init(0), cl::cat(category)};
};

} // namespace

static llvm::Expected<Graph> readGraph(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buffer)
    return makeError(fmt::format("cannot read '{}': {}", path.str(),
                                 buffer.getError().message()));
  llvm::StringRef name = path == "-" ? "<stdin>" : path;
  llvm::Expected<Graph> g = parseGraph((*buffer)->getBuffer(), name);
  if (!g)
    return g.takeError();
  if (llvm::Error err = verify(*g))
    return std::move(err);
  return g;
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

static llvm::Error writeOutput(llvm::StringRef path, llvm::StringRef text) {
  if (path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return llvm::Error::success();
  }
  return writeFileAtomically(path, text);
}

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

int alibiOptMain(int argc, char **argv) {
  unregisterClashingLLVMOptions();
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "alibi-opt " << EG_VERSION << " (EinsumGraph, LLVM "
       << LLVM_VERSION_STRING << ")\n";
  });
  registerBuiltinBackends();
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

  if (opts.opReference) {
    printOpReference(llvm::outs());
    return 0;
  }

  llvm::Expected<Graph> g = readGraph(opts.inputFile);
  if (!g)
    return fail(g.takeError());

  if (opts.run) {
    RunOptions run;
    run.backend = opts.backend;
    run.inputs.assign(opts.inputs.begin(), opts.inputs.end());
    if (opts.randomInputs)
      run.randomSeed = opts.seed;
    run.outputDir = opts.outputDir;
    run.compile.threads = opts.threads;
    if (llvm::Error err = runGraph(*g, run, llvm::outs()))
      return fail(std::move(err));
    return 0;
  }
  if (!opts.inputs.empty() || !opts.outputDir.empty() || opts.randomInputs)
    return fail(makeError("--input, --random-inputs and --output-dir need "
                          "--run"));
  if (llvm::Error err = writeOutput(opts.outputFile, emitText(*g, opts.emit)))
    return fail(std::move(err));
  return 0;
}

} // namespace einsum
