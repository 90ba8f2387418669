//===- Options.h - alibi-opt's command line ---------------------*- C++ -*-===//
//
// Every option of the tool in one struct, and `validate`, the one place that
// decides which combinations are refused: it runs before anything is read
// or written, so a command line that cannot mean anything costs nothing and
// leaves no file.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_TOOLS_OPTIONS_H
#define EINSUM_TOOLS_OPTIONS_H

#include "tools/alibi-opt/BuildGraph.h"
#include "tools/alibi-opt/PassCommandLine.h"
#include "tools/alibi-opt/RunGraph.h"

#include "backends/Backend.h"

#include "llvm/Support/CommandLine.h"

#include <optional>

namespace einsum {

/// The graph itself (IR, Dot), or what a backend compiles it to ahead of
/// time (Backend::emit).
enum class EmitKind { IR, Dot, Mlir, LLVMIR, Assembly, Object, CHeader };

/// Every option, in one place, in the tool's own category so that --help
/// does not list LLVM's internal options. Constructing it registers them.
struct Options {
  llvm::cl::OptionCategory category{"alibi-opt options"};

  llvm::cl::opt<std::string> inputFile{
      llvm::cl::Positional, llvm::cl::desc("<input .eg file>"),
      llvm::cl::init("-"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> outputFile{
      "o", llvm::cl::desc("Write the emitted text to <file> (atomically)"),
      llvm::cl::value_desc("file"), llvm::cl::init("-"),
      llvm::cl::cat(category)};
  llvm::cl::opt<EmitKind> emit{
      "emit", llvm::cl::desc("What to emit"), llvm::cl::init(EmitKind::IR),
      llvm::cl::values(
          clEnumValN(EmitKind::IR, "ir", "the graph as text (default)"),
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
      llvm::cl::cat(category)};
  llvm::cl::opt<std::string> entryName{
      "entry-name",
      llvm::cl::desc(
          "--emit=mlir|llvm|asm|obj|c-header: name of the entry point, "
          "a C identifier (default: eg_main)"),
      llvm::cl::value_desc("name"), llvm::cl::init("eg_main"),
      llvm::cl::cat(category)};
  llvm::cl::opt<std::string> headerFile{
      "header",
      llvm::cl::desc(
          "--emit=mlir|llvm|asm|obj: also write the entry point's C "
          "header to <file> (atomically), from the same compilation"),
      llvm::cl::value_desc("file"), llvm::cl::cat(category)};

  llvm::cl::opt<bool> run{
      "run", llvm::cl::desc("Run the graph instead of emitting it"),
      llvm::cl::cat(category)};
  llvm::cl::opt<std::string> backend{
      "backend",
      llvm::cl::desc("Backend for --run and for "
                     "--emit=mlir|llvm|asm|obj|c-header (default: cpu, or "
                     "reference for --run in a build without cpu); see "
                     "--list-backends"),
      llvm::cl::value_desc("name"), llvm::cl::init("cpu"),
      llvm::cl::cat(category)};
  llvm::cl::list<std::string> loadBackends{
      "load-backend",
      llvm::cl::desc("Load a shared library that registers backends (a backend "
                     "plugin, see docs/plugins.md; repeat for several)"),
      llvm::cl::value_desc("path"), llvm::cl::cat(category)};
  llvm::cl::opt<bool> listBackends{
      "list-backends",
      llvm::cl::desc(
          "List the registered backends, with those of --load-backend"),
      llvm::cl::cat(category)};
  llvm::cl::opt<std::string> bench{
      "bench",
      llvm::cl::desc(
          "With --run: after a warm-up run, time N more runs and print "
          "'median_ms=<x> min_ms=<y> gflops=<z> compile_ms=<c> "
          "backend=<name>' as the "
          "only line of standard output (the run's summary, with how the "
          "backend compiled, goes to standard error)"),
      llvm::cl::value_desc("N"), llvm::cl::cat(category)};
  llvm::cl::list<std::string> inputs{
      "input",
      llvm::cl::desc("Bind graph argument NAME to a .npy file (repeat)"),
      llvm::cl::value_desc("NAME=PATH.npy"), llvm::cl::cat(category)};
  llvm::cl::opt<bool> randomInputs{
      "random-inputs",
      llvm::cl::desc(
          "Fill arguments without --input with seeded random values"),
      llvm::cl::cat(category)};
  llvm::cl::opt<unsigned> seed{"seed",
                               llvm::cl::desc("Seed for --random-inputs"),
                               llvm::cl::init(0), llvm::cl::cat(category)};
  llvm::cl::list<std::string> dims{
      "dim",
      llvm::cl::desc("With --run: the value of a size known only at run "
                     "time, ?NAME, for --random-inputs (repeat)"),
      llvm::cl::value_desc("NAME=N"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> outputDir{
      "output-dir",
      llvm::cl::desc("Write <output name>.npy for each graph output"),
      llvm::cl::value_desc("dir"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> expectedDir{
      "expected-dir",
      llvm::cl::desc("After --run, compare each output with <dir>/<name>.npy"),
      llvm::cl::value_desc("dir"), llvm::cl::cat(category)};
  llvm::cl::opt<double> rtol{
      "rtol", llvm::cl::desc("Relative tolerance of --expected-dir"),
      llvm::cl::init(1e-5), llvm::cl::cat(category)};
  llvm::cl::opt<double> atol{
      "atol", llvm::cl::desc("Absolute tolerance of --expected-dir"),
      llvm::cl::init(1e-5), llvm::cl::cat(category)};
  llvm::cl::opt<bool> opReference{
      "op-reference",
      llvm::cl::desc(
          "Print the op reference (Markdown) generated from the op table"),
      llvm::cl::cat(category)};
  llvm::cl::opt<bool> passReference{
      "pass-reference",
      llvm::cl::desc("Print the pass reference (Markdown) generated from the "
                     "registry"),
      llvm::cl::cat(category)};
  llvm::cl::opt<bool> splitInputFile{
      "split-input-file",
      llvm::cl::desc(
          "Treat each '// -----' separated chunk of the input as its "
          "own graph; outputs are joined by the same separator"),
      llvm::cl::cat(category)};
  llvm::cl::opt<bool> verifyDiagnostics{
      "verify-diagnostics",
      llvm::cl::desc("Check the diagnostics against the input's expected-error "
                     "annotations instead of printing them"),
      llvm::cl::cat(category)};
  PassCommandLine passes{category};
  llvm::cl::opt<unsigned> threads{
      "threads",
      llvm::cl::desc("Worker threads for --run, and of an "
                     "object emitted ahead of time (0: one per "
                     "core)"),
      llvm::cl::init(0), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> mtriple{
      "mtriple",
      llvm::cl::desc("Generate code for this target triple, e.g. "
                     "aarch64-linux-gnu (--emit=mlir|llvm|asm|obj|c-header; "
                     "default: the host's)"),
      llvm::cl::value_desc("triple"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> mcpu{
      "mcpu",
      llvm::cl::desc("Generate code for this CPU of the triple, e.g. "
                     "x86-64-v3, znver3, neoverse-n1 (default: the host's "
                     "CPU, or the generic one of another triple); --run "
                     "takes one the host can run"),
      llvm::cl::value_desc("cpu"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> mattr{
      "mattr",
      llvm::cl::desc("Comma-separated changes to the CPU's features, e.g. "
                     "-avx512f or +avx2,+fma"),
      llvm::cl::value_desc("+a,-b"), llvm::cl::cat(category)};
  llvm::cl::opt<KernelTuning> cpuTuning{
      "cpu-tuning",
      llvm::cl::desc("Kernel shapes of the cpu backend, measured on this "
                     "machine at first use and cached (default: as "
                     "EG_CPU_TUNING says, else measure)"),
      llvm::cl::values(
          clEnumValN(KernelTuning::Measure, "measure",
                     "use the shapes measured before, or measure them now"),
          clEnumValN(KernelTuning::Off, "off",
                     "use the model's shapes, measure nothing"),
          clEnumValN(KernelTuning::Reset, "reset",
                     "measure again and replace the cached shapes")),
      llvm::cl::init(KernelTuning::Default), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> maxMemory{
      "max-memory",
      llvm::cl::desc(
          "Refuse to --run a graph needing more memory than this at its "
          "peak: bytes, or a number with K, M, G or T (default: half "
          "the physical memory)"),
      llvm::cl::value_desc("size"), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> maxInputSize{
      "max-input-size",
      llvm::cl::desc("Refuse an input file (or standard input) longer than "
                     "this: bytes, or a number with K, M, G or T (default: "
                     "256M)"),
      llvm::cl::value_desc("size"), llvm::cl::cat(category)};

  // --build and the options that shape the built graph.
  llvm::cl::opt<BuildKind> build{
      "build",
      llvm::cl::desc("Build a graph with the ir/nn API instead of reading one"),
      llvm::cl::values(
          clEnumValN(BuildKind::Attention, "attention",
                     "softmax(q k^T * scale + bias) v"),
          clEnumValN(BuildKind::AlibiBias, "alibi-bias",
                     "the original API's four-node ALiBi bias graph"),
          clEnumValN(BuildKind::DecoderBlock, "decoder-block",
                     "a pre-LayerNorm decoder block over x [batch, seq, "
                     "hidden], weights as parameters")),
      llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> batch{
      "batch", llvm::cl::desc("--build: batch size (1)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> heads{
      "heads", llvm::cl::desc("--build: query heads (12)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> kvHeads{
      "kv-heads", llvm::cl::desc("--build: key/value heads (= --heads)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> seq{"seq", llvm::cl::desc("--build: queries (64)"),
                             llvm::cl::value_desc("n"),
                             llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> kvSeq{
      "kv-seq", llvm::cl::desc("--build: keys (= --seq)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> hidden{
      "hidden",
      llvm::cl::desc("--build=decoder-block: hidden size (64 * --heads)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> ffn{
      "ffn",
      llvm::cl::desc("--build=decoder-block: feed-forward width (4 * "
                     "--hidden)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<int64_t> headDim{
      "head-dim", llvm::cl::desc("--build: head dimension (32)"),
      llvm::cl::value_desc("n"), llvm::cl::cat(category)};
  llvm::cl::opt<nn::PositionBias> position{
      "position",
      llvm::cl::desc("--build: position encoding (none; decoder-block: "
                     "alibi)"),
      llvm::cl::values(
          clEnumValN(nn::PositionBias::None, "none", "none"),
          clEnumValN(nn::PositionBias::Alibi, "alibi", "ALiBi bias"),
          clEnumValN(nn::PositionBias::Relative, "relative",
                     "T5 relative buckets"),
          clEnumValN(nn::PositionBias::Rotary, "rotary", "RoPE")),
      llvm::cl::cat(category)};
  llvm::cl::opt<SlopeRecipe> slopes{
      "slopes", llvm::cl::desc("--build: ALiBi slope recipe (paper)"),
      llvm::cl::values(clEnumValN(SlopeRecipe::Paper, "paper", "Press et al."),
                       clEnumValN(SlopeRecipe::Seed, "seed", "2^(-8i/n)")),
      llvm::cl::cat(category)};
  llvm::cl::opt<double> maxBias{
      "max-bias", llvm::cl::desc("--build: ALiBi max bias (8)"),
      llvm::cl::value_desc("b"), llvm::cl::cat(category)};
  llvm::cl::opt<bool> causal{
      "causal",
      llvm::cl::desc("--build: causal attention (decoder-block: on; "
                     "--causal=false turns it off)"),
      llvm::cl::cat(category)};
  llvm::cl::opt<bool> kvCache{
      "kv-cache",
      llvm::cl::desc("--build=decoder-block: with a key/value cache: inputs "
                     "x (--seq new tokens, 1 by default) and past_keys, "
                     "past_values [batch, kv-heads, P, head_dim] (P = "
                     "--kv-seq, or ?p with --dynamic); outputs out, keys, "
                     "values"),
      llvm::cl::cat(category)};
  llvm::cl::opt<DynamicLengths> dynamic{
      "dynamic",
      llvm::cl::desc("--build: lengths known only at run time (--seq and "
                     "--kv-seq become the values --random-inputs uses)"),
      llvm::cl::ValueOptional,
      llvm::cl::values(
          clEnumValN(DynamicLengths::All, "all",
                     "queries and keys (?s, or ?q and ?k with --kv-seq; "
                     "the default)"),
          clEnumValN(DynamicLengths::All, "", ""),
          clEnumValN(DynamicLengths::Keys, "keys",
                     "keys only (?k): a decode step of --seq static "
                     "queries")),
      llvm::cl::cat(category)};
  llvm::cl::opt<DType> dtype{
      "dtype",
      llvm::cl::desc("--build: storage type of the inputs and weights "
                     "(f32); with f16 or bf16, contractions and the "
                     "attention accumulate and return f32"),
      llvm::cl::values(clEnumValN(DType::F32, "f32", "f32"),
                       clEnumValN(DType::F64, "f64", "f64"),
                       clEnumValN(DType::F16, "f16", "IEEE half precision"),
                       clEnumValN(DType::BF16, "bf16", "bfloat16")),
      llvm::cl::cat(category)};
};

/// Refuses options that would be silently ignored or that cannot go
/// together, and options whose text does not parse (--max-memory,
/// --max-input-size, --bench, an entry name the emitting backend cannot
/// use). Reads nothing and writes nothing; the functions below may assume
/// it passed.
llvm::Error validate(const Options &opts);

/// --max-input-size in bytes, or the default (kDefaultMaxInputBytes).
uint64_t maxInputBytes(const Options &opts);

/// --emit as an artifact of Backend::emit; none for ir and dot.
std::optional<EmitArtifact> aheadOfTimeArtifact(EmitKind kind);
/// The backend that runs the graph: --backend if given, else cpu when this
/// build has it, else reference.
std::string runBackendName(const Options &opts);
/// The backend that emits ahead of time: --backend if given, else cpu.
std::string emitBackendName(const Options &opts);
EmitOptions emitOptions(const Options &opts);
/// What --run needs, --max-memory and --bench read as numbers.
RunOptions runOptions(const Options &opts);
/// What --build makes, with the options the user did not give left unset.
BuildOptions buildOptions(const Options &opts);

} // namespace einsum

#endif // EINSUM_TOOLS_OPTIONS_H
