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

/// A size's value for this run (0 if it cannot be had: requirements the
/// caller checked make that impossible).
uint64_t valueOf(int64_t s, const SizeBindings &sizes) {
  if (!isSymbolicSize(s))
    return uint64_t(s);
  llvm::Expected<int64_t> v = evaluateSize(s, sizes);
  if (!v) {
    llvm::consumeError(v.takeError());
    return 0;
  }
  return uint64_t(std::max<int64_t>(*v, 0));
}

uint64_t bytesOf(const Graph &g, TensorId t, const SizeBindings &sizes) {
  const TensorType &type = g.type(t);
  if (type.isStatic())
    return uint64_t(type.sizeInBytes());
  // At most 2^48 elements: the requirements checked it.
  uint64_t n = dtypeSize(type.elementType());
  for (int64_t d : type.shape())
    n *= valueOf(d, sizes);
  return n;
}

bool isView(OpKind op) {
  return op == OpKind::ExpandDims || op == OpKind::Reshape;
}

/// Step 1, and the live set of the run step by step.
class Replay {
public:
  Replay(const Graph &g, llvm::ArrayRef<NodeId> order, const BufferModel &m,
         const SizeBindings &sizes)
      : g(g), order(order), model(m), sizes(sizes), root(g.numTensors()),
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
      held += bytesOf(g, out, sizes);
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
        held -= bytesOf(g, TensorId(b), sizes);
      }
    }
  }
  uint64_t scratchOf(NodeId id) const {
    return id.index() < model.scratchBytes.size()
               ? valueOf(model.scratchBytes[id.index()], sizes)
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
  const SizeBindings &sizes;
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
                      const BufferModel &model, const SizeBindings &sizes) {
  auto bytesOf = [&](TensorId t) { return einsum::bytesOf(g, t, sizes); };
  // 2. The arguments are borrowed from the caller and the caller passes one
  // buffer per output (listed twice, twice): held for the whole run.
  Bytes base = 0;
  for (TensorId t : llvm::concat<const TensorId>(g.arguments(), g.outputs()))
    base += bytesOf(t);

  Replay sweep(g, order, model, sizes);
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
        copies += bytesOf(o);
      listed[o.index()] = true;
    }
  }
  if (base + sweep.held + copies > peak) {
    peak = base + sweep.held + copies;
    peakStep = order.size();
  }

  Replay replay(g, order, model, sizes);
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
    consider(bytesOf(a), false,
             [&] { return "argument " + g.describeTensor(a); });
  // Written in place, the caller's buffer is the result's.
  if (model.outputsInPlace)
    for (TensorId o : g.outputs())
      consider(bytesOf(o), false,
               [&] { return "output " + g.describeTensor(o); });
  for (NodeId n : order) {
    TensorId out = g.node(n).outputs.front();
    if (replay.isLive(out))
      consider(bytesOf(out), true, [&] { return g.describeNode(n); });
  }
  if (peakStep < order.size())
    consider(replay.scratchOf(order[peakStep]), false, [&] {
      return "the scratch of " + g.describeNode(order[peakStep]);
    });
  return result;
}

} // namespace einsum
