//===- CompileCache.cpp - Executables compiled once per graph -------------===//
//
// One call:
// 1. Print the graph and build the key, outside the lock (printing a large
//    graph costs more than anything done under it).
// 2. Under the lock: a cached executable is a hit and becomes the most
//    recently used; a compile of the key in flight is waited for, and its
//    executable is a hit (its failure sends the waiter back to step 2).
// 3. Otherwise record the compile as in flight and run it without the lock,
//    so compiles of different graphs overlap.
// 4. Under the lock again: cache a success, wake the waiters, return.
//
//===----------------------------------------------------------------------===//
#include "backends/CompileCache.h"

#include "ir/Printer.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/Support/xxhash.h"

namespace einsum {

CompileCache::CompileCache(size_t capacity) : maxEntries(capacity) {}

bool CompileCache::Key::operator==(const Key &other) const {
  return hash == other.hash && threads == other.threads &&
         maxMemoryBytes == other.maxMemoryBytes && backend == other.backend &&
         target == other.target && tuning == other.tuning && text == other.text;
}

/// Appends `name` so that no two name lists read alike: its length, then
/// the bytes, since a tensor name may hold any character.
static void appendName(std::string &text, llvm::StringRef tag,
                       const std::string &name) {
  text += tag;
  text += ' ';
  text += std::to_string(name.size());
  text += ':';
  text += name;
  text += '\n';
}

/// The name Executable binds a tensor by, which for an anonymous tensor is
/// its index and not the number the printer gives it.
static std::string bindingName(const Graph &g, TensorId id) {
  const std::string &name = g.tensor(id).name;
  if (!name.empty())
    return name;
  std::string number = "%";
  number += std::to_string(id.index());
  return number;
}

CompileCache::Key CompileCache::makeKey(llvm::StringRef backend, const Graph &g,
                                        const CompileOptions &options) {
  Key key{backend.str(),
          options.threads,
          options.maxMemoryBytes,
          options.target,
          options.tuning,
          printGraph(g),
          0};
  for (TensorId id : g.arguments())
    appendName(key.text, "argument", bindingName(g, id));
  for (TensorId id : g.outputs())
    appendName(key.text, "result", bindingName(g, id));
  key.hash = size_t(llvm::hash_combine(
      llvm::xxh3_64bits(key.text), key.backend, key.threads, key.maxMemoryBytes,
      key.target.triple, key.target.cpu, key.target.features, int(key.tuning)));
  return key;
}

llvm::Expected<std::shared_ptr<Executable>>
CompileCache::lookupOrCompile(Key key, CompileFn fn) {
  std::unique_lock<std::mutex> lock(mutex);
  std::shared_ptr<Pending> mine;
  while (!mine) {
    auto cached = entries.find(key);
    if (cached != entries.end()) {
      recency.splice(recency.begin(), recency, cached->second.use);
      ++hitCount;
      return cached->second.executable;
    }
    auto inFlight = pending.find(key);
    if (inFlight == pending.end()) {
      mine = std::make_shared<Pending>();
      pending.emplace(key, mine);
      break;
    }
    std::shared_ptr<Pending> other = inFlight->second;
    compiled.wait(lock, [&] { return other->done; });
    if (other->result) {
      ++hitCount;
      return other->result;
    }
  }
  ++missCount;
  uint64_t startedIn = generation;
  lock.unlock();

  llvm::Expected<std::unique_ptr<Executable>> fresh = fn();
  std::shared_ptr<Executable> result;
  if (fresh)
    result = std::move(*fresh);

  lock.lock();
  if (result && generation == startedIn)
    insert(key, result);
  mine->done = true;
  mine->result = result;
  pending.erase(key);
  lock.unlock();
  compiled.notify_all();
  if (!fresh)
    return fresh.takeError();
  return result;
}

void CompileCache::insert(const Key &key,
                          std::shared_ptr<Executable> executable) {
  if (maxEntries == 0)
    return;
  while (entries.size() >= maxEntries) {
    const Key *oldest = recency.back();
    recency.pop_back();
    entries.erase(*oldest);
  }
  auto [it, added] = entries.emplace(key, Slot{std::move(executable), {}});
  assert(added && "a key is compiled by one caller at a time");
  (void)added;
  recency.push_front(&it->first);
  it->second.use = recency.begin();
}

llvm::Expected<std::shared_ptr<Executable>>
CompileCache::compile(Backend &backend, const Graph &g,
                      const CompileOptions &options) {
  return lookupOrCompile(makeKey(backend.name(), g, options),
                         [&] { return backend.compile(g, options); });
}

llvm::Expected<std::shared_ptr<Executable>>
CompileCache::compile(llvm::StringRef backendName, const Graph &g,
                      const CompileOptions &options) {
  return lookupOrCompile(makeKey(backendName, g, options),
                         [&]() -> llvm::Expected<std::unique_ptr<Executable>> {
                           llvm::Expected<std::unique_ptr<Backend>> backend =
                               createBackend(backendName);
                           if (!backend)
                             return backend.takeError();
                           return (*backend)->compile(g, options);
                         });
}

uint64_t CompileCache::hits() const {
  std::lock_guard<std::mutex> guard(mutex);
  return hitCount;
}

uint64_t CompileCache::misses() const {
  std::lock_guard<std::mutex> guard(mutex);
  return missCount;
}

size_t CompileCache::size() const {
  std::lock_guard<std::mutex> guard(mutex);
  return entries.size();
}

void CompileCache::clear() {
  std::lock_guard<std::mutex> guard(mutex);
  entries.clear();
  recency.clear();
  ++generation;
  hitCount = missCount = 0;
}

} // namespace einsum
