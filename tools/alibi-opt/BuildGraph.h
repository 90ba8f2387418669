//===- BuildGraph.h - Graphs built from command-line options ----*- C++ -*-===//
//
// `alibi-opt --build=...` makes a graph with the ir/nn API instead of
// parsing one, so attention variants can be printed, drawn and run without
// writing them out by hand.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_TOOLS_BUILDGRAPH_H
#define EINSUM_TOOLS_BUILDGRAPH_H

#include "ir/AlibiSlopes.h"
#include "ir/Graph.h"
#include "ir/SizeBindings.h"
#include "ir/nn/Attention.h"
#include "ir/nn/DecoderBlock.h"

#include <optional>

namespace einsum {

enum class BuildKind {
  /// softmax(q k^T * scale + bias) v with inputs q, k, v.
  Attention,
  /// The original API's four-node ALiBi bias graph over inputs scores,
  /// slopes and distance.
  AlibiBias,
  /// A pre-LayerNorm decoder block (ir/nn/DecoderBlock.h) over input x,
  /// its weights graph parameters.
  DecoderBlock,
};

/// Which lengths --dynamic makes symbolic.
enum class DynamicLengths { None, All, Keys };

/// What the user gave; unset fields take the defaults documented in
/// buildGraph. Keeping "not given" apart from "given the default" lets an
/// option that does not apply to a graph be an error instead of ignored.
struct BuildOptions {
  BuildKind kind = BuildKind::Attention;
  std::optional<int64_t> batch, heads, kvHeads, seq, kvSeq, headDim;
  std::optional<nn::PositionBias> position;
  std::optional<SlopeRecipe> slopes;
  std::optional<double> maxBias;
  std::optional<bool> causal;
  std::optional<DType> dtype;
  std::optional<int64_t> hidden, ffn;
  DynamicLengths dynamic = DynamicLengths::None;
  /// --kv-cache: the decoder block reads and returns a key/value cache.
  bool kvCache = false;
};

/// A built graph, and the values its symbols take for --random-inputs when
/// the command line gives none (--seq, --kv-seq).
struct BuiltGraph {
  Graph graph;
  SizeBindings defaultSizes;
};

/// Builds the graph `kind` names. Defaults: batch 1, heads 12, kv-heads =
/// heads, seq 64, kv-seq = seq, head-dim 32, no position encoding, paper
/// slopes, max-bias 8, not causal, f32. A decoder block defaults to hidden
/// 64 * heads, ffn 4 * hidden, ALiBi and causal. With `dynamic`, lengths
/// are symbols: ?s for a self-attention's queries and keys (and a block's
/// tokens), ?q and ?k when --kv-seq gives keys apart, only ?k for keys.
/// Invalid sizes and combinations are errors that name the options.
llvm::Expected<BuiltGraph> buildGraph(const BuildOptions &options);

} // namespace einsum

#endif // EINSUM_TOOLS_BUILDGRAPH_H
