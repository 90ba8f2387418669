//===- Target.h - The machine the cpu backend generates code for -*- C++
//-*-===//
//
// By default the host: its triple, its CPU and every feature it has. A
// caller may name another: a triple, a CPU and feature changes, as clang's
// --target, -mcpu and -mattr do (`alibi-opt --mtriple --mcpu --mattr`).
// Ahead of time that is any machine LLVM targets (an aarch64 object on an
// x86 host); for the JIT, which runs what it compiles, a narrower machine
// of the host's own triple (x86-64-v3, AVX2 only, on an AVX-512 host), which
// is also how the kernels shaped for such a machine are measured here.
//
// The kernels' shapes come from the target, not the host: its vector width
// and register count (KernelOptions), read off the target machine's
// features.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_TARGET_H
#define EINSUM_BACKENDS_CPU_TARGET_H

#include "backends/Backend.h"
#include "backends/cpu/Lowering.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace einsum::cpu {

/// The target machine builder for `spec` at kCodeGenOptLevel (Jit.h), with
/// its target initialized. An unknown triple or CPU, or a feature the
/// target does not have, is an error naming it.
llvm::Expected<llvm::orc::JITTargetMachineBuilder>
targetBuilder(const TargetOptions &spec);

/// An error unless code for `spec` runs on this host: the host's
/// architecture and OS, and no feature the host lacks.
llvm::Error checkRunsOnHost(const TargetOptions &spec);

/// The target machine `builder` describes.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(llvm::orc::JITTargetMachineBuilder &builder);

/// The kernel shapes for `tm`: 512-bit vectors and 32 registers where it
/// has AVX-512, 256 and 16 with AVX2 and FMA, 128 and 32 on AArch64 (NEON),
/// 128 and 16 otherwise; with `threads` (0: one per core of the host).
/// EG_CPU_VECTOR_BITS overrides the vector width, for tests.
KernelOptions kernelOptionsFor(const llvm::TargetMachine &tm, unsigned threads);

/// Everything a compile needs of its target.
struct ResolvedTarget {
  llvm::orc::JITTargetMachineBuilder builder;
  std::unique_ptr<llvm::TargetMachine> machine;
  KernelOptions kernels;
};

/// `spec`'s builder, machine and kernel shapes, with `threads` (0: one per
/// core of the host).
llvm::Expected<ResolvedTarget> resolveTarget(const TargetOptions &spec,
                                             unsigned threads);

/// "x86_64-pc-linux-gnu, CPU znver4, 512-bit vectors x 32", with the
/// feature changes of `spec` if any: for benchmarks and headers.
std::string describeTarget(const ResolvedTarget &target,
                           const TargetOptions &spec);

/// describeTarget, then the kernel shapes and whether they were measured:
/// "...; flash 6x4 step 16 group 8 (measured); gemm 6x4 depth 256 panel
/// 256K (model)". What Executable::describe says.
std::string describeCompile(const ResolvedTarget &target,
                            const TargetOptions &spec);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_TARGET_H
