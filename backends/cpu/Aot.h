//===- Aot.h - Ahead-of-time compilation with the cpu backend ---*- C++ -*-===//
//
// Compiles a verified graph to a relocatable object for the host, or to one
// of the intermediate forms on the way there, plus a C header for the entry
// point: the cpu backend's Backend::emit, which is how tools reach it. The
// code is the JIT's: the same lowering, the same pass pipeline, the same
// LLVM optimization and host target (CompileSession.h, Jit.h). See
// docs/aot.md.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_AOT_H
#define EINSUM_BACKENDS_CPU_AOT_H

#include "backends/Backend.h"
#include "ir/Graph.h"

#include "llvm/Support/Error.h"

#include <string>

namespace einsum::cpu {

/// Backend::emit's types; EmitOptions::threads are the OpenMP threads of
/// the parallel loops.
using AotArtifact = EmitArtifact;
using AotOptions = EmitOptions;
using AotResult = EmitResult;

/// An error unless `name` can name the entry point: a C identifier that is
/// not a keyword and not reserved (no leading `__` or `_` and a capital).
llvm::Error checkEntryName(llvm::StringRef name);

/// Compiles `g` to `artifact`. A graph the cpu backend refuses gives the
/// backend's diagnostic, as Backend::compile does.
llvm::Expected<AotResult> compileAheadOfTime(const Graph &g,
                                             AotArtifact artifact,
                                             const AotOptions &options);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_AOT_H
