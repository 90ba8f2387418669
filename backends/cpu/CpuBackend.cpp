//===- CpuBackend.cpp - The cpu backend and its executables ---------------===//
//
// compile: verify, lower the graph to one function and that to the LLVM
// dialect (CompileSession.h, shared with ahead-of-time compilation), then
// JIT it (Jit.h).
// emit: ahead-of-time compilation (Aot.h).
// run: one memref descriptor per buffer, the packed C-interface entry
// called once, then the gather status turned into the reference's message.
//
//===----------------------------------------------------------------------===//
#include "backends/cpu/CpuBackend.h"
#include "backends/cpu/Aot.h"
#include "backends/cpu/BufferCache.h"
#include "backends/cpu/CompileSession.h"
#include "backends/cpu/Jit.h"
#include "backends/cpu/Target.h"
#include "backends/cpu/Tuning.h"
#include "backends/cpu/WidenHalfFloats.h"

#include "ir/Diagnostic.h"

#include <fmt/format.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace einsum {

namespace {

/// A strided memref descriptor of any rank, as the C interface lays it out:
/// allocated and aligned pointers, offset, sizes, strides (all 8 bytes).
std::vector<int64_t> descriptorFor(const void *data,
                                   llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> d = {int64_t(reinterpret_cast<intptr_t>(data)),
                            int64_t(reinterpret_cast<intptr_t>(data)), 0};
  d.insert(d.end(), shape.begin(), shape.end());
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  d.insert(d.end(), strides.begin(), strides.end());
  return d;
}

/// The multi-index of element `flat` of `shape`, printed as `[1,2]`.
std::string indexStr(int64_t flat, llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shapeStr(index);
}

/// Denormal operands and results while the kernels run are flushed to zero
/// (MXCSR FTZ and DAZ): softmax weights of far, heavily biased keys fall in
/// the denormal range, where x86 takes a microcode assist per operation
/// (measured: the unfused scores-times-values product at S = 2048 runs 8x
/// slower on softmax outputs than on O(1) data). Values below 2^-126 are
/// lost, an error far under the tolerance of f32 attention. The OpenMP
/// runtime gives its workers the caller's MXCSR at each parallel region.
class FlushDenormals {
public:
#if defined(__x86_64__) || defined(__i386__)
  FlushDenormals() : saved(_mm_getcsr()) { _mm_setcsr(saved | kFtz | kDaz); }
  ~FlushDenormals() { _mm_setcsr(saved); }

private:
  static constexpr unsigned kFtz = 1u << 15, kDaz = 1u << 6;
  unsigned saved;
#endif
};

class CpuExecutable : public Executable {
public:
  CpuExecutable(const Graph &g, cpu::EntrySignature signature,
                std::unique_ptr<mlir::ExecutionEngine> engine,
                void (*entry)(void **), const CompileOptions &options,
                std::string description)
      : Executable(g), graph(g), signature(std::move(signature)),
        engine(std::move(engine)), entry(entry), options(options),
        description(std::move(description)) {
    cpu::retainBufferCache();
  }
  ~CpuExecutable() override { cpu::releaseBufferCache(); }

