//===- Aot.h - Ahead-of-time compilation with the cpu backend ---*- C++ -*-===//
//
// Compiles a verified graph to a relocatable object for the host, or to one
// of the intermediate forms on the way there, plus a C header for the entry
// point; no MLIR in the interface, so tools include it freely. The code is
// the JIT's: the same lowering, the same pass pipeline, the same LLVM
// optimization and host target (CompileSession.h, Jit.h). See docs/aot.md.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_AOT_H
#define EINSUM_BACKENDS_CPU_AOT_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

#include <string>

namespace einsum::cpu {

enum class AotArtifact {
  /// The module the graph lowers to, before the LLVM-dialect lowering.
  Mlir,
  /// LLVM IR after the JIT's optimization.
  LLVMIR,
  /// Host assembly.
  Assembly,
  /// A relocatable ELF object for the host (binary).
  Object,
  /// Only the C header (AotResult::output is the header).
  CHeader,
};

struct AotOptions {
  /// The entry point: the object defines `<entryName>` and
  /// `_mlir_ciface_<entryName>`. Must be a C identifier (checkEntryName).
  std::string entryName = "eg_main";
  /// Also produce the C header in AotResult::header, from the same
  /// compilation.
  bool header = false;
  /// OpenMP threads of the parallel loops (0: one per core of the compiling
  /// machine); with 1 the object needs no OpenMP runtime.
  unsigned threads = 1;
};

struct AotResult {
  /// Text, or the object's bytes.
  std::string output;
  /// The C header, when AotOptions::header asks for it.
  std::string header;
};

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
