//===- BufferCache.h - Large buffers kept between runs ----------*- C++ -*-===//
//
// The JIT'd code allocates each intermediate tensor when its producer runs
// and frees it after its last reader. glibc serves blocks above 32 MiB with
// mmap and gives them back with munmap, so every run of an unfused graph
// faulted in and zeroed its intermediates anew: at S = 2048 (256 MiB score
// tensors) the kernel's page handling was 58 % of the run. The JIT'd code
// allocates through the functions below instead (the memref lowering's
// generic allocation functions, bound in the JIT only: objects compiled
// ahead of time call malloc and free), which keep freed blocks of at least
// 1 MiB for the next request of about their size, up to a cap, and hand
// them all back once no executable is left.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_BUFFERCACHE_H
#define EINSUM_BACKENDS_CPU_BUFFERCACHE_H

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <cstddef>

namespace einsum::cpu {

/// The allocation functions of the JIT'd code, by their linker names.
llvm::orc::SymbolMap bufferCacheSymbols(llvm::orc::MangleAndInterner mangle);

/// The most bytes kept: EG_CPU_BUFFER_CACHE (bytes, 0 keeps nothing) if
/// set, else the smaller of 2 GiB and an eighth of the physical memory.
size_t bufferCacheCapacity();

/// Bytes held for later requests now.
size_t bufferCacheHeldBytes();

/// An executable that allocates through the cache comes and goes: the
/// last one to go gives every kept block back.
void retainBufferCache();
void releaseBufferCache();

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_BUFFERCACHE_H
