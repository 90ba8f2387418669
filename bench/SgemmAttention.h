//===- SgemmAttention.h - Attention from library sgemm calls ----*- C++ -*-===//
//
// The hand-written baselines of bench/AttentionBench.cpp: ALiBi attention
// as one would write it over a BLAS, per head and block of query rows,
//
//   P   = scale * Q K^T                          (sgemm)
//   P  -= m_h |i - j|   (or m_h (i - j), keys after i dropped, if causal)
//   P   = exp(P - rowmax), rowsum                 (vectorized loops)
//   out = (P V) / rowsum                          (sgemm, then a row scale)
//
// with the sgemm of OpenBLAS or oneDNN. The semantics are those of
// nn::buildAttention with ALiBi (paper slopes, max bias 8, bias not scaled).
//
//===----------------------------------------------------------------------===//
#ifndef EINSUM_BENCH_SGEMMATTENTION_H
#define EINSUM_BENCH_SGEMMATTENTION_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace einsum::bench {

enum class GemmLibrary { OpenBlas, OneDnn };

/// Whether the library was found when the benchmarks were configured.
bool isAvailable(GemmLibrary lib);
/// "OpenBLAS 0.3.21 ..." or "oneDNN 2.6.3", for the report's context.
std::string libraryVersion(GemmLibrary lib);

/// Row-major C[M,N] = alpha * A[M,K] B[K,N] (B given as [N,K] if transB)
/// with `lib`'s sgemm; false if the library is missing or refuses.
bool librarySgemm(GemmLibrary lib, bool transB, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float *c, int64_t ldc);

struct SgemmAttentionShape {
  int64_t batch = 1, heads = 16, seq = 1024, headDim = 64;
  bool causal = false;
};

class SgemmAttention {
public:
  /// Allocates (and touches) all scratch memory, so that `run` allocates
  /// nothing; fails if the library is missing or the memory is refused.
  static llvm::Expected<std::unique_ptr<SgemmAttention>>
  create(GemmLibrary lib, SgemmAttentionShape shape, unsigned threads);
  ~SgemmAttention();

  /// q, k, v, out: [batch, heads, seq, headDim], row-major.
  llvm::Error run(const float *q, const float *k, const float *v, float *out);

  /// Bytes of scratch memory held.
  int64_t scratchBytes() const;

private:
  struct FreeDeleter {
    void operator()(float *p) const;
  };
  SgemmAttention(GemmLibrary lib, SgemmAttentionShape shape, unsigned threads);
  bool runBlock(int64_t batchHead, int64_t block, float *scores, float *inv,
                const float *q, const float *k, const float *v, float *out);

  GemmLibrary lib;
  SgemmAttentionShape shape;
  unsigned threads;
  float scale;
  std::vector<float> slopes;
  /// One [kBlockRows, seq] score block and kBlockRows reciprocal row sums
  /// per thread.
  std::unique_ptr<float[], FreeDeleter> scores, inverseSums;
};

} // namespace einsum::bench

#endif // EINSUM_BENCH_SGEMMATTENTION_H
