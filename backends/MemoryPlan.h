//===- MemoryPlan.h - What a run holds at its worst -------------*- C++ -*-===//
//
// Both backends free each intermediate right after its last reader, so a run
// holds the live set of one step at its worst, not the whole graph. Each
// backend states how it places buffers (BufferModel) and gets its peak, and
// what holds the most there, from the one replay here: the limit a backend
// enforces (--max-memory) then means the same thing on every backend.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_MEMORYPLAN_H
#define EINSUM_BACKENDS_MEMORYPLAN_H

#include "ir/Graph.h"
#include "ir/Size.h"

#include <cstdint>
#include <string>
#include <vector>

namespace einsum {

/// How a backend lays out a run. The default is the reference backend's:
/// every node's result in a buffer of its own, outputs gathered after the
/// last step and copied into the caller's buffers.
struct BufferModel {
  /// expand_dims and reshape are views of their input's buffer, which then
  /// lives as long as its last view is read (the cpu backend).
  bool viewsShareBuffers = false;
  /// A node computing a graph output writes into the caller's buffer, and
  /// returned arguments and outputs listed twice are copied buffer to buffer
  /// (the cpu backend). Otherwise the result has a buffer of its own and
  /// the outputs are gathered at the end: copies of returned arguments and
  /// of outputs listed again come on top.
  bool outputsInPlace = false;
  /// What each node's kernel holds on top of the buffers while it runs
  /// (per-thread scratch), by node index; nodes past the end hold none.
  /// Sizes (ir/Size.h): symbolic when they depend on a run's sizes.
  std::vector<int64_t> scratchBytes;
};

struct PeakMemory {
  /// The most a run holds: the arguments and the caller's output buffers
  /// throughout, the buffers alive at the worst step and that step's
  /// scratch. UINT64_MAX if the sum does not fit.
  uint64_t bytes = 0;
  /// The largest thing alive at the peak: "argument %q", "output %out",
  /// "'einsum' producing %s" or "the scratch of 'attention' producing %o".
  /// Among equal buffers the latest result wins: the one that reached the
  /// peak.
  std::string largestHolder;
  uint64_t largestBytes = 0;
};

/// Replays a run of `g`, one node per step in `order` (a topological order
/// of the nodes that run; each has one result), under `model`, with the
/// symbols of a graph with symbolic sizes given their values by `sizes`
/// (which must satisfy the graph's SizeRequirements).
PeakMemory peakMemory(const Graph &g, llvm::ArrayRef<NodeId> order,
                      const BufferModel &model,
                      const SizeBindings &sizes = {});

} // namespace einsum

#endif // EINSUM_BACKENDS_MEMORYPLAN_H
