/*===- matmul_variants_driver.c - Run the lowered matmul variants ---------===*\
|*                                                                            *|
|* Calls every function of matmul_variants.mlir (lowered by kiln-to-llvm:     *|
|* memrefs expanded, inputs then the result) at batch M on deterministic      *|
|* data and writes inputs and results to a file for check_matmul_variants.py. *|
|*                                                                            *|
|* usage: driver M OUT.bin                                                    *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define R1 float *, float *, int64_t, int64_t, int64_t
#define R2 float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t
#define M1(p, a) p, p, 0, a, 1
#define M2(p, a, b) p, p, 0, a, b, b, 1

void fwd1(R2, R2, R1, R2);
void fwd2(R2, R2, R1, R2);
void dx1(R2, R2, R2);
void dx2(R2, R2, R2);
void dw1(R2, R2, R2);
void dw2(R2, R2, R2);
void odd_tanh(R2, R2, R1, R2);
void odd_sigmoid(R2, R2, R2);

static uint32_t state = 777u;
static FILE *out;

/* A buffer of uniform values in [-1, 1), written to the output file. */
static float *input(int64_t count) {
  float *p = malloc(count * 4 + 4);
  for (int64_t i = 0; i < count; ++i) {
    state = state * 1664525u + 1013904223u;
    p[i] = (float)(state >> 8) / 8388608.0f - 1.0f;
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
  float *x, *w, *b, *r;

  x = input(m * 784), w = input(784 * 128), b = input(128), r = result(m * 128);
  fwd1(M2(x, m, 784), M2(w, 784, 128), M1(b, 128), M2(r, m, 128));
  save(r, m * 128);

  x = input(m * 128), w = input(128 * 10), b = input(10), r = result(m * 10);
  fwd2(M2(x, m, 128), M2(w, 128, 10), M1(b, 10), M2(r, m, 10));
  save(r, m * 10);

  x = input(m * 128), w = input(784 * 128), r = result(m * 784);
  dx1(M2(x, m, 128), M2(w, 784, 128), M2(r, m, 784));
  save(r, m * 784);

  x = input(m * 10), w = input(128 * 10), r = result(m * 128);
  dx2(M2(x, m, 10), M2(w, 128, 10), M2(r, m, 128));
  save(r, m * 128);

  x = input(m * 784), w = input(m * 128), r = result(784 * 128);
  dw1(M2(x, m, 784), M2(w, m, 128), M2(r, 784, 128));
  save(r, 784 * 128);

  x = input(m * 128), w = input(m * 10), r = result(128 * 10);
  dw2(M2(x, m, 128), M2(w, m, 10), M2(r, 128, 10));
  save(r, 128 * 10);

  x = input(m * 12), w = input(12 * 20), b = input(20), r = result(m * 20);
  odd_tanh(M2(x, m, 12), M2(w, 12, 20), M1(b, 20), M2(r, m, 20));
  save(r, m * 20);

  x = input(m * 30), w = input(40 * 30), r = result(m * 40);
  odd_sigmoid(M2(x, m, 30), M2(w, 40, 30), M2(r, m, 40));
  save(r, m * 40);

  fclose(out);
  return 0;
}
