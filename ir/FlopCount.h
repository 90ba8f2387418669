//===- FlopCount.h - Floating-point work of a graph's contractions -*- C++ -*-//
//
// The flop count that throughput figures (GFLOP/s) are computed from. It
// counts the contractions only, 2 flops per multiply-add:
//
// - `einsum` and `contraction` with two or more terms: 2 * the product of
//   the sizes of all labels, output and summed ("bhid,bhjd->bhij" is
//   2*b*h*i*j*d);
// - `attention`, q [b,h,Sq,d] and v [b,hkv,Sk,dv]: its two contractions,
//   2*b*h*Sq*Sk*(d + dv), which for d = dv is the usual 4*b*h*Sq*Sk*d.
//
// So a graph counts the same before and after the fusion passes. A one-term
// einsum (a transpose or a sum) multiplies nothing and counts 0; elementwise
// ops, reductions, softmax and epilogues are not counted, as the usual
// conventions for matrix products and attention do not count them either.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_IR_FLOPCOUNT_H
#define EINSUM_IR_FLOPCOUNT_H

#include "ir/Graph.h"

#include <cstdint>

namespace einsum {

/// The flops of node `id` of a verified graph (0 for ops that are not
/// contractions). An error naming the node if the count does not fit in 64
/// bits.
llvm::Expected<uint64_t> contractionFlops(const Graph &g, NodeId id);

/// The sum over the live nodes of a verified graph, or an error if it does
/// not fit in 64 bits: never a wrapped count.
llvm::Expected<uint64_t> contractionFlops(const Graph &g);

} // namespace einsum

#endif // EINSUM_IR_FLOPCOUNT_H
