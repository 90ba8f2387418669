//===- CpuBufferCacheTest.cpp - Large intermediates kept between runs -----===//
//
// The JIT'd code allocates its intermediates through the buffer cache
// (backends/cpu/BufferCache.h): a freed block of 1 MiB or more is kept for
// the next run, whose answers must not depend on what the block held, and
// every kept block is given back when the last executable goes.
//
//===----------------------------------------------------------------------===//
#include "CpuTestUtil.h"
#include "backends/cpu/BufferCache.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

namespace einsum::testing {
namespace {

/// exp(x - y) * x over [512, 1024] f32: two 2 MiB intermediates.
Graph chain() {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({512, 1024}));
  TensorId y = b.input("y", TensorType::f32({1024}));
  TensorId d = b.sub(x, y, "d");
  TensorId e = b.exp(d, "e");
  b.output(b.mul(e, x, "out"));
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

TEST(CpuBufferCache, KeepsIntermediatesBetweenRunsAndGivesThemBack) {
  std::unique_ptr<Backend> cpu = cpuBackend();
  if (!cpu)
    GTEST_SKIP() << "cpu backend not built";
  if (cpu::bufferCacheCapacity() < (size_t(8) << 20))
    GTEST_SKIP() << "EG_CPU_BUFFER_CACHE keeps less than the test needs";
  Graph g = chain();
  std::unique_ptr<Backend> ref = createReferenceBackend();
  {
    llvm::Expected<std::unique_ptr<Executable>> exe = cpu->compile(g, {});
    ASSERT_TRUE(bool(exe)) << firstMessage(exe.takeError());
    std::vector<TensorData> expected;
    // Different inputs each run: a kept block holds the last run's values,
    // which must not leak into this one.
    for (unsigned seed : {1u, 2u, 3u}) {
      std::vector<TensorData> in = randomInputs(g, seed);
      std::vector<TensorData> got = runExecutable(**exe, in);
      std::vector<TensorData> want = runOn(*ref, g, in);
      ASSERT_EQ(got.size(), 1u);
      ASSERT_EQ(want.size(), 1u);
      Comparison c = compareTensors(got[0], want[0], 1e-5, 1e-6);
      EXPECT_TRUE(c.allClose)
          << "run " << seed << ": max |error| " << c.maxAbsError;
      // Both intermediates were freed into the cache.
      EXPECT_GE(cpu::bufferCacheHeldBytes(), size_t(2) << 20);
    }
  }
  EXPECT_EQ(cpu::bufferCacheHeldBytes(), 0u);
}

} // namespace
} // namespace einsum::testing
