//===- MemoryPlanTest.cpp - The peak memory planner of both backends ------===//
#include "backends/MemoryPlan.h"

#include "ReferenceTestUtil.h"
#include "ir/Builder.h"

#include <gtest/gtest.h>

using namespace einsum;
using einsum::testing::chainOfKiBs;

namespace {

constexpr uint64_t KiB = 1024;

/// exp, then a reshape of it, then neg of the reshape as the output.
Graph viewOfAnIntermediate() {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({256}));
  TensorId y = b.exp(x, "y");
  TensorId v = b.reshape(y, {16, 16}, "v");
  b.output(b.neg(v, "out"));
  EXPECT_FALSE(bool(b.takeError()));
  return g;
}

BufferModel cpuModel(std::vector<int64_t> scratch = {}) {
  BufferModel m;
  m.viewsShareBuffers = true;
  m.outputsInPlace = true;
  m.scratchBytes = std::move(scratch);
  return m;
}

PeakMemory plan(const Graph &g, const BufferModel &model) {
  return peakMemory(g, llvm::cantFail(g.topologicalOrder()), model);
}

TEST(MemoryPlan, OwnBuffersAndGatheredOutputs) {
  // x and the caller's w throughout; y, z and add's own w at the last step.
  PeakMemory p = plan(chainOfKiBs(), BufferModel());
  EXPECT_EQ(p.bytes, 5 * KiB);
  EXPECT_EQ(p.largestHolder, "'add' producing %w");
  EXPECT_EQ(p.largestBytes, KiB);
}

TEST(MemoryPlan, OutputsWrittenInPlace) {
  // add writes into the caller's w: y and z at neg are the worst, and the
  // latest of equals is named.
  PeakMemory p = plan(chainOfKiBs(), cpuModel());
  EXPECT_EQ(p.bytes, 4 * KiB);
  EXPECT_EQ(p.largestHolder, "'neg' producing %z");
}

TEST(MemoryPlan, ScratchAtThePeak) {
  Graph g = chainOfKiBs();
  std::vector<int64_t> scratch(g.numNodes(), 0);
  NodeId add = llvm::cantFail(g.topologicalOrder()).back();
  scratch[add.index()] = 8 * KiB;
  PeakMemory p = plan(g, cpuModel(scratch));
  EXPECT_EQ(p.bytes, 12 * KiB);
  EXPECT_EQ(p.largestHolder, "the scratch of 'add' producing %w");
  EXPECT_EQ(p.largestBytes, 8 * KiB);
}

TEST(MemoryPlan, ViewsShareTheirInputsBuffer) {
  Graph g = viewOfAnIntermediate();
  // A copy: y and v are alive together while reshape runs.
  PeakMemory copied = plan(g, BufferModel());
  EXPECT_EQ(copied.bytes, 4 * KiB);
  EXPECT_EQ(copied.largestHolder, "'reshape' producing %v");
  // A view: y's buffer is v's, alive until neg has read v.
  PeakMemory shared = plan(g, cpuModel());
  EXPECT_EQ(shared.bytes, 3 * KiB);
  EXPECT_EQ(shared.largestHolder, "'exp' producing %y");
}

TEST(MemoryPlan, ReturnedArgumentsAreCopiedWhenGathered) {
  Graph g;
  Builder b(g);
  TensorId x = b.input("x", TensorType::f32({256}));
  b.output(x);
  b.output(b.neg(x, "n"));
  ASSERT_FALSE(bool(b.takeError()));
  // x, the caller's two buffers, neg's own n, then the copy of x.
  EXPECT_EQ(plan(g, BufferModel()).bytes, 5 * KiB);
  EXPECT_EQ(plan(g, cpuModel()).bytes, 3 * KiB);
}

} // namespace
