//===- Backend.h - Backends, executables and their registry -----*- C++ -*-===//
//
// A backend compiles a verified graph into an Executable, or refuses with a
// diagnostic naming the node it cannot handle. Backends register by name.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_BACKEND_H
#define EINSUM_BACKENDS_BACKEND_H

#include "ir/Graph.h"
#include "ir/SizeBindings.h"
#include "ir/TensorData.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace einsum {

/// The machine a backend generates code for; every field empty is the host.
/// The names are LLVM's, as clang's --target, -mcpu and -mattr take them.
/// A backend that generates no code (the reference) ignores it.
struct TargetOptions {
  /// A triple: x86_64-linux-gnu, aarch64-linux-gnu. Empty: the host's.
  std::string triple;
  /// A CPU of that triple: znver3, x86-64-v3, neoverse-n1. Empty: the
  /// host's CPU for the host's triple, the generic one for another.
  std::string cpu;
  /// Comma-separated changes to the CPU's features: -avx512f,+fma.
  std::string features;

  bool isHost() const {
    return triple.empty() && cpu.empty() && features.empty();
  }
  bool operator==(const TargetOptions &other) const {
    return triple == other.triple && cpu == other.cpu &&
           features == other.features;
  }
};

/// Whether a backend that measures kernel shapes on the host (the cpu
/// backend, at the first compile that needs them, cached on disk) does so.
enum class KernelTuning {
  /// As the EG_CPU_TUNING environment variable says (measure, off or
  /// reset); measure when it is unset.
  Default,
  /// Use the shapes measured before, or measure them now.
  Measure,
  /// Use the shapes of the backend's model of the target, measure nothing.
  Off,
  /// Forget the shapes measured before and measure them again (once per
  /// process).
  Reset,
};

struct CompileOptions {
  /// Worker threads; 0 means one per core.
  unsigned threads = 0;
  /// The most memory one run may hold in tensors (inputs, outputs and the
  /// intermediates alive at once). A backend works out its peak when it
  /// compiles and refuses a graph above this with a diagnostic, so a run
  /// never starts only to be killed part-way. 0 means half the machine's
  /// physical memory (see `memoryLimit`).
  uint64_t maxMemoryBytes = 0;
  /// A machine other than the host, narrower than it (code compiled for a
  /// machine the host is not runs nowhere here).
  TargetOptions target;
  KernelTuning tuning = KernelTuning::Default;
};

/// Physical memory, sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGE_SIZE), or 0
/// where the system does not say.
uint64_t physicalMemoryBytes();
/// `options.maxMemoryBytes`, or half the physical memory when that is 0 (no
/// limit if the physical memory is unknown).
uint64_t memoryLimit(const CompileOptions &options);
/// The error a backend returns when a graph needs more than the limit:
/// "running this graph needs 4.0 GiB at its peak ('einsum' producing %s
/// holds 2.0 GiB); the limit is 1.0 GiB (--max-memory)".
llvm::Error memoryLimitError(uint64_t peakBytes, llvm::StringRef largestHolder,
                             uint64_t largestBytes,
                             const CompileOptions &options);

class Executable {
public:
  virtual ~Executable() = default;

  /// Types of the graph's arguments and outputs, in graph order; they may
  /// hold sizes known only at run time (ir/Size.h).
  llvm::ArrayRef<TensorType> argumentTypes() const { return argTypes; }
  llvm::ArrayRef<TensorType> resultTypes() const { return resTypes; }
  llvm::ArrayRef<std::string> argumentNames() const { return argNames; }
  llvm::ArrayRef<std::string> resultNames() const { return resNames; }
  /// Whether some argument type holds a symbolic size, so that one
  /// executable runs inputs of many sizes.
  bool hasSymbolicSizes() const { return symbolic; }

  /// The sizes the symbols take with inputs of `inputTypes` (one per
  /// argument), once every requirement of the graph holds for them
  /// (ir/SizeBindings.h); empty for a static graph.
  llvm::Expected<SizeBindings>
  bindInputs(llvm::ArrayRef<TensorType> inputTypes) const;
  /// The output types a run with inputs of `inputTypes` produces: what the
  /// caller allocates.
  llvm::Expected<std::vector<TensorType>>
  resultTypesFor(llvm::ArrayRef<TensorType> inputTypes) const;

  /// Runs with one input per graph argument and one preallocated output per
  /// graph output, both in graph order. Checks counts and types first; with
  /// symbolic sizes, reads their values from the inputs and checks the
  /// outputs against the types they give.
  llvm::Error run(llvm::ArrayRef<const TensorData *> inputs,
                  llvm::ArrayRef<TensorData *> outputs);

