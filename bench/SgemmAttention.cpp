//===- SgemmAttention.cpp - Attention from library sgemm calls ------------===//
//
// 1. Split the work into (batch*head, block of kBlockRows query rows) tasks
//    and hand them to the benchmark's thread count with OpenMP, the largest
//    (latest causal blocks) first. The libraries run single-threaded inside
//    a task: at d = 64 one head's products are too small to split well, and
//    two levels of threads would oversubscribe the cores.
// 2. Per task: scores = scale * Q_block K^T over the keys the block can see
//    (all of them, or the first i1 when causal), so a causal run does about
//    half the work, as the fused kernels do.
// 3. Per row: bias and running max, then exp and sum, in loops that GCC
//    vectorizes; the clones for AVX-512, AVX2 and baseline x86-64 are picked
//    at run time, so the binary does not assume the build machine's ISA.
// 4. out_block = P V, then each output row times 1 / rowsum: d multiplies
//    a row instead of Sk.
//
//===----------------------------------------------------------------------===//
#include "bench/SgemmAttention.h"

#include "ir/AlibiSlopes.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>

#ifdef EG_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef EG_HAVE_DNNL
#include <dnnl.h>
#endif

namespace einsum::bench {

/// Rows of scores held at once per thread: a [256, Sk] block is 2 MiB at
/// Sk = 2048, about a core's L2, and 8 MiB at Sk = 8192 instead of the
/// 256 MiB of a whole head. Blocks of 64 to 512 rows timed within about
/// 20 % of each other (S = 1024 and 2048, one thread, both libraries, on a
/// shared machine); 512 was slightly ahead without a mask, but smaller
/// blocks skip more of the masked triangle when causal.
static constexpr int64_t kBlockRows = 256;

bool isAvailable(GemmLibrary lib) {
  switch (lib) {
  case GemmLibrary::OpenBlas:
#ifdef EG_HAVE_OPENBLAS
    return true;
#else
    return false;
#endif
  case GemmLibrary::OneDnn:
#ifdef EG_HAVE_DNNL
    return true;
#else
    return false;
#endif
  }
  return false;
}

std::string libraryVersion(GemmLibrary lib) {
  switch (lib) {
  case GemmLibrary::OpenBlas:
#ifdef EG_HAVE_OPENBLAS
    return fmt::format("OpenBLAS ({})", openblas_get_config());
#else
    break;
#endif
  case GemmLibrary::OneDnn:
#ifdef EG_HAVE_DNNL
  {
    const dnnl_version_t *v = dnnl_version();
    return fmt::format("oneDNN {}.{}.{} (cpu runtime {})", v->major, v->minor,
                       v->patch,
                       v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
  }
#else
    break;
#endif
  }
  return "not found";
}

bool librarySgemm(GemmLibrary lib, bool transB, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float *c, int64_t ldc) {
  switch (lib) {
  case GemmLibrary::OpenBlas:
#ifdef EG_HAVE_OPENBLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), 0.0f,
                c, int(ldc));
    return true;
#else
    return false;
#endif
  case GemmLibrary::OneDnn:
#ifdef EG_HAVE_DNNL
    return dnnl_sgemm('N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb,
                      0.0f, c, ldc) == dnnl_success;
#else
    return false;
#endif
  }
  return false;
}

namespace {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
/// Below this exp(x) is under FLT_MIN; the softmax takes it as 0.
constexpr float kExpUnderflow = -87.3f;
} // namespace

/// exp(x) for x <= 0 to about 1 ulp (Cephes' expf polynomial), written so
/// that GCC vectorizes a loop of it: no libm call, rounding by the 1.5*2^23
/// trick instead of nearbyint, 2^n assembled in the exponent bits.
static inline float expNonPositive(float x) {
  float clamped = x < kExpUnderflow ? kExpUnderflow : x;
  const float magic = 12582912.0f;
  float n = (clamped * kLog2e + magic) - magic;
  float r = clamped - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  float twoN = std::bit_cast<float>((int32_t(n) + 127) << 23);
  return x < kExpUnderflow ? 0.0f : p * twoN;
}

#define EG_CLONES                                                              \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

/// row[j] -= slope * f(i, j) for j < n, f = |i - j| or (causal) i - j;
/// returns the row's max.
EG_CLONES static float biasAndMax(float *__restrict row, int64_t n, float slope,
                                  int64_t i, bool causal) {
  float fi = float(i), mx = -INFINITY;
  if (causal) {
#pragma omp simd reduction(max : mx)
    for (int64_t j = 0; j < n; ++j) {
      row[j] -= slope * (fi - float(j));
      mx = std::max(mx, row[j]);
    }
  } else {
#pragma omp simd reduction(max : mx)
    for (int64_t j = 0; j < n; ++j) {
      row[j] -= slope * std::fabs(fi - float(j));
      mx = std::max(mx, row[j]);
    }
  }
  return mx;
}

/// row[j] = exp(row[j] - mx) for j < n; returns their sum.
EG_CLONES static float expAndSum(float *__restrict row, int64_t n, float mx) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) {
    row[j] = expNonPositive(row[j] - mx);
    sum += row[j];
  }
  return sum;
}

