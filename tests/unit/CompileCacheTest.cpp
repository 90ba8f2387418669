//===- CompileCacheTest.cpp - Keys, eviction, errors and threads ----------===//
#include "CpuTestUtil.h"

#include "backends/CompileCache.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>

using namespace einsum;
using namespace einsum::testing;

namespace {

class NullExecutable : public Executable {
public:
  explicit NullExecutable(const Graph &g) : Executable(g) {}

protected:
  llvm::Error runImpl(llvm::ArrayRef<const TensorData *>,
                      llvm::ArrayRef<TensorData *>,
                      const SizeBindings &) override {
    return llvm::Error::success();
  }
};

/// Counts the compiles that reach it; refuses while `failuresLeft` > 0.
class CountingBackend : public Backend {
public:
  explicit CountingBackend(std::string name = "counting")
      : backendName(std::move(name)) {}
  llvm::StringRef name() const override { return backendName; }
  llvm::StringRef description() const override { return "for tests"; }
  llvm::Expected<std::unique_ptr<Executable>>
  compile(const Graph &g, const CompileOptions &) override {
    ++compiles;
    if (failuresLeft > 0) {
      --failuresLeft;
      return makeError("counting backend: refused on purpose");
    }
    return std::make_unique<NullExecutable>(g);
  }

  std::atomic<int> compiles{0};
  std::atomic<int> failuresLeft{0};

private:
  std::string backendName;
};

/// y = softmax(x * scale, axis) over [rows, cols].
Graph scaledSoftmax(int64_t rows = 4, int64_t cols = 8, double scale = 0.5,
                    int64_t axis = -1, DType dtype = DType::F32) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType(dtype, {rows, cols}));
  b.output(b.softmax(b.mul(x, b.scalar(scale, dtype)), axis), "y");
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

/// Attention without fusion: softmax(q k^T / 4) v over [1, 2, 16, 8].
Graph attention() {
  Graph g;
  Builder b(g);
  TensorType t = TensorType::f32({1, 2, 16, 8});
  TensorId q = b.input("q", t), k = b.input("k", t), v = b.input("v", t);
  TensorId s = b.mul(b.einsum("bhid,bhjd->bhij", {q, k}), b.scalar(0.25));
  b.output(b.einsum("bhij,bhjd->bhid", {b.softmax(s), v}), "out");
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

std::shared_ptr<Executable> compileOrFail(CompileCache &cache, Backend &backend,
                                          const Graph &g,
                                          const CompileOptions &options = {}) {
  llvm::Expected<std::shared_ptr<Executable>> exe =
      cache.compile(backend, g, options);
  if (!exe) {
    ADD_FAILURE() << "compile: " << firstMessage(exe.takeError());
    return nullptr;
  }
  return *exe;
}

bool sameBytes(const TensorData &a, const TensorData &b) {
  return a.type() == b.type() &&
         std::memcmp(a.raw(), b.raw(), a.sizeInBytes()) == 0;
}

TEST(CompileCache, SameGraphTwiceCompilesOnce) {
  CountingBackend backend;
  CompileCache cache;
  std::shared_ptr<Executable> first =
      compileOrFail(cache, backend, scaledSoftmax());
  // Built again, not copied: equal graphs, not the same object.
  std::shared_ptr<Executable> second =
      compileOrFail(cache, backend, scaledSoftmax());
  ASSERT_TRUE(first);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(backend.compiles, 1);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.capacity(), CompileCache::kDefaultCapacity);
}