  /// Binds inputs by argument name (missing, unknown or mis-typed inputs are
  /// errors naming the tensor) and returns the outputs in graph order.
  llvm::Expected<std::vector<TensorData>>
  runNamed(const std::map<std::string, TensorData> &inputs);

  /// How the backend compiled the graph, for benchmarks and run summaries:
  /// the cpu backend's target and kernel shapes. Empty by default.
  virtual std::string describe() const { return {}; }

protected:
  explicit Executable(const Graph &g);
  /// Called with counts and types already checked; `sizes` holds the value
  /// of every symbol (empty for a static graph).
  virtual llvm::Error runImpl(llvm::ArrayRef<const TensorData *> inputs,
                              llvm::ArrayRef<TensorData *> outputs,
                              const SizeBindings &sizes) = 0;

private:
  std::vector<TensorType> argTypes, resTypes;
  std::vector<std::string> argNames, resNames;
  bool symbolic = false;
  SizeRequirements requirements;
};

/// What Backend::emit compiles a graph to ahead of time.
enum class EmitArtifact {
  /// The MLIR module the graph lowers to, before the LLVM-dialect lowering.
  Mlir,
  /// Optimized LLVM IR for the target (EmitOptions::target).
  LLVMIR,
  /// The target's assembly.
  Assembly,
  /// A relocatable object for the target (binary).
  Object,
  /// Only the C header of the entry point (EmitResult::output is the
  /// header).
  CHeader,
};

struct EmitOptions {
  /// The entry point the artifact defines; a backend refuses a name it
  /// cannot give a symbol (for C, not a C identifier).
  std::string entryName = "eg_main";
  /// Also produce the C header of the entry point in EmitResult::header,
  /// from the same compilation.
  bool header = false;
  /// Worker threads of the emitted code (0: one per core of the compiling
  /// machine); with 1 the code needs no threading runtime.
  unsigned threads = 1;
  /// The machine the artifact is for: any the backend supports.
  TargetOptions target;
  /// For a target the host can run, shapes may be measured as for compile.
  KernelTuning tuning = KernelTuning::Default;
};

struct EmitResult {
  /// Text, or an object's bytes.
  std::string output;
  /// The C header, when EmitOptions::header asks for it.
  std::string header;
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual llvm::StringRef name() const = 0;
  virtual llvm::StringRef description() const = 0;
  /// `g` must have passed `verify`.
  virtual llvm::Expected<std::unique_ptr<Executable>>
  compile(const Graph &g, const CompileOptions &options) = 0;

  /// The error `emit` would give for `artifact` and `options` whatever the
  /// graph, so that a tool refuses its command line before it reads any
  /// input. By default every artifact is refused: "the reference backend
  /// cannot emit an object file: it only runs graphs".
  virtual llvm::Error checkEmit(EmitArtifact artifact,
                                const EmitOptions &options) const;
  /// Compiles `g`, which must have passed `verify`, to `artifact` ahead of
  /// time. A graph the backend cannot compile gives the diagnostic `compile`
  /// gives. By default the refusal of the default checkEmit: a backend that
  /// emits overrides both.
  virtual llvm::Expected<EmitResult> emit(const Graph &g, EmitArtifact artifact,
                                          const EmitOptions &options);
};

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

/// Adds a backend under `name`; a second registration of a name replaces
/// nothing and returns false.
bool registerBackend(llvm::StringRef name, BackendFactory factory);
/// Removes the registration of `name`, returning whether there was one; for
/// undoing a plugin load that failed half-way (PluginLoader.h).
bool unregisterBackend(llvm::StringRef name);
/// Registers every backend built into the library.
void registerBuiltinBackends();
/// The CMake option that leaves the built-in backend `name` out of this
/// build ("EG_ENABLE_CPU_BACKEND"), or "" if `name` is built in or is no
/// built-in backend: for a message better than "unknown backend".
llvm::StringRef omittedBuiltinBackendOption(llvm::StringRef name);
/// A new instance of the backend called `name`, or an error listing the
/// registered names (with a suggestion for a near miss).
llvm::Expected<std::unique_ptr<Backend>> createBackend(llvm::StringRef name);
/// Registered names, sorted.
std::vector<std::string> registeredBackends();

} // namespace einsum

#endif // EINSUM_BACKENDS_BACKEND_H
