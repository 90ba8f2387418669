//===- WidenHalfFloats.h - f16 and bf16 through f32 -------------*- C++ -*-===//
//
// The cpu backend computes in f32 what the graph holds in f16 or bf16. Ops
// that only move or convert data (cast, the shape ops, constants, ALiBi
// slopes), the flash attention kernel and matrix products into f32 read
// and write 16-bit buffers themselves; every other node that
// reads or makes a 16-bit tensor is rewritten to read casts of its inputs
// to f32 and, when its result is 16-bit, to make an f32 result that a cast
// rounds back, once, to nearest even. Arguments and results keep their
// names and types, so the executable's interface is the graph's.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_WIDENHALFFLOATS_H
#define EINSUM_BACKENDS_CPU_WIDENHALFFLOATS_H

#include "ir/Graph.h"

#include "llvm/Support/Error.h"

namespace einsum::cpu {

/// Whether the lowering of `op` reads and writes f16 and bf16 as they are.
bool lowersHalfFloats(OpKind op);

/// `g` with the casts described above; `g` itself when it has no 16-bit
/// tensor. An error only if the result fails to verify (a bug).
llvm::Expected<Graph> widenHalfFloats(const Graph &g);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_WIDENHALFFLOATS_H
