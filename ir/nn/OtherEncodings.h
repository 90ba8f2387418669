//===- OtherEncodings.h - Sinusoidal, learned, relative, rotary -*- C++ -*-===//
#ifndef EINSUM_IR_NN_OTHERENCODINGS_H
#define EINSUM_IR_NN_OTHERENCODINGS_H

#include "ir/Graph.h"
#include "ir/nn/PositionEncoding.h"

namespace einsum::nn {

/// Vaswani et al.: PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(same).
class SinusoidalPositionEncoding {
public:
  static llvm::Expected<SinusoidalPositionEncoding>
  create(PositionEncodingConfig config);
  const PositionEncodingConfig &config() const { return cfg; }
  /// The [seqLen, dModel] table, built from generators (no stored data).
  llvm::Expected<TensorId> buildTable(Graph &g, int64_t seqLen,
                                      DType dtype = DType::F32) const;
  /// x [..., seqLen, dModel] + table.
  llvm::Expected<TensorId> apply(Graph &g, TensorId x) const;

private:
  explicit SinusoidalPositionEncoding(PositionEncodingConfig c) : cfg(c) {}
  PositionEncodingConfig cfg;
};

/// A trained [maxSeqLen, dModel] table, gathered at positions 0..seqLen-1.
class LearnedPositionEncoding {
public:
  static llvm::Expected<LearnedPositionEncoding>
  create(PositionEncodingConfig config);
  const PositionEncodingConfig &config() const { return cfg; }
  /// Adds the table as a graph parameter named `tableName`, gathers its
  /// first seqLen rows and adds them to x [..., seqLen, dModel]. A parameter
  /// of that name and type already in the graph is reused (shared table).
  llvm::Expected<TensorId> apply(Graph &g, TensorId x,
                                 std::string tableName = "pos_table") const;

private:
  explicit LearnedPositionEncoding(PositionEncodingConfig c) : cfg(c) {}
  PositionEncodingConfig cfg;
};

/// T5: a learned scalar per (bucket of j - i, head), added to the scores.
class RelativePositionEncoding {
public:
  static llvm::Expected<RelativePositionEncoding>
  create(PositionEncodingConfig config, bool bidirectional = true);
  const PositionEncodingConfig &config() const { return cfg; }
  bool bidirectional() const { return bidir; }
  /// Adds a [numBuckets, nHeads] parameter named `tableName`, gathers it at
  /// the relative_buckets of [Sq, Sk] and adds the [heads, Sq, Sk] bias to
  /// scores [batch, heads, Sq, Sk]. nHeads comes from the scores when the
  /// config's is 0. `queryOffset` -1 means Sk - Sq. Layers share the table:
  /// a parameter of that name and type already in the graph is reused.
  llvm::Expected<TensorId> buildBias(Graph &g, TensorId scores,
                                     std::string tableName = "rel_table",
                                     int64_t queryOffset = -1) const;

private:
  RelativePositionEncoding(PositionEncodingConfig c, bool b)
      : cfg(c), bidir(b) {}
  PositionEncodingConfig cfg;
  bool bidir;
};

/// RoPE (Su et al.), in the half-split convention (GPT-NeoX, LLaMA): the
/// pair (x[e], x[e + d/2]) at position p is rotated by p / scaling *
/// base^(-2e/d).
class RotaryPositionEncoding {
public:
  static llvm::Expected<RotaryPositionEncoding>
  create(PositionEncodingConfig config);
  const PositionEncodingConfig &config() const { return cfg; }
  /// Rotates x [batch, heads, seq, d] (d = the config's dModel, the head
  /// dimension) with positions positionOffset .. positionOffset + seq - 1.
  llvm::Expected<TensorId> apply(Graph &g, TensorId x,
                                 int64_t positionOffset = 0) const;

  /// The two halves of apply, so that tensors at the same positions (q and
  /// k in self-attention) share one rotation: R [seq, 2, 2, d/2] for
  /// positions positionOffset .. positionOffset + seq - 1, and x rotated
  /// by it. For f16 and bf16, R is f32 and x is rotated in f32, then
  /// rounded back to its type.
  llvm::Expected<TensorId> buildRotation(Graph &g, int64_t seq,
                                         int64_t positionOffset,
                                         DType dtype) const;
  llvm::Expected<TensorId> applyRotation(Graph &g, TensorId x,
                                         TensorId rotation) const;

private:
  /// x's type if it is a float [batch, heads, seq, dModel] tensor.
  llvm::Expected<TensorType> checkInput(const Graph &g, TensorId x) const;
  explicit RotaryPositionEncoding(PositionEncodingConfig c) : cfg(c) {}
  PositionEncodingConfig cfg;
};

} // namespace einsum::nn

#endif // EINSUM_IR_NN_OTHERENCODINGS_H
