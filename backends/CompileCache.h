//===- CompileCache.h - Executables compiled once per graph -----*- C++ -*-===//
//
// A caller that compiles the same graph with the same backend and options
// more than once (a server answering requests, a benchmark sweeping inputs)
// pays for the compilation once: the cache keeps the executable and hands
// out shared references to it.
//
// An entry is keyed by the backend's name, every field of CompileOptions
// and the graph's printed text (Printer.h) together with the argument and
// result names its executable binds inputs by. The text is hashed with
// xxh3 to find the entry and then compared in full, so two graphs that
// differ anywhere never share an executable, whatever the hash says.
//
// What the key does not see: inputs a backend reads besides the graph and
// the options (the target machine is an option). The cpu backend shapes its
// kernels for the target's vector width, which EG_CPU_VECTOR_BITS overrides
// at each compile; call `clear` after changing it. Diagnostics of a run name
// nodes and anonymous tensors as the graph compiled first did, since that graph
// is the one kept.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_COMPILECACHE_H
#define EINSUM_BACKENDS_COMPILECACHE_H

#include "backends/Backend.h"

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace einsum {

/// A bounded, thread-safe cache of compiled executables with
/// least-recently-used eviction.
///
/// Every method may be called from several threads at once. Executables are
/// shared: two callers of the same graph get the same object. The built-in
/// backends' executables (reference, cpu) allow concurrent `run` calls,
/// which read the executable and write only the caller's outputs; a plugin
/// backend's executables are only as safe as that plugin says.
///
/// A failed compile returns its error to the caller and leaves nothing
/// behind: the next call for that key compiles again.
class CompileCache {
public:
  static constexpr size_t kDefaultCapacity = 16;

  /// `capacity` executables are kept; 0 keeps none (every call compiles,
  /// but concurrent calls for one key still share one compilation).
  explicit CompileCache(size_t capacity = kDefaultCapacity);
  CompileCache(const CompileCache &) = delete;
  CompileCache &operator=(const CompileCache &) = delete;

  /// `backend.compile(g, options)`, or the executable an earlier call with
  /// an equal key produced. `g` must have passed `verify`. A call that
  /// finds another thread compiling the same key waits for it instead of
  /// compiling again. When the cache is shared across threads, `backend`
  /// must accept concurrent compiles of different graphs (the built-in
  /// backends do).
  llvm::Expected<std::shared_ptr<Executable>>
  compile(Backend &backend, const Graph &g, const CompileOptions &options);

  /// As above with the backend registered as `backendName` (createBackend),
  /// created only when the cache has no executable for the key.
  llvm::Expected<std::shared_ptr<Executable>>
  compile(llvm::StringRef backendName, const Graph &g,
          const CompileOptions &options);

  /// Calls answered without compiling: from the cache, or by waiting for a
  /// concurrent compile of the same key.
  uint64_t hits() const;
  /// Calls that ran (or tried to run) a backend's compile.
  uint64_t misses() const;
  /// Executables held now.
  size_t size() const;
  size_t capacity() const { return maxEntries; }
  /// Drops every executable (callers holding one keep it alive) and resets
  /// the counters. Compiles in flight finish and are not added.
  void clear();

private:
  struct Key {
    std::string backend;
    unsigned threads;
    uint64_t maxMemoryBytes;
    TargetOptions target;
    KernelTuning tuning;
    /// The canonical text of the graph (see the file comment).
    std::string text;
    /// Of all the fields above, computed once.
    size_t hash;
    bool operator==(const Key &other) const;
  };
  struct KeyHash {
    size_t operator()(const Key &key) const { return key.hash; }
  };
  /// A compile in flight, which other callers of its key wait for.
  struct Pending {
    bool done = false;
    /// Null when the compile failed.
    std::shared_ptr<Executable> result;
  };
  struct Slot {
    std::shared_ptr<Executable> executable;
    /// Position in `recency`.
    std::list<const Key *>::iterator use;
  };
  using CompileFn =
      llvm::function_ref<llvm::Expected<std::unique_ptr<Executable>>()>;

  static Key makeKey(llvm::StringRef backend, const Graph &g,
                     const CompileOptions &options);
  llvm::Expected<std::shared_ptr<Executable>> lookupOrCompile(Key key,
                                                              CompileFn fn);
  /// Adds a compiled executable, evicting the least recently used entries
  /// beyond the capacity. Called with `mutex` held.
  void insert(const Key &key, std::shared_ptr<Executable> executable);

  const size_t maxEntries;
  mutable std::mutex mutex;
  std::condition_variable compiled;
  std::unordered_map<Key, Slot, KeyHash> entries;
  /// Keys of `entries`, most recently used first.
  std::list<const Key *> recency;
  std::unordered_map<Key, std::shared_ptr<Pending>, KeyHash> pending;
  /// Bumped by `clear`, so that compiles begun before it are not added.
  uint64_t generation = 0;
  uint64_t hitCount = 0, missCount = 0;
};

} // namespace einsum

#endif // EINSUM_BACKENDS_COMPILECACHE_H
