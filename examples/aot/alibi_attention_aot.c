/*===- alibi_attention_aot.c - Calling a kernel compiled ahead of time ----===*
 *
 * The build compiles examples/alibi_attention.eg at -O3 with
 *   alibi-opt --emit=obj --entry-name=alibi_attention --header=...
 * and a causal ALiBi attention whose length is known only at run time,
 *   alibi-opt --build=attention --causal --dynamic ... --entry-name=
 *   alibi_causal
 * and the same attention over bf16 q, k and v (--dtype=bf16, entry
 * alibi_bf16, whose header takes them as uint16_t bit patterns),
 * and links this program with those objects, libm and the OpenMP runtime
 * only: no MLIR or LLVM library at run time. It fills q, k and v with
 * deterministic values, calls the kernels through the generated headers'
 * wrappers (the causal one at several lengths, one object for all), and
 * checks the results against ALiBi attention written out below in double
 * precision,
 *   out = softmax(q k^T / sqrt(d) - m_h |i - j|) v,
 * (causal: keys j <= i only) with the slopes m_h computed here from the
 * paper's recipe. It prints the largest absolute error of each call and
 * fails above TOLERANCE.
 *
 *===----------------------------------------------------------------------===*/
#include "alibi_attention.h"
#include "alibi_bf16.h"
#include "alibi_causal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest length run; the static kernel's. */
enum { B = 1, H = 12, S = 64, D = 32, N = B * H * S * D };

/* The kernel computes in f32 and the reference in double; sums of 32 and
 * 64 terms of size <= 1 keep the difference near 1e-7 (f32 rounding),
 * far below this bound and far above what a wrong slope or index gives. */
#define TOLERANCE 1e-5

/* The bf16 kernel rounds the softmax weights to bf16 inside its value
 * product on hosts with AVX512-BF16, which moves an output by at most
 * 2^-9 max|v| = 2^-9 here; its inputs are exact in both computations. */
#define TOLERANCE_BF16 0x1p-8

/* ALiBi slope of head h out of n (Press et al.; max_bias 8): with p the
 * largest power of two <= n, 2^(-8 (h+1) / p) for the first p heads and
 * 2^(-4 (2 (h-p) + 1) / p) for the others. For n = 12 these are not
 * monotone, and differ from the 2^(-8 (h+1) / n) of the power-of-two case. */
static double alibiSlope(int h, int n) {
  int p = 1;
  while (2 * p <= n)
    p *= 2;
  if (h < p)
    return pow(2.0, -8.0 * (h + 1) / p);
  return pow(2.0, -4.0 * (2 * (h - p) + 1) / p);
}

/* Uniform in [-1, 1), the same on every machine: a 64-bit LCG. */
static float nextValue(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(*state >> 11) * 0x1p-52 - 1.0);
}

/* Attention over `len` positions, all keys or (causal) keys j <= i. */
static void referenceAttention(const float *q, const float *k, const float *v,
                               int len, int causal, double *out) {
  double row[S];
  double scale = 1.0 / sqrt((double)D);
  for (int bh = 0; bh < B * H; ++bh) {
    double m = alibiSlope(bh % H, H);
    const float *qh = q + (size_t)bh * len * D, *kh = k + (size_t)bh * len * D,
                *vh = v + (size_t)bh * len * D;
    for (int i = 0; i < len; ++i) {
      int keys = causal ? i + 1 : len;
      double max = -INFINITY, sum = 0;
      for (int j = 0; j < keys; ++j) {
        double dot = 0;
        for (int d = 0; d < D; ++d)
          dot += (double)qh[i * D + d] * kh[j * D + d];
        row[j] = dot * scale - m * fabs((double)(i - j));
        if (row[j] > max)
          max = row[j];
      }
      for (int j = 0; j < keys; ++j)
        sum += row[j] = exp(row[j] - max);
      for (int d = 0; d < D; ++d) {
        double acc = 0;
        for (int j = 0; j < keys; ++j)
          acc += row[j] * vh[j * D + d];
        out[((size_t)bh * len + i) * D + d] = acc / sum;
      }
    }
  }
}

