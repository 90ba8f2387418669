//===- CHeader.h - The C header of an ahead-of-time entry -------*- C++ -*-===//
#ifndef EINSUM_BACKENDS_CPU_CHEADER_H
#define EINSUM_BACKENDS_CPU_CHEADER_H

#include "backends/cpu/Lowering.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/Support/Error.h"

#include <string>

namespace einsum::cpu {

/// Why `name` cannot stand alone as an identifier in C and C++ ("it starts
/// with '1'", "it is a C or C++ keyword"), or "" if it can.
std::string cIdentifierProblem(llvm::StringRef name);

/// A C header (usable from C++) for the C interface of `entry`, a function
/// with llvm.emit_c_interface: one memref descriptor type per element type
/// and rank, the `_mlir_ciface_` prototype, and a static inline wrapper
/// `<entry>_run` over dense row-major pointers. Everything is read off the
/// entry's type, so arguments added to the lowering appear here without
/// change; `signature` and `g` only name the arguments the graph explains.
/// `target` (triple and CPU) goes into the opening comment.
llvm::Expected<std::string> emitCHeader(mlir::func::FuncOp entry,
                                        const Graph &g,
                                        const EntrySignature &signature,
                                        llvm::StringRef target);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_CHEADER_H
