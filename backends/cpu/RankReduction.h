//===- RankReduction.h - Ops over the dimensions they need ------*- C++ -*-===//
//
// Elementwise ops, reduce, softmax, transpose and concat are lowered over
// the fewest dimensions that describe their work: unit dimensions dropped, and
// neighbouring dimensions that every operand walks in the same way merged
// into one. An exp over [1,...,1,8] is lowered as an exp over [8], an add of
// [4,8,16] and [16] as one of [32,16] and [1,16]. Every buffer is contiguous
// and row-major, so the reduced shapes are views of the same memory with the
// elements in the same order, and each result element is computed from the
// same operands in the same order (a reduction accumulates in the declared
// loop order). One choice changes: a softmax whose dimensions after the axis
// are all 1 takes the vector kernel of a last-axis softmax.
//
// MLIR and compile time grow with the rank (measured: an exp over
// [1 x 999, 8] took 80 s to compile, rank 10,000 overflowed the stack), and
// the entry function keeps the declared ranks of the graph's arguments and
// outputs, so the backend refuses tensors it would lower beyond kMaxRank.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BACKENDS_CPU_RANKREDUCTION_H
#define EINSUM_BACKENDS_CPU_RANKREDUCTION_H

#include "ir/Graph.h"

#include <optional>
#include <vector>

namespace einsum::cpu {

/// The highest rank of a tensor the cpu backend lowers: each argument and
/// output of the graph (the entry function takes them as declared), each
/// operand of an op lowered as declared (einsum, contraction, attention,
/// gather, the generators) and each operand of a reduced op after reduction.
/// A reduced rank never comes near it: every dimension left is at least 2
/// and a tensor holds at most 2^48 elements, so at most 48 are left.
/// Measured on the 2-core host, compile and run: a mul of two rank-64
/// arguments 0.65 s, an einsum over 52 unit dimensions 0.35 s, a gather
/// into rank 63 1.6 s.
inline constexpr unsigned kMaxRank = 64;

/// A node as it is lowered at a reduced rank: the node with its attributes
/// rewritten for the reduced shapes (axes, axis, perm, keepdims), and the
/// types of its inputs and result. The node's tensor ids stay the declared
/// ones, so messages still name the graph's tensors.
struct ReducedNode {
  Node node;
  std::vector<TensorType> inputs;
  TensorType result;
};

/// The node over reduced shapes, or nothing for ops lowered as declared
/// (einsum, contraction, attention, gather, generators, views) and for
/// attributes the op's own lowering refuses (an axis out of range).
std::optional<ReducedNode> reduceRank(const Graph &g, NodeId id);

} // namespace einsum::cpu

#endif // EINSUM_BACKENDS_CPU_RANKREDUCTION_H