/* The largest |out - expected| over n values; NaN counts as infinite. */
static double maxError(const float *out, const double *expected, int n) {
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    double e = fabs(out[i] - expected[i]);
    /* !(e <= worst) also catches NaN. */
    if (!(e <= worst))
      worst = e;
  }
  return worst;
}

static int reportWith(const char *kernel, const char *type, int len,
                      double error, double tolerance) {
  int ok = error <= tolerance;
  printf("%s (AOT, %s[%d,%d,%d,%d]): max |error| vs the reference = %.3g, "
         "tolerance %.0e: %s\n",
         kernel, type, B, H, len, D, error, tolerance, ok ? "ok" : "FAILED");
  return ok;
}

static int report(const char *kernel, int len, double error) {
  return reportWith(kernel, "f32", len, error, TOLERANCE);
}

/* x rounded to bfloat16 (to nearest, ties to even), as its bits: the upper
 * half of the f32 bits after adding 0x7fff and the lowest kept bit. The
 * inputs here are finite. */
static uint16_t toBFloat16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

static float fromBFloat16(uint16_t bits) {
  uint32_t u = (uint32_t)bits << 16;
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

int main(void) {
  float *q = malloc(N * sizeof *q), *k = malloc(N * sizeof *k),
        *v = malloc(N * sizeof *v), *out = malloc(N * sizeof *out);
  double *expected = malloc(N * sizeof *expected);
  if (!q || !k || !v || !out || !expected) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  uint64_t state = 1;
  for (int i = 0; i < N; ++i) {
    q[i] = nextValue(&state);
    k[i] = nextValue(&state);
    v[i] = nextValue(&state);
  }

  int status = alibi_attention_run(q, k, v, out);
  if (status != 0) {
    fprintf(stderr, "alibi_attention_run returned %d\n", status);
    return 1;
  }
  referenceAttention(q, k, v, S, 0, expected);
  int ok = report("alibi_attention", S, maxError(out, expected, N));

  /* One causal kernel, lengths given at each call; a length below 1 is
   * refused before anything runs. */
  static const int lengths[] = {1, 7, S};
  for (int n = 0; n < 3; ++n) {
    int len = lengths[n];
    status = alibi_causal_run(q, k, v, out, len);
    if (status != 0) {
      fprintf(stderr, "alibi_causal_run returned %d\n", status);
      return 1;
    }
    referenceAttention(q, k, v, len, 1, expected);
    ok &= report("alibi_causal", len, maxError(out, expected, B * H * len * D));
  }
  /* bf16 inputs: rounded here, and the reference reads the same rounded
   * values (widening bf16 to float is exact). */
  uint16_t *q16 = malloc(N * sizeof *q16), *k16 = malloc(N * sizeof *k16),
           *v16 = malloc(N * sizeof *v16);
  if (!q16 || !k16 || !v16) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  for (int i = 0; i < N; ++i) {
    q16[i] = toBFloat16(q[i]);
    k16[i] = toBFloat16(k[i]);
    v16[i] = toBFloat16(v[i]);
    q[i] = fromBFloat16(q16[i]);
    k[i] = fromBFloat16(k16[i]);
    v[i] = fromBFloat16(v16[i]);
  }
  status = alibi_bf16_run(q16, k16, v16, out);
  if (status != 0) {
    fprintf(stderr, "alibi_bf16_run returned %d\n", status);
    return 1;
  }
  referenceAttention(q, k, v, S, 0, expected);
  ok &= reportWith("alibi_bf16", "bf16", S, maxError(out, expected, N),
                   TOLERANCE_BF16);
  free(q16);
  free(k16);
  free(v16);

  status = alibi_causal_run(q, k, v, out, 0);
  printf("alibi_causal with length 0: returns %d\n", status);
  ok &= status == -1;
  free(q);
  free(k);
  free(v);
  free(out);
  free(expected);
  return ok ? 0 : 1;
}
