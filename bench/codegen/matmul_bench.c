/*===- matmul_bench.c - GFLOP/s of the lowered seed-MLP matmuls -----------===*\
|*                                                                            *|
|* Links against bench/codegen/matmuls.mlir lowered by kiln-to-llvm (every    *|
|* memref argument expanded into pointers, offset, sizes, strides; inputs,    *|
|* then the output). Times each function at batch M and prints the median    *|
|* GFLOP/s of interleaved rounds.                                             *|
|*                                                                            *|
|* usage: matmul_bench [M] [rounds]                                           *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static float *buffer(int64_t count) {
  float *p = aligned_alloc(64, ((count * 4 + 63) / 64) * 64);
  for (int64_t i = 0; i < count; ++i)
    p[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  return p;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { kShapes = 6, kMaxRounds = 101 };

int main(int argc, char **argv) {
  int64_t m = argc > 1 ? atoll(argv[1]) : 32;
  int rounds = argc > 2 ? atoi(argv[2]) : 31;
  if (rounds > kMaxRounds)
    rounds = kMaxRounds;
  float *x784 = buffer(m * 784), *x128 = buffer(m * 128), *x10 = buffer(m * 10);
  float *w1 = buffer(784 * 128), *w2 = buffer(128 * 10);
  float *b128 = buffer(128), *b10 = buffer(10);
  float *o128 = buffer(m * 128), *o10 = buffer(m * 10), *o784 = buffer(m * 784);
  float *g1 = buffer(784 * 128), *g2 = buffer(128 * 10);
  const char *names[kShapes] = {"fwd  Mx784 . 784x128 (+bias, relu)",
                                "fwd  Mx128 . 128x10  (+bias)",
                                "dX   Mx128 . (784x128)^T",
                                "dX   Mx10  . (128x10)^T",
                                "dW   (Mx784)^T . Mx128",
                                "dW   (Mx128)^T . Mx10"};
  double flops[kShapes] = {2.0 * m * 784 * 128, 2.0 * m * 128 * 10,
                           2.0 * m * 128 * 784, 2.0 * m * 10 * 128,
                           2.0 * m * 784 * 128, 2.0 * m * 128 * 10};
  static double seconds[kShapes][kMaxRounds];
  for (int r = 0; r < rounds; ++r) {
    for (int s = 0; s < kShapes; ++s) {
      /* Enough calls per sample for ~2 ms. */
      int calls = (int)(4e6 / flops[s]) + 1;
      double t0 = now();
      for (int c = 0; c < calls; ++c) {
        switch (s) {
        case 0:
          fwd1(M2(x784, m, 784), M2(w1, 784, 128), M1(b128, 128),
               M2(o128, m, 128));
          break;
        case 1:
          fwd2(M2(x128, m, 128), M2(w2, 128, 10), M1(b10, 10), M2(o10, m, 10));
          break;
        case 2:
          dx1(M2(x128, m, 128), M2(w1, 784, 128), M2(o784, m, 784));
          break;
        case 3:
          dx2(M2(x10, m, 10), M2(w2, 128, 10), M2(o128, m, 128));
          break;
        case 4:
          dw1(M2(x784, m, 784), M2(x128, m, 128), M2(g1, 784, 128));
          break;
        case 5:
          dw2(M2(x128, m, 128), M2(x10, m, 10), M2(g2, 128, 10));
          break;
        }
      }
      seconds[s][r] = (now() - t0) / calls;
    }
  }
  for (int s = 0; s < kShapes; ++s) {
    qsort(seconds[s], rounds, sizeof(double), compare);
    double median = seconds[s][rounds / 2];
    printf("M=%-4lld %-38s %8.2f us  %7.2f GFLOP/s\n", (long long)m, names[s],
           median * 1e6, flops[s] / median * 1e-9);
  }
  return 0;
}