  std::string describe() const override { return description; }

protected:
  llvm::Error runImpl(llvm::ArrayRef<const TensorData *> inputs,
                      llvm::ArrayRef<TensorData *> outputs,
                      const SizeBindings &sizes) override {
    // A graph with sizes known only now is held to the memory limit now,
    // before anything runs, as a static one is when it compiles.
    if (!sizes.empty()) {
      PeakMemory peak =
          peakMemory(graph, signature.order, signature.model, sizes);
      if (peak.bytes > memoryLimit(options))
        return memoryLimitError(peak.bytes, peak.largestHolder,
                                peak.largestBytes, options);
    }
    std::vector<std::vector<int64_t>> descriptors;
    for (const TensorData *t : inputs)
      descriptors.push_back(descriptorFor(t->raw(), t->type().shape()));
    for (TensorData *t : outputs)
      descriptors.push_back(descriptorFor(t->raw(), t->type().shape()));
    size_t numGathers = signature.gathers.size();
    std::vector<int64_t> status(2 * numGathers, -1);
    if (numGathers)
      descriptors.push_back(
          descriptorFor(status.data(), {int64_t(numGathers), 2}));
    // The packed entry takes a pointer to each argument, and each argument
    // of the C interface is a pointer to a descriptor.
    std::vector<void *> descriptorPtrs, args;
    for (std::vector<int64_t> &d : descriptors)
      descriptorPtrs.push_back(d.data());
    for (void *&p : descriptorPtrs)
      args.push_back(&p);
    {
      FlushDenormals flush;
      entry(args.data());
    }

    for (size_t k = 0; k < numGathers; ++k) {
      if (status[2 * k] < 0)
        continue;
      const Node &node = graph.node(signature.gathers[k]);
      llvm::Expected<TensorType> table =
          specializeType(graph.type(node.inputs[0]), sizes);
      llvm::Expected<TensorType> indices =
          specializeType(graph.type(node.inputs[1]), sizes);
      if (!table || !indices) {
        llvm::consumeError(table.takeError());
        llvm::consumeError(indices.takeError());
        return makeError(fmt::format("{}: index {} is out of range",
                                     graph.describeNode(signature.gathers[k]),
                                     status[2 * k + 1]));
      }
      int64_t axis = node.attr("axis").getInt();
      if (axis < 0)
        axis += table->rank();
      return makeError(fmt::format(
          "{}: index {} at position {} of the indices is out of range for "
          "axis {} of size {}",
          graph.describeNode(signature.gathers[k]), status[2 * k + 1],
          indexStr(status[2 * k], indices->shape()), axis, table->dim(axis)));
    }
    return llvm::Error::success();
  }

private:
  /// For messages; the executable outlives the caller's graph.
  Graph graph;
  cpu::EntrySignature signature;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*entry)(void **);
  CompileOptions options;
  std::string description;
};

class CpuBackend : public Backend {
public:
  llvm::StringRef name() const override { return "cpu"; }
  llvm::StringRef description() const override {
    return "native code for the host through MLIR (linalg, scf) and the "
           "LLVM JIT";
  }

  llvm::Expected<std::unique_ptr<Executable>>
  compile(const Graph &g, const CompileOptions &options) override {
    if (llvm::Error err = cpu::checkRunsOnHost(options.target))
      return err;
    llvm::Expected<cpu::ResolvedTarget> target =
        cpu::resolveTarget(options.target, options.threads);
    if (!target)
      return target.takeError();
    cpu::applyTuning(g, options.target, *target, options.tuning);
    std::string description = cpu::describeCompile(*target, options.target);
    return cpu::compileWithShapes(g, options, std::move(*target),
                                  std::move(description));
  }

  llvm::Error checkEmit(EmitArtifact,
                        const EmitOptions &options) const override {
    if (llvm::Error err = cpu::checkEntryName(options.entryName))
      return err;
    return cpu::targetBuilder(options.target).takeError();
  }

  llvm::Expected<EmitResult> emit(const Graph &g, EmitArtifact artifact,
                                  const EmitOptions &options) override {
    return cpu::compileAheadOfTime(g, artifact, options);
  }
};

} // namespace

namespace cpu {

llvm::Expected<std::unique_ptr<Executable>>
compileWithShapes(const Graph &source, const CompileOptions &options,
                  ResolvedTarget target, std::string description) {
  llvm::Expected<Graph> widened = widenHalfFloats(source);
  if (!widened)
    return widened.takeError();
  const Graph &g = *widened;
  CompileSession session(target.kernels);
  EntrySignature signature;
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      session.lowerGraph(g, signature);
  if (!module)
    return module.takeError();
  // Refused before any machine code exists, as the reference does (with
  // sizes known only at run time, each run checks its own peak).
  if (graphSymbols(g).empty() && signature.peak.bytes > memoryLimit(options))
    return memoryLimitError(signature.peak.bytes, signature.peak.largestHolder,
                            signature.peak.largestBytes, options);
  if (llvm::Error err =
          session.lowerToLLVMDialect(**module, Allocation::Cached))
    return err;
  llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>> engine =
      jitCompile(**module, std::move(target.builder));
  if (!engine)
    return makeError(
        "cpu backend: jit: " + llvm::toString(engine.takeError()) +
        (session.lastError().empty() ? "" : ": " + session.lastError()));
  std::string name = std::string("_mlir_ciface_") + kEntryName;
  llvm::Expected<void (*)(void **)> entry = (*engine)->lookupPacked(name);
  if (!entry)
    return makeError("cpu backend: jit: " + llvm::toString(entry.takeError()));
  return std::make_unique<CpuExecutable>(g, std::move(signature),
                                         std::move(*engine), *entry, options,
                                         std::move(description));
}

} // namespace cpu

std::unique_ptr<Backend> createCpuBackend() {
  return std::make_unique<CpuBackend>();
}

} // namespace einsum
