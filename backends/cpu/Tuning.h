//===- Tuning.h - Kernel shapes measured on the host ------------*- C++ -*-===//
//
// The model (KernelShapes.h) gives every target a register tile that does
// not spill; which of the few tiles that fit runs fastest depends on the
// core (its FMA pipes, load ports, L1 and L2), which the model does not
// know. So the first compile that needs a kernel family on a target the
// host runs measures a handful of candidates there, single-threaded on a
// small problem, and keeps the fastest, in memory and in a file under the
// user's cache directory, per CPU model, target CPU, feature changes and
// vector shape. Later compiles, in this process or another, read it back.
//
// KernelTuning (CompileOptions::tuning, alibi-opt --cpu-tuning, or the
// EG_CPU_TUNING environment variable: measure, off, reset) turns it off or
// measures again. A cache that cannot be read or written is passed over:
// the compile goes on with the shapes measured now. A target the host
// cannot run keeps the model's shapes.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_TUNING_H
#define EINSUM_BACKENDS_CPU_TUNING_H

#include "backends/Backend.h"
#include "backends/cpu/Target.h"

#include <string>

namespace einsum::cpu {

/// Gives `target.kernels` the shapes to compile `g` with: the model's
/// (already there), or those measured on this host for the target,
/// measuring the families `g` uses that have no record yet. `mode`
/// Default reads EG_CPU_TUNING.
void applyTuning(const Graph &g, const TargetOptions &spec,
                 ResolvedTarget &target, KernelTuning mode);

/// The file the measured shapes are kept in: $EG_CPU_TUNING_CACHE, else
/// $XDG_CACHE_HOME/einsum-graph/cpu-kernels.tsv, else
/// $HOME/.cache/einsum-graph/cpu-kernels.tsv; empty when none is set.
std::string tuningCachePath();

/// The JIT compile of CpuBackend::compile after tuning: `g` for `target`
/// with its kernel shapes as they are (CpuBackend.cpp). The tuner times
/// its candidates with it.
llvm::Expected<std::unique_ptr<Executable>>
compileWithShapes(const Graph &g, const CompileOptions &options,
                  ResolvedTarget target, std::string description);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_TUNING_H
