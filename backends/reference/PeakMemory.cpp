//===- PeakMemory.cpp - What a run of a schedule holds at its worst -------===//
//
// Replays runSchedule's allocations and frees without data: one sweep finds
// the peak and its step, a second stops there to name the largest tensor
// alive. Sums are kept in 128 bits: a hostile graph can declare enough
// 2^48-element tensors to overflow 64.
//
//===----------------------------------------------------------------------===//
#include "backends/reference/Interpreter.h"

#include <algorithm>
#include <cstdint>

namespace einsum::reference {

namespace {

using Bytes = unsigned __int128;

uint64_t bytesOf(const Graph &g, TensorId t) {
  return uint64_t(g.type(t).sizeInBytes());
}

/// The live set of runSchedule, step by step.
class Replay {
public:
  Replay(const Graph &g, const Schedule &s)
      : live(g.numTensors(), false), g(g), s(s) {}

  /// Allocates step `step`'s result; returns the bytes held while it runs.
  Bytes allocate(size_t step) {
    TensorId out = g.node(s.order[step]).outputs.front();
    live[out.index()] = true;
    held += bytesOf(g, out);
    return held;
  }
  /// Frees what runSchedule frees after step `step`.
  void release(size_t step) {
    const Node &n = g.node(s.order[step]);
    for (TensorId t : n.inputs)
      drop(t, step);
    drop(n.outputs.front(), step);
  }
  Bytes held = 0;
  std::vector<bool> live;

private:
  void drop(TensorId t, size_t step) {
    if (live[t.index()] && s.lastUse[t.index()] == int64_t(step)) {
      live[t.index()] = false;
      held -= bytesOf(g, t);
    }
  }
  const Graph &g;
  const Schedule &s;
};

} // namespace

PeakMemory peakMemory(const Graph &g, const Schedule &schedule) {
  // Arguments are borrowed from the caller, and the caller passes one
  // buffer per output (listed twice, twice), all held for the whole run.
  Bytes base = 0;
  for (TensorId a : g.arguments())
    base += bytesOf(g, a);
  for (TensorId o : g.outputs())
    base += bytesOf(g, o);

  Replay sweep(g, schedule);
  Bytes peak = base;
  size_t peakStep = schedule.order.size(); // The end, unless a step is worse.
  for (size_t step = 0; step < schedule.order.size(); ++step) {
    Bytes now = base + sweep.allocate(step);
    if (now > peak) {
      peak = now;
      peakStep = step;
    }
    sweep.release(step);
  }
  // At the end the outputs are gathered: arguments returned and outputs
  // listed again are copied (all but one listing of a computed output).
  Bytes copies = 0;
  std::vector<bool> listed(g.numTensors(), false);
  for (TensorId o : g.outputs()) {
    if (g.isArgument(o) || listed[o.index()])
      copies += bytesOf(g, o);
    listed[o.index()] = true;
  }
  if (base + sweep.held + copies > peak) {
    peak = base + sweep.held + copies;
    peakStep = schedule.order.size();
  }

  Replay replay(g, schedule);
  for (size_t step = 0; step < peakStep; ++step) {
    replay.allocate(step);
    replay.release(step);
  }
  if (peakStep < schedule.order.size())
    replay.allocate(peakStep);
  PeakMemory result;
  result.bytes = uint64_t(std::min<Bytes>(peak, UINT64_MAX));
  // Among equals the latest result wins: the step that reached the peak.
  for (TensorId a : g.arguments())
    if (bytesOf(g, a) > result.largestBytes) {
      result.largestBytes = bytesOf(g, a);
      result.largestHolder = "argument " + g.describeTensor(a);
    }
  for (NodeId n : schedule.order) {
    TensorId out = g.node(n).outputs.front();
    if (replay.live[out.index()] && bytesOf(g, out) >= result.largestBytes) {
      result.largestBytes = bytesOf(g, out);
      result.largestHolder = g.describeNode(n);
    }
  }
  return result;
}

} // namespace einsum::reference
