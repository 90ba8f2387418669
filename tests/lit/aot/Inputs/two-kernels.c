/* Three kernels compiled ahead of time, linked into one program: scale
 * (tests/lit/Inputs/scale.eg) at -O0 and -O3 under two entry names, and
 * pick (Inputs/pick.eg), whose wrapper reports out-of-range indices. */
#include "pick.h"
#include "scale_fast.h"
#include "scale_plain.h"

#include <math.h>
#include <stdio.h>

static int checkScale(const char *name, const float *x, const float *b,
                      const float *y, float total) {
  float expectedTotal = 0;
  int ok = 1;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      ok &= fabsf(y[i * 3 + j] - (2 * x[i * 3 + j] + b[j])) <= 1e-6f;
      expectedTotal += x[i * 3 + j];
    }
  ok &= fabsf(total - expectedTotal) <= 1e-5f;
  printf("%s: %s\n", name, ok ? "ok" : "wrong");
  return ok;
}

int main(void) {
  const float x[6] = {1, -2, 3, 0.5f, 4, -1}, b[3] = {10, 20, 30};
  float y[6], total;
  int ok = 1;
  ok &= scale_plain_run(x, b, y, &total) == 0;
  ok &= checkScale("scale_plain", x, b, y, total);
  ok &= scale_fast_run(x, b, y, &total) == 0;
  ok &= checkScale("scale_fast", x, b, y, total);

  const float table[12] = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32};
  int64_t idx[2] = {3, 1};
  float rows[6];
  int status = pick_run(table, idx, rows);
  int picked = status == 0 && rows[0] == 30 && rows[5] == 12;
  printf("pick [3, 1]: status %d, %s\n", status, picked ? "ok" : "wrong");
  ok &= picked;
  idx[1] = 4;
  printf("pick [3, 4]: status %d\n", pick_run(table, idx, rows));
  return ok ? 0 : 1;
}
