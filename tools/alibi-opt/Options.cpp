//===- Options.cpp - Which command lines alibi-opt refuses ----------------===//
#include "tools/alibi-opt/Options.h"

#include "ir/ByteSize.h"
#include "ir/Diagnostic.h"
#include "ir/InputFile.h"
#include "ir/SizeBindings.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

namespace einsum {

namespace cl = llvm::cl;

std::optional<EmitArtifact> aheadOfTimeArtifact(EmitKind kind) {
  switch (kind) {
  case EmitKind::IR:
  case EmitKind::Dot:
    return std::nullopt;
  case EmitKind::Mlir:
    return EmitArtifact::Mlir;
  case EmitKind::LLVMIR:
    return EmitArtifact::LLVMIR;
  case EmitKind::Assembly:
    return EmitArtifact::Assembly;
  case EmitKind::Object:
    return EmitArtifact::Object;
  case EmitKind::CHeader:
    return EmitArtifact::CHeader;
  }
  llvm_unreachable("every emission is handled above");
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

std::string emitBackendName(const Options &opts) {
  // Only the cpu backend compiles ahead of time today; --backend exists for
  // --run and for backends that emit too (plugins).
  return opts.backend.getNumOccurrences() ? opts.backend.getValue() : "cpu";
}

std::string runBackendName(const Options &opts) {
  if (opts.backend.getNumOccurrences())
    return opts.backend.getValue();
  return omittedBuiltinBackendOption("cpu").empty() ? "cpu" : "reference";
}

/// --mtriple, --mcpu and --mattr.
static TargetOptions targetOptions(const Options &opts) {
  return TargetOptions{opts.mtriple, opts.mcpu, opts.mattr};
}

EmitOptions emitOptions(const Options &opts) {
  EmitOptions emit;
  emit.target = targetOptions(opts);
  emit.tuning = opts.cpuTuning;
  emit.entryName = opts.entryName;
  emit.header = opts.headerFile.getNumOccurrences();
  // Single-threaded unless asked: such an object needs no OpenMP runtime.
  emit.threads = opts.threads.getNumOccurrences() ? opts.threads : 1;
  return emit;
}

/// --max-memory in bytes; 0 for the default.
static llvm::Expected<uint64_t> maxMemoryBytes(const Options &opts) {
  if (!opts.maxMemory.getNumOccurrences())
    return uint64_t(0);
  llvm::Expected<uint64_t> bytes = parseByteSize(opts.maxMemory);
  if (!bytes)
    return makeError("--max-memory: " + firstMessage(bytes.takeError()));
  return *bytes;
}

/// --max-input-size in bytes.
static llvm::Expected<uint64_t> parseMaxInputSize(const Options &opts) {
  if (!opts.maxInputSize.getNumOccurrences())
    return kDefaultMaxInputBytes;
  llvm::Expected<uint64_t> bytes = parseByteSize(opts.maxInputSize);
  if (!bytes)
    return makeError("--max-input-size: " + firstMessage(bytes.takeError()));
  return *bytes;
}

uint64_t maxInputBytes(const Options &opts) {
  return llvm::cantFail(parseMaxInputSize(opts));
}

/// --bench as a number of runs; 0 without --bench.
static llvm::Expected<unsigned> benchRuns(const Options &opts) {
  if (!opts.bench.getNumOccurrences())
    return unsigned(0);
  // A million runs is beyond any useful measurement, and the list of their
  // times stays small.
  constexpr unsigned maxRuns = 1000000;
  unsigned runs = 0;
  if (llvm::StringRef(opts.bench).getAsInteger(10, runs) || runs == 0 ||
      runs > maxRuns)
    return makeError(fmt::format("--bench expects a number of runs from 1 "
                                 "to {}, got '{}'",
                                 maxRuns, opts.bench.getValue()));
  return runs;
}

/// --dim NAME=N, each name once, N from 1 to 2^48.
static llvm::Expected<SizeBindings> dimValues(const Options &opts) {
  SizeBindings dims;
  for (const std::string &spec : opts.dims) {
    auto [name, text] = llvm::StringRef(spec).split('=');
    if (name.starts_with("?"))
      name = name.drop_front();
    int64_t value = 0;
    if (!isSymbolName(name) || text.getAsInteger(10, value) || value < 1 ||
        value > kMaxElements)
      return makeError(fmt::format("--dim '{}' is not of the form NAME=N with "
                                   "N from 1 to 2^48",
                                   spec));
    if (!dims.emplace(name.str(), value).second)
      return makeError(fmt::format("--dim gives ?{} twice", name.str()));
  }
  return dims;
}

RunOptions runOptions(const Options &opts) {
  RunOptions run;
  run.backend = runBackendName(opts);
  run.inputs.assign(opts.inputs.begin(), opts.inputs.end());
  if (opts.randomInputs)
    run.randomSeed = opts.seed;
  run.dims = llvm::cantFail(dimValues(opts));
  run.outputDir = opts.outputDir;
  run.compile.threads = opts.threads;
  run.compile.maxMemoryBytes = llvm::cantFail(maxMemoryBytes(opts));
  run.compile.target = targetOptions(opts);
  run.compile.tuning = opts.cpuTuning;
  run.expectedDir = opts.expectedDir;
  run.rtol = opts.rtol;
  run.atol = opts.atol;
  run.benchRuns = llvm::cantFail(benchRuns(opts));
  return run;
}

template <typename T> static std::optional<T> given(const cl::opt<T> &option) {
  if (!option.getNumOccurrences())
    return std::nullopt;
  return option.getValue();
}

BuildOptions buildOptions(const Options &opts) {
  return BuildOptions{opts.build,
                      given(opts.batch),
                      given(opts.heads),
                      given(opts.kvHeads),
                      given(opts.seq),
                      given(opts.kvSeq),
                      given(opts.headDim),
                      given(opts.position),
                      given(opts.slopes),
                      given(opts.maxBias),
                      given(opts.causal),
                      given(opts.dtype),
                      given(opts.hidden),
                      given(opts.ffn),
                      opts.dynamic.getNumOccurrences() ? opts.dynamic.getValue()
                                                       : DynamicLengths::None,
                      bool(opts.kvCache)};
}

/// The options of ahead-of-time compilation.
static llvm::Error validateEmission(const Options &opts) {
  std::string emit = "--emit=" + emitName(opts.emit).str();
  std::optional<EmitArtifact> artifact = aheadOfTimeArtifact(opts.emit);
  if (!artifact && (opts.entryName.getNumOccurrences() ||
                    opts.headerFile.getNumOccurrences()))
    return makeError("--entry-name and --header need --emit=mlir, llvm, asm, "
                     "obj or c-header");
  if (!artifact)
    return llvm::Error::success();
  std::string backendName = emitBackendName(opts);
  llvm::StringRef omittedBy = omittedBuiltinBackendOption(backendName);
  if (!omittedBy.empty())
    return makeError(fmt::format("{} needs the {} backend, which this build "
                                 "leaves out ({}=OFF)",
                                 emit, backendName, omittedBy.str()));
  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(backendName);
  if (!backend)
    return backend.takeError();
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
  return (*backend)->checkEmit(*artifact, emitOptions(opts));
}

llvm::Error validate(const Options &opts) {
  for (const cl::Option *o : std::initializer_list<const cl::Option *>{
           &opts.batch, &opts.heads, &opts.kvHeads, &opts.seq, &opts.kvSeq,
           &opts.headDim, &opts.position, &opts.slopes, &opts.maxBias,
           &opts.causal, &opts.dtype, &opts.hidden, &opts.ffn, &opts.dynamic,
           &opts.kvCache})
    if (o->getNumOccurrences() && !opts.build.getNumOccurrences())
      return makeError(fmt::format("--{} needs --build", o->ArgStr.str()));
  if (!opts.run &&
      (!opts.inputs.empty() || !opts.outputDir.empty() || opts.randomInputs ||
       !opts.expectedDir.empty() || !opts.dims.empty()))
    return makeError("--input, --random-inputs, --dim, --output-dir and "
                     "--expected-dir need --run");
  if (llvm::Error err = dimValues(opts).takeError())
    return err;
  if (opts.maxMemory.getNumOccurrences() && !opts.run)
    return makeError("--max-memory needs --run");
  if (opts.bench.getNumOccurrences() && !opts.run)
    return makeError("--bench needs --run");
  if (opts.bench.getNumOccurrences() && opts.splitInputFile)
    return makeError("--bench times one graph; it cannot be used with "
                     "--split-input-file");
  if (llvm::Error err = validateEmission(opts))
    return err;
  if (opts.cpuTuning.getNumOccurrences() && !opts.run &&
      !aheadOfTimeArtifact(opts.emit))
    return makeError("--cpu-tuning chooses the kernel shapes of generated "
                     "code: it needs --run or "
                     "--emit=mlir|llvm|asm|obj|c-header");
  if (!targetOptions(opts).isHost()) {
    if (!opts.run && !aheadOfTimeArtifact(opts.emit))
      return makeError("--mtriple, --mcpu and --mattr choose the machine code "
                       "is generated for: they need --run or "
                       "--emit=mlir|llvm|asm|obj|c-header");
    if (opts.run && runBackendName(opts) != "cpu")
      return makeError(fmt::format("--mtriple, --mcpu and --mattr choose the "
                                   "code the cpu backend generates; the {} "
                                   "backend does not take them",
                                   runBackendName(opts)));
  }
  if (opts.build.getNumOccurrences() &&
      (opts.splitInputFile || opts.verifyDiagnostics))
    return makeError("--split-input-file and --verify-diagnostics read an "
                     "input file; --build makes its own graph");
  if (llvm::Error err = maxMemoryBytes(opts).takeError())
    return err;
  if (llvm::Error err = parseMaxInputSize(opts).takeError())
    return err;
  if (llvm::Error err = benchRuns(opts).takeError())
    return err;
  if (opts.build.getNumOccurrences() && opts.maxInputSize.getNumOccurrences())
    return makeError("--max-input-size limits the input file; --build makes "
                     "its own graph");
  if (opts.build.getNumOccurrences() && opts.inputFile.getNumOccurrences())
    return makeError(fmt::format("--build makes its own graph; do not also "
                                 "give an input file ('{}')",
                                 opts.inputFile.getValue()));
  if (opts.passes.hasTwoPipelines())
    return makeError("--pass-pipeline and -O<n> both choose the pipeline; "
                     "give one");
  return llvm::Error::success();
}

} // namespace einsum
