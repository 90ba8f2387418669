//===- CpuBackend.h - Native code through MLIR ------------------*- C++ -*-===//
//
// The `cpu` backend: lowers a verified graph to MLIR (linalg, scf, memref,
// arith, math), then to LLVM, and JIT-compiles it for the host. Nothing
// outside backends/cpu/ includes MLIR; this header does not either.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_CPUBACKEND_H
#define EINSUM_BACKENDS_CPU_CPUBACKEND_H

#include "backends/Backend.h"

namespace einsum {

std::unique_ptr<Backend> createCpuBackend();

} // namespace einsum

#endif // EINSUM_BACKENDS_CPU_CPUBACKEND_H
