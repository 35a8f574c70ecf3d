/*===- norm_ops_driver.c - Run the lowered batch normalization ops --------===*\
|*                                                                            *|
|* Calls every function of norm_ops.mlir (lowered by kiln-to-llvm: memrefs    *|
|* expanded, inputs then the results) at batch M on deterministic data and    *|
|* writes inputs and results to a file for check_norm_ops.py.                 *|
|*                                                                            *|
|* usage: driver M OUT.bin                                                    *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define R1 float *, float *, int64_t, int64_t, int64_t
#define R2 float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t
#define R3                                                                     \
  float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,      \
      int64_t
#define M1(p, a) p, p, 0, a, 1
#define M2(p, a, b) p, p, 0, a, b, b, 1
#define M3(p, a, b, c) p, p, 0, a, b, c, (b) * (c), c, 1

void bn(R3, R3);
void bn_grad(R3, R3, R3);
void moments(R3, R1, R1);
void bn_inference(R2, R1, R1, R2);

static uint32_t state = 4242u;
static FILE *out;

/* A buffer of values in [-1, 1) (or, `positive`, in [0.1, 1.1)), written
 * to the output file. */
static float *generate(int64_t count, int positive) {
  float *p = malloc(count * 4 + 4);
  for (int64_t i = 0; i < count; ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = (float)(state >> 8) / 8388608.0f - 1.0f;
    if (positive)
      p[i] = p[i] * p[i] + 0.1f;
  }
  fwrite(p, 4, count, out);
  return p;
}

static float *result(int64_t count) {
  float *p = malloc(count * 4 + 4);
  for (int64_t i = 0; i < count; ++i)
    p[i] = -12345.0f; /* Every element must be overwritten. */
  return p;
}

static void save(float *p, int64_t count) { fwrite(p, 4, count, out); }

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s M OUT.bin\n", argv[0]);
    return 2;
  }
  int64_t m = atoll(argv[1]);
  out = fopen(argv[2], "wb");
  if (!out)
    return 1;
  fwrite(&m, 8, 1, out);

  float *x = generate(m * 12, 0);
  float *y = result(m * 12);
  bn(M3(x, m, 3, 4), M3(y, m, 3, 4));
  save(y, m * 12);

  float *dy = generate(m * 12, 0);
  float *dx = result(m * 12);
  bn_grad(M3(dy, m, 3, 4), M3(x, m, 3, 4), M3(dx, m, 3, 4));
  save(dx, m * 12);

  float *mean = result(4), *var = result(4);
  moments(M3(x, m, 3, 4), M1(mean, 4), M1(var, 4));
  save(mean, 4);
  save(var, 4);

  float *x2 = generate(m * 4, 0);
  float *mean2 = generate(4, 0);
  float *var2 = generate(4, 1);
  float *y2 = result(m * 4);
  bn_inference(M2(x2, m, 4), M1(mean2, 4), M1(var2, 4), M2(y2, m, 4));
  save(y2, m * 4);
  fclose(out);
  return 0;
}