TEST(CompileCache, GraphsDifferingAnywhereAreDifferentEntries) {
  CountingBackend backend;
  CompileCache cache;
  std::vector<Graph> graphs = {
      scaledSoftmax(),
      scaledSoftmax(4, 8, 0.5, /*axis=*/0), // one attribute
      scaledSoftmax(4, 9),                  // one dimension
      scaledSoftmax(4, 8, 0.25),            // one constant
      // Constants one ulp apart in f64: the text must keep every bit.
      scaledSoftmax(4, 8, 1.0, -1, DType::F64),
      scaledSoftmax(4, 8, std::nextafter(1.0, 2.0), -1, DType::F64),
  };
  std::vector<Executable *> seen;
  for (const Graph &g : graphs)
    seen.push_back(compileOrFail(cache, backend, g).get());
  EXPECT_EQ(backend.compiles, int(graphs.size()));
  EXPECT_EQ(cache.misses(), graphs.size());
  EXPECT_EQ(cache.hits(), 0u);
  for (size_t i = 0; i < seen.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      EXPECT_NE(seen[i], seen[j]) << "graphs " << j << " and " << i;
}

TEST(CompileCache, RenamedTensorIsADifferentEntry) {
  // Inputs are bound by name, so a renamed argument needs its own
  // executable even though nothing else changed.
  auto graph = [](std::string name) {
    Graph g;
    Builder b(g);
    b.output(b.exp(b.input(name, TensorType::f32({4}))), "y");
    EXPECT_FALSE(bool(b.takeError()));
    return g;
  };
  CountingBackend backend;
  CompileCache cache;
  std::shared_ptr<Executable> a = compileOrFail(cache, backend, graph("a"));
  std::shared_ptr<Executable> b = compileOrFail(cache, backend, graph("b"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(b->argumentNames()[0], "b");
}

TEST(CompileCache, OptionsAndBackendArePartOfTheKey) {
  CountingBackend backend, other("other");
  CompileCache cache;
  Graph g = scaledSoftmax();
  CompileOptions oneThread, twoThreads, limited;
  oneThread.threads = 1;
  twoThreads.threads = 2;
  limited.threads = 1;
  limited.maxMemoryBytes = 1 << 20;
  Executable *a = compileOrFail(cache, backend, g, oneThread).get();
  Executable *b = compileOrFail(cache, backend, g, twoThreads).get();
  Executable *c = compileOrFail(cache, backend, g, limited).get();
  Executable *d = compileOrFail(cache, other, g, oneThread).get();
  EXPECT_EQ(backend.compiles, 3);
  EXPECT_EQ(other.compiles, 1);
  EXPECT_EQ(cache.misses(), 4u);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
  EXPECT_NE(a, d);
  // Each one is found again under its own key.
  EXPECT_EQ(compileOrFail(cache, backend, g, limited).get(), c);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(CompileCache, TargetIsPartOfTheKey) {
  CountingBackend backend;
  CompileCache cache;
  Graph g = scaledSoftmax();
  CompileOptions host, cpu, features, cpuAndFeatures;
  cpu.target.cpu = "x86-64-v3";
  features.target.features = "-avx512f";
  // The same text split differently between fields is another target.
  cpuAndFeatures.target.cpu = "x86-64-v3-avx512f";
  std::set<Executable *> seen;
  for (const CompileOptions *o : {&host, &cpu, &features, &cpuAndFeatures})
    seen.insert(compileOrFail(cache, backend, g, *o).get());
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(backend.compiles, 4);
  EXPECT_EQ(compileOrFail(cache, backend, g, features).get(),
            compileOrFail(cache, backend, g, features).get());
  EXPECT_EQ(cache.hits(), 2u);
}

TEST(CompileCache, EvictsTheLeastRecentlyUsed) {
  CountingBackend backend;
  CompileCache cache(2);
  Graph a = scaledSoftmax(2), b = scaledSoftmax(3), c = scaledSoftmax(4);
  compileOrFail(cache, backend, a);
  compileOrFail(cache, backend, b);
  compileOrFail(cache, backend, a); // a is now more recent than b
  compileOrFail(cache, backend, c); // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(backend.compiles, 3);
  compileOrFail(cache, backend, a);
  compileOrFail(cache, backend, c);
  EXPECT_EQ(backend.compiles, 3);
  compileOrFail(cache, backend, b); // compiled again, evicts a
  EXPECT_EQ(backend.compiles, 4);
  compileOrFail(cache, backend, a);
  EXPECT_EQ(backend.compiles, 5);
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.misses(), 5u);
}

TEST(CompileCache, EvictedExecutableStaysAliveForItsHolder) {
  registerBuiltinBackends();
  CompileCache cache(1);
  Graph g = scaledSoftmax();
  llvm::Expected<std::shared_ptr<Executable>> held =
      cache.compile("reference", g, {});
  ASSERT_TRUE(bool(held)) << firstMessage(held.takeError());
  ASSERT_TRUE(bool(cache.compile("reference", scaledSoftmax(5), {})));
  EXPECT_EQ(cache.size(), 1u);
  std::vector<TensorData> in = randomInputs(g, 1);
  std::vector<TensorData> out = runExecutable(**held, in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::isfinite(out[0].get(0)));
}

TEST(CompileCache, ZeroCapacityKeepsNothing) {
  CountingBackend backend;
  CompileCache cache(0);
  compileOrFail(cache, backend, scaledSoftmax());
  compileOrFail(cache, backend, scaledSoftmax());
  EXPECT_EQ(backend.compiles, 2);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(CompileCache, ErrorsAreReturnedAndNotCached) {
  CountingBackend backend;
  backend.failuresLeft = 1;
  CompileCache cache;
  Graph g = scaledSoftmax();
  llvm::Expected<std::shared_ptr<Executable>> failed =
      cache.compile(backend, g, {});
  ASSERT_FALSE(bool(failed));
  EXPECT_EQ(firstMessage(failed.takeError()),
            "counting backend: refused on purpose");
  EXPECT_EQ(cache.size(), 0u);
  // The next call compiles again, and this time succeeds and is kept.
  std::shared_ptr<Executable> exe = compileOrFail(cache, backend, g);
  EXPECT_TRUE(exe);
  EXPECT_EQ(backend.compiles, 2);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(compileOrFail(cache, backend, g).get(), exe.get());
}

TEST(CompileCache, BackendErrorsByNameAreNotCached) {
  registerBuiltinBackends();
  CompileCache cache;
  Graph g = scaledSoftmax();
  CompileOptions tiny;
  tiny.maxMemoryBytes = 16; // x alone holds 128 bytes
  for (int round = 0; round < 2; ++round) {
    llvm::Expected<std::shared_ptr<Executable>> refused =
        cache.compile("reference", g, tiny);
    ASSERT_FALSE(bool(refused));
    EXPECT_NE(firstMessage(refused.takeError()).find("the limit is 16 bytes"),
              std::string::npos);
  }
  llvm::Expected<std::shared_ptr<Executable>> unknown =
      cache.compile("referenec", g, {});
  ASSERT_FALSE(bool(unknown));
  EXPECT_NE(firstMessage(unknown.takeError())
                .find("unknown backend 'referenec' (did you mean "
                      "'reference'?)"),
            std::string::npos);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(CompileCache, ClearDropsEntriesAndCounters) {
  CountingBackend backend;
  CompileCache cache;
  compileOrFail(cache, backend, scaledSoftmax());
  compileOrFail(cache, backend, scaledSoftmax());
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 0u);
  compileOrFail(cache, backend, scaledSoftmax());
  EXPECT_EQ(backend.compiles, 2);
}

/// The cached executable against a fresh compile of the same graph on
/// `backendName`, both run on the same inputs: the same code, so the same
/// bits. Also against the reference backend within `tol`, so that two
/// equally wrong executables cannot pass.
void expectCachedMatchesFresh(llvm::StringRef backendName, double tol) {
  registerBuiltinBackends();
  Graph g = attention();
  CompileOptions options;
  options.threads = 1;
  CompileCache cache;
  ASSERT_TRUE(bool(cache.compile(backendName, g, options)));
  llvm::Expected<std::shared_ptr<Executable>> cached =
      cache.compile(backendName, g, options);
  ASSERT_TRUE(bool(cached)) << firstMessage(cached.takeError());
  EXPECT_EQ(cache.hits(), 1u);

  llvm::Expected<std::unique_ptr<Backend>> backend = createBackend(backendName);
  ASSERT_TRUE(bool(backend)) << firstMessage(backend.takeError());
  llvm::Expected<std::unique_ptr<Executable>> fresh =
      (*backend)->compile(g, options);
  ASSERT_TRUE(bool(fresh)) << firstMessage(fresh.takeError());

  std::vector<TensorData> in = randomInputs(g, 7);
  std::vector<TensorData> got = runExecutable(**cached, in);
  std::vector<TensorData> want = runExecutable(**fresh, in);
  std::unique_ptr<Backend> ref = createReferenceBackend();
  std::vector<TensorData> oracle = runOn(*ref, g, in);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  ASSERT_EQ(oracle.size(), 1u);
  EXPECT_TRUE(sameBytes(got[0], want[0]));
  Comparison c = compareTensors(got[0], oracle[0], tol, tol);
  EXPECT_TRUE(c.allClose) << "max |error| " << c.maxAbsError << " at "
                          << c.worstIndex;
}

TEST(CompileCache, ReferenceCachedRunsLikeFresh) {
  expectCachedMatchesFresh("reference", 1e-6);
}

TEST(CompileCache, CpuCachedRunsLikeFresh) {
  if (!cpuBackend())
    GTEST_SKIP() << "cpu backend not built";
  // f32 against the reference in double on O(1) outputs.
  expectCachedMatchesFresh("cpu", 1e-4);
}

TEST(CompileCache, ConcurrentCompilesOfOneGraphCompileOnce) {
  // However the threads interleave, exactly one reaches the backend and
  // the others are answered from the cache or by waiting for it.
  CountingBackend backend;
  CompileCache cache;
  constexpr int kThreads = 4;
  std::vector<Executable *> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      got[t] = compileOrFail(cache, backend, scaledSoftmax()).get();
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(backend.compiles, 1);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), uint64_t(kThreads - 1));
  for (int t = 1; t < kThreads; ++t)
    EXPECT_EQ(got[t], got[0]);
}

/// Two threads compile two graphs each (one shared, one their own) on
/// `backendName` through one cache and run them at once; every result is
/// checked against the reference.
void expectConcurrentUseIsSafe(llvm::StringRef backendName, double tol) {
  registerBuiltinBackends();
  CompileCache cache;
  Graph shared = attention();
  Graph own[2] = {scaledSoftmax(4, 8), scaledSoftmax(8, 4)};
  std::unique_ptr<Backend> ref = createReferenceBackend();
  std::vector<TensorData> sharedIn = randomInputs(shared, 3);
  std::vector<TensorData> sharedWant = runOn(*ref, shared, sharedIn);
  std::vector<TensorData> ownIn[2], ownWant[2];
  for (int t = 0; t < 2; ++t) {
    ownIn[t] = randomInputs(own[t], 10 + t);
    ownWant[t] = runOn(*ref, own[t], ownIn[t]);
  }

  std::vector<TensorData> sharedGot[2], ownGot[2];
  std::string failure[2];
  auto work = [&](int t) {
    for (const Graph *g : {&shared, &own[t]}) {
      llvm::Expected<std::shared_ptr<Executable>> exe =
          cache.compile(backendName, *g, {});
      if (!exe) {
        failure[t] = firstMessage(exe.takeError());
        return;
      }
      (g == &shared ? sharedGot[t] : ownGot[t]) =
          runExecutable(**exe, g == &shared ? sharedIn : ownIn[t]);
    }
  };
  std::thread first(work, 0), second(work, 1);
  first.join();
  second.join();

  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.hits(), 1u);
  for (int t = 0; t < 2; ++t) {
    ASSERT_EQ(failure[t], "") << "thread " << t;
    ASSERT_EQ(sharedGot[t].size(), 1u);
    ASSERT_EQ(ownGot[t].size(), 1u);
    EXPECT_TRUE(
        compareTensors(sharedGot[t][0], sharedWant[0], tol, tol).allClose)
        << "thread " << t << ", shared graph";
    EXPECT_TRUE(compareTensors(ownGot[t][0], ownWant[t][0], tol, tol).allClose)
        << "thread " << t << ", own graph";
  }
}

TEST(CompileCache, ConcurrentUseOnReference) {
  expectConcurrentUseIsSafe("reference", 1e-6);
}

TEST(CompileCache, ConcurrentUseOnCpu) {
  if (!cpuBackend())
    GTEST_SKIP() << "cpu backend not built";
  expectConcurrentUseIsSafe("cpu", 1e-4);
}

} // namespace
