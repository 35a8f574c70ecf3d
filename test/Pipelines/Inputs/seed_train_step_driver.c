/*===- seed_train_step_driver.c - Run the seed MLP's lowered train step ---===*\
|*                                                                            *|
|* Calls `train_step` as kiln-to-llvm lowers it (every memref expanded into   *|
|* allocated/aligned pointers, offset, sizes and strides; inputs, then        *|
|* outputs) on deterministic data, and writes inputs and outputs to a binary  *|
|* file that check_seed_train_step.py compares with a numpy reference.        *|
|*                                                                            *|
|* usage: driver BATCH OUT.bin                                                *|
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define R0 float *, float *, int64_t
#define R1 float *, float *, int64_t, int64_t, int64_t
#define R2 float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t
#define R3                                                                     \
  float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,      \
      int64_t
#define M0(p) p, p, 0
#define M1(p, a) p, p, 0, a, 1
#define M2(p, a, b) p, p, 0, a, b, b, 1
#define M3(p, a, b, c) p, p, 0, a, b, c, (b) * (c), c, 1

/* params (w1, b1, w2, b2), x, y, then loss, accuracy, dw1, db1, dw2, db2 */
void train_step(R2, R1, R2, R1, R3, int32_t *, int32_t *, int64_t, int64_t,
                int64_t, R0, R0, R2, R1, R2, R1);

static uint32_t state = 12345u;
static float uniform(void) { /* [0, 1) */
  state = state * 1664525u + 1013904223u;
  return (float)(state >> 8) / 16777216.0f;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s BATCH OUT.bin\n", argv[0]);
    return 2;
  }
  int64_t n = atoll(argv[1]);
  float *w1 = malloc(784 * 128 * 4), *b1 = malloc(128 * 4);
  float *w2 = malloc(128 * 10 * 4), *b2 = malloc(10 * 4);
  float *x = malloc(n * 784 * 4);
  int32_t *y = malloc(n * 4);
  float loss = -1, acc = -1;
  float *dw1 = malloc(784 * 128 * 4), *db1 = malloc(128 * 4);
  float *dw2 = malloc(128 * 10 * 4), *db2 = malloc(10 * 4);
  for (int i = 0; i < 784 * 128; ++i)
    w1[i] = (uniform() - 0.5f) * 0.16f;
  for (int i = 0; i < 128; ++i)
    b1[i] = (uniform() - 0.5f) * 0.1f;
  for (int i = 0; i < 128 * 10; ++i)
    w2[i] = (uniform() - 0.5f) * 0.4f;
  for (int i = 0; i < 10; ++i)
    b2[i] = (uniform() - 0.5f) * 0.1f;
  for (int64_t i = 0; i < n * 784; ++i)
    x[i] = (float)(int)(uniform() * 256.0f);
  for (int64_t i = 0; i < n; ++i)
    y[i] = (int32_t)(uniform() * 10.0f);

  train_step(M2(w1, 784, 128), M1(b1, 128), M2(w2, 128, 10), M1(b2, 10),
             M3(x, n, 28, 28), y, y, 0, n, 1, M0(&loss), M0(&acc),
             M2(dw1, 784, 128), M1(db1, 128), M2(dw2, 128, 10), M1(db2, 10));

  FILE *f = fopen(argv[2], "wb");
  if (!f)
    return 1;
  fwrite(&n, 8, 1, f);
  fwrite(w1, 4, 784 * 128, f);
  fwrite(b1, 4, 128, f);
  fwrite(w2, 4, 128 * 10, f);
  fwrite(b2, 4, 10, f);
  fwrite(x, 4, n * 784, f);
  fwrite(y, 4, n, f);
  fwrite(&loss, 4, 1, f);
  fwrite(&acc, 4, 1, f);
  fwrite(dw1, 4, 784 * 128, f);
  fwrite(db1, 4, 128, f);
  fwrite(dw2, 4, 128 * 10, f);
  fwrite(db2, 4, 10, f);
  fclose(f);
  printf("n=%lld loss=%f accuracy=%f\n", (long long)n, loss, acc);
  return 0;
}
