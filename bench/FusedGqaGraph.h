//===- FusedGqaGraph.h - One fused grouped-query attention node -*- C++ -*-===//
//
// The cpu attention kernel with kv heads < heads, apart from the passes
// (whatever they fuse): a fused `attention` node written directly, causal
// ALiBi, b = 1, d = 64, f32.
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BENCH_FUSEDGQAGRAPH_H
#define EINSUM_BENCH_FUSEDGQAGRAPH_H

#include "ir/Builder.h"
#include "ir/Epilogue.h"
#include "ir/Verifier.h"

#include <fmt/format.h>

namespace einsum::bench {

struct GqaShape {
  int64_t heads, kvHeads, queries, keys, dim;
};

/// Query i sits at position i + keys - queries (a decode step with a cache
/// of keys - queries earlier positions when queries < keys).
inline int64_t gqaOffset(const GqaShape &s) { return s.keys - s.queries; }

/// 4 h Sq Sk d, less the causal triangle the kernel skips: each query sees
/// offset + i + 1 keys.
inline double gqaFlops(const GqaShape &s) {
  double seen = double(s.queries) * double(gqaOffset(s)) +
                double(s.queries) * double(s.queries + 1) / 2;
  return 4.0 * double(s.heads) * seen * double(s.dim);
}

/// q [1, heads, queries, dim], k and v [1, kvHeads, keys, dim] -> one
/// attention node with the paper's slopes as $0.
inline llvm::Expected<Graph> buildFusedGqaGraph(const GqaShape &s) {
  Graph g("fused-gqa");
  Builder b(g);
  TensorId q = b.input("q", TensorType::f32({1, s.heads, s.queries, s.dim}));
  TensorId k = b.input("k", TensorType::f32({1, s.kvHeads, s.keys, s.dim}));
  TensorId v = b.input("v", TensorType::f32({1, s.kvHeads, s.keys, s.dim}));
  TensorId m = b.alibiSlopes(s.heads);
  int64_t offset = gqaOffset(s);
  llvm::Expected<Epilogue> epilogue = parseEpilogue(
      fmt::format("select(j <= i + {0}, acc * 0.125 - $0[h] * (i + {0} - j), "
                  "-inf)",
                  offset));
  if (!epilogue)
    return epilogue.takeError();
  b.output(b.op(OpKind::Attention, {q, k, v, m},
                {{"score_epilogue", Attribute::ofEpilogue(*epilogue)}}),
           "out");
  if (llvm::Error err = b.takeError())
    return err;
  if (llvm::Error err = verify(g))
    return err;
  return g;
}

} // namespace einsum::bench

#endif // EINSUM_BENCH_FUSEDGQAGRAPH_H