EG_CLONES static void scaleRow(float *__restrict row, int64_t n, float s) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j)
    row[j] *= s;
}

void SgemmAttention::FreeDeleter::operator()(float *p) const { std::free(p); }

/// 64-byte aligned and touched, so that no page fault lands in a timed
/// run; null if refused.
static float *allocateFloats(int64_t count) {
  size_t bytes =
      (size_t(std::max<int64_t>(count, 1)) * sizeof(float) + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, bytes);
  if (p)
    std::memset(p, 0, bytes);
  return static_cast<float *>(p);
}

SgemmAttention::SgemmAttention(GemmLibrary lib, SgemmAttentionShape shape,
                               unsigned threads)
    : lib(lib), shape(shape), threads(std::max(1u, threads)),
      scale(float(1.0 / std::sqrt(double(shape.headDim)))) {
  for (double m : computeAlibiSlopes(shape.heads, 8.0, SlopeRecipe::Paper))
    slopes.push_back(float(m));
}

llvm::Expected<std::unique_ptr<SgemmAttention>>
SgemmAttention::create(GemmLibrary lib, SgemmAttentionShape shape,
                       unsigned threads) {
  if (!isAvailable(lib))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the library was not found when the benchmarks were configured");
  std::unique_ptr<SgemmAttention> a(new SgemmAttention(lib, shape, threads));
  int64_t rows = std::min(kBlockRows, shape.seq);
  a->scores.reset(allocateFloats(int64_t(a->threads) * rows * shape.seq));
  a->inverseSums.reset(allocateFloats(int64_t(a->threads) * rows));
  if (!a->scores || !a->inverseSums)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("cannot allocate {} bytes of scores", a->scratchBytes()));
#ifdef EG_HAVE_OPENBLAS
  // Our tasks supply the threads (step 1 above).
  if (lib == GemmLibrary::OpenBlas)
    openblas_set_num_threads(1);
#endif
  return a;
}

SgemmAttention::~SgemmAttention() = default;

int64_t SgemmAttention::scratchBytes() const {
  int64_t rows = std::min(kBlockRows, shape.seq);
  return int64_t(threads) * (rows * shape.seq + rows) * int64_t(sizeof(float));
}

bool SgemmAttention::runBlock(int64_t bh, int64_t block, float *p, float *inv,
                              const float *q, const float *k, const float *v,
                              float *out) {
  const int64_t s = shape.seq, d = shape.headDim;
  const int64_t i0 = block * kBlockRows, rows = std::min(kBlockRows, s - i0);
  const int64_t keys = shape.causal ? i0 + rows : s;
  const float *qh = q + bh * s * d, *kh = k + bh * s * d, *vh = v + bh * s * d;
  float *oh = out + bh * s * d;
  if (!librarySgemm(lib, /*transB=*/true, rows, keys, d, scale, qh + i0 * d, d,
                    kh, d, p, keys))
    return false;
  const float slope = slopes[bh % shape.heads];
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = i0 + r;
    float *row = p + r * keys;
    // Causal: keys after i get probability 0 (the -inf of the graph).
    const int64_t visible = shape.causal ? i + 1 : keys;
    float mx = biasAndMax(row, visible, slope, i, shape.causal);
    inv[r] = 1.0f / expAndSum(row, visible, mx);
    std::fill(row + visible, row + keys, 0.0f);
  }
  if (!librarySgemm(lib, /*transB=*/false, rows, d, keys, 1.0f, p, keys, vh, d,
                    oh + i0 * d, d))
    return false;
  for (int64_t r = 0; r < rows; ++r)
    scaleRow(oh + (i0 + r) * d, d, inv[r]);
  return true;
}

llvm::Error SgemmAttention::run(const float *q, const float *k, const float *v,
                                float *out) {
  const int64_t batchHeads = shape.batch * shape.heads;
  const int64_t blocks = (shape.seq + kBlockRows - 1) / kBlockRows;
  const int64_t rows = std::min(kBlockRows, shape.seq);
  std::atomic<bool> ok = true;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t task = 0; task < batchHeads * blocks; ++task) {
    // Latest blocks first: with a causal mask they are the largest, and
    // handing them out first balances the threads.
    int64_t block = blocks - 1 - task / batchHeads, bh = task % batchHeads;
    int t = omp_get_thread_num();
    if (!runBlock(bh, block, scores.get() + t * rows * shape.seq,
                  inverseSums.get() + t * rows, q, k, v, out))
      ok = false;
  }
  if (!ok)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "sgemm reported an error");
  return llvm::Error::success();
}

} // namespace einsum::bench
