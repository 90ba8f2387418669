//===- MemoryPlan.cpp - What a run holds at its worst ---------------------===//
//
// 1. Lifetimes: which buffer each tensor lives in (a view in its input's,
//    when the model says so), which results get a buffer of their own, and
//    the step after which each buffer is dead.
// 2. One sweep finds the peak and its step; a second replays up to that
//    step to name the largest holder alive there.
// Sums are kept in 128 bits: a hostile graph can declare enough 2^48-element
// tensors to overflow 64.
//
//===----------------------------------------------------------------------===//
#include "backends/MemoryPlan.h"

#include <algorithm>
#include <limits>

namespace einsum {

namespace {

using Bytes = unsigned __int128;

uint64_t bytesOf(const Graph &g, TensorId t) {
  return uint64_t(g.type(t).sizeInBytes());
}

bool isView(OpKind op) {
  return op == OpKind::ExpandDims || op == OpKind::Reshape;
}

/// Step 1, and the live set of the run step by step.
class Replay {
public:
  Replay(const Graph &g, llvm::ArrayRef<NodeId> order, const BufferModel &m)
      : g(g), order(order), model(m), root(g.numTensors()),
        ownsBuffer(g.numTensors(), false), lastUse(g.numTensors(), 0),
        live(g.numTensors(), false) {
    for (size_t t = 0; t < root.size(); ++t)
      root[t] = TensorId(t);
    for (size_t step = 0; step < order.size(); ++step) {
      const Node &node = g.node(order[step]);
      TensorId out = node.outputs.front();
      if (model.viewsShareBuffers && isView(node.op))
        root[out.index()] = root[node.inputs[0].index()];
      else if (!(model.outputsInPlace && g.isOutput(out)))
        ownsBuffer[out.index()] = true;
      // A result nobody reads dies at the step that makes it.
      for (TensorId t : llvm::concat<const TensorId>(node.inputs, node.outputs))
        lastUse[bufferOf(t)] = std::max(lastUse[bufferOf(t)], step);
    }
    // Outputs are returned, so their buffers are kept to the end.
    for (TensorId t : g.outputs())
      lastUse[bufferOf(t)] = kKept;
  }

  /// Allocates step `step`'s result; returns the bytes held while it runs,
  /// its scratch included.
  Bytes allocate(size_t step) {
    NodeId id = order[step];
    TensorId out = g.node(id).outputs.front();
    if (ownsBuffer[out.index()]) {
      live[out.index()] = true;
      held += bytesOf(g, out);
    }
    return held + scratchOf(id);
  }
  /// Frees the buffers that die after step `step`.
  void release(size_t step) {
    const Node &node = g.node(order[step]);
    for (TensorId t : llvm::concat<const TensorId>(node.inputs, node.outputs)) {
      size_t b = bufferOf(t);
      if (live[b] && lastUse[b] == step) {
        live[b] = false;
        held -= bytesOf(g, TensorId(b));
      }
    }
  }
  uint64_t scratchOf(NodeId id) const {
    return id.index() < model.scratchBytes.size()
               ? model.scratchBytes[id.index()]
               : 0;
  }
  bool isLive(TensorId t) const { return live[t.index()]; }

  Bytes held = 0;

private:
  static constexpr size_t kKept = std::numeric_limits<size_t>::max();
  size_t bufferOf(TensorId t) const { return root[t.index()].index(); }

  const Graph &g;
  llvm::ArrayRef<NodeId> order;
  const BufferModel &model;
  /// root[t]: the tensor whose buffer t lives in.
  std::vector<TensorId> root;
  /// Whether a node allocates a buffer for this result.
  std::vector<bool> ownsBuffer;
  /// The step after which a buffer is dead, or kKept.
  std::vector<size_t> lastUse;
  std::vector<bool> live;
};

} // namespace

PeakMemory peakMemory(const Graph &g, llvm::ArrayRef<NodeId> order,
                      const BufferModel &model) {
  // 2. The arguments are borrowed from the caller and the caller passes one
  // buffer per output (listed twice, twice): held for the whole run.
  Bytes base = 0;
  for (TensorId t : llvm::concat<const TensorId>(g.arguments(), g.outputs()))
    base += bytesOf(g, t);

  Replay sweep(g, order, model);
  Bytes peak = base;
  size_t peakStep = order.size(); // The end, unless a step is worse.
  for (size_t step = 0; step < order.size(); ++step) {
    Bytes now = base + sweep.allocate(step);
    if (now > peak) {
      peak = now;
      peakStep = step;
    }
    sweep.release(step);
  }
  // Outputs gathered at the end copy the returned arguments and the outputs
  // listed again (all but one listing of a computed output).
  Bytes copies = 0;
  if (!model.outputsInPlace) {
    std::vector<bool> listed(g.numTensors(), false);
    for (TensorId o : g.outputs()) {
      if (g.isArgument(o) || listed[o.index()])
        copies += bytesOf(g, o);
      listed[o.index()] = true;
    }
  }
  if (base + sweep.held + copies > peak) {
    peak = base + sweep.held + copies;
    peakStep = order.size();
  }

  Replay replay(g, order, model);
  for (size_t step = 0; step < peakStep; ++step) {
    replay.allocate(step);
    replay.release(step);
  }
  if (peakStep < order.size())
    replay.allocate(peakStep);
  PeakMemory result;
  result.bytes = uint64_t(std::min<Bytes>(peak, UINT64_MAX));
  auto consider = [&](uint64_t bytes, bool winsTies, auto describe) {
    if (bytes > result.largestBytes ||
        (winsTies && bytes == result.largestBytes)) {
      result.largestBytes = bytes;
      result.largestHolder = describe();
    }
  };
  for (TensorId a : g.arguments())
    consider(bytesOf(g, a), false,
             [&] { return "argument " + g.describeTensor(a); });
  // Written in place, the caller's buffer is the result's.
  if (model.outputsInPlace)
    for (TensorId o : g.outputs())
      consider(bytesOf(g, o), false,
               [&] { return "output " + g.describeTensor(o); });
  for (NodeId n : order) {
    TensorId out = g.node(n).outputs.front();
    if (replay.isLive(out))
      consider(bytesOf(g, out), true, [&] { return g.describeNode(n); });
  }
  if (peakStep < order.size())
    consider(replay.scratchOf(order[peakStep]), false, [&] {
      return "the scratch of " + g.describeNode(order[peakStep]);
    });
  return result;
}

} // namespace einsum
