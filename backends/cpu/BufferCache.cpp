//===- BufferCache.cpp - Large buffers kept between runs ------------------===//
#include "backends/cpu/BufferCache.h"

#include "backends/Backend.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

namespace einsum::cpu {

namespace {

/// Blocks below this go straight to malloc: glibc keeps them itself.
constexpr size_t kMinBytes = size_t(1) << 20;

class Cache {
public:
  void *allocate(size_t size) {
    if (size < kMinBytes)
      return std::malloc(size);
    {
      std::lock_guard<std::mutex> lock(mutex);
      // The smallest kept block that fits, if it wastes at most an eighth.
      auto it = kept.lower_bound(size);
      if (it != kept.end() && it->first <= size + size / 8) {
        void *p = it->second;
        held -= it->first;
        kept.erase(it);
        return p;
      }
    }
    void *p = std::malloc(size);
    if (p) {
      std::lock_guard<std::mutex> lock(mutex);
      owned[p] = size;
    }
    return p;
  }

  void free(void *p) {
    if (!p)
      return;
    std::unique_lock<std::mutex> lock(mutex);
    auto it = owned.find(p);
    if (it == owned.end()) {
      lock.unlock();
      std::free(p);
      return;
    }
    size_t size = it->second;
    size_t cap = capacity();
    if (size > cap || executables == 0) {
      owned.erase(it);
      lock.unlock();
      std::free(p);
      return;
    }
    // Make room by dropping the largest kept blocks: a graph that changed
    // sizes needs the new ones.
    while (held + size > cap && !kept.empty()) {
      auto last = std::prev(kept.end());
      held -= last->first;
      owned.erase(last->second);
      std::free(last->second);
      kept.erase(last);
    }
    kept.emplace(size, p);
    held += size;
  }

  void retain() {
    std::lock_guard<std::mutex> lock(mutex);
    ++executables;
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    if (--executables > 0)
      return;
    for (auto &[size, p] : kept) {
      owned.erase(p);
      std::free(p);
    }
    kept.clear();
    held = 0;
  }

  size_t heldBytes() {
    std::lock_guard<std::mutex> lock(mutex);
    return held;
  }

  static size_t capacity() {
    static const size_t cap = [] {
      // Digits only; anything else is ignored.
      if (const char *env = std::getenv("EG_CPU_BUFFER_CACHE");
          env && *env && std::strspn(env, "0123456789") == std::strlen(env))
        return size_t(std::strtoull(env, nullptr, 10));
      size_t physical = size_t(physicalMemoryBytes());
      size_t limit = size_t(2) << 30;
      return physical ? std::min(limit, physical / 8) : limit;
    }();
    return cap;
  }

private:
  std::mutex mutex;
  /// Every block of at least kMinBytes handed out or kept, by address.
  std::unordered_map<void *, size_t> owned;
  /// The kept ones, by size.
  std::multimap<size_t, void *> kept;
  size_t held = 0;
  long executables = 0;
};

Cache &cache() {
  // Never destroyed: JIT'd code of a static executable may free at exit.
  static Cache *c = new Cache;
  return *c;
}

extern "C" void *egBufferAlloc(size_t size) { return cache().allocate(size); }

extern "C" void *egBufferAlignedAlloc(size_t alignment, size_t size) {
  // Only for blocks under the cache's size: the lowering asks for aligned
  // blocks only with use-aligned-alloc, which the JIT does not set.
  void *p = nullptr;
  if (posix_memalign(&p, std::max(alignment, sizeof(void *)), size) != 0)
    return nullptr;
  return p;
}

extern "C" void egBufferFree(void *p) { cache().free(p); }

} // namespace

llvm::orc::SymbolMap bufferCacheSymbols(llvm::orc::MangleAndInterner mangle) {
  llvm::orc::SymbolMap symbols;
  auto bind = [&](const char *name, auto *fn) {
    symbols[mangle(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                             llvm::JITSymbolFlags::Exported};
  };
  bind("_mlir_memref_to_llvm_alloc", &egBufferAlloc);
  bind("_mlir_memref_to_llvm_aligned_alloc", &egBufferAlignedAlloc);
  bind("_mlir_memref_to_llvm_free", &egBufferFree);
  return symbols;
}

size_t bufferCacheCapacity() { return Cache::capacity(); }
size_t bufferCacheHeldBytes() { return cache().heldBytes(); }
void retainBufferCache() { cache().retain(); }
void releaseBufferCache() { cache().release(); }

} // namespace einsum::cpu
