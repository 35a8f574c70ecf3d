// fma_peak.c - Measures the machine's single-precision FMA throughput.
//
// Each thread runs many independent chains of fused multiply-adds on the
// widest vectors the compiler targets (-march=native), enough chains to hide
// the FMA latency, so the loop is bound by FMA throughput alone. Prints
// GFLOP/s for one thread and for all threads given on the command line.

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define WIDTH 16
#elif defined(__AVX__)
#define WIDTH 8
#else
#define WIDTH 4
#endif
#define CHAINS 12

typedef float vec __attribute__((vector_size(WIDTH * 4)));

static long iterations = 50 * 1000 * 1000;
static volatile float sink;

static void *run(void *arg) {
  (void)arg;
  vec acc[CHAINS];
  vec a, b;
  for (int i = 0; i < WIDTH; ++i) {
    a[i] = 0.999999f;
    b[i] = 1e-7f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = a * (float)c;
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c)
      acc[c] = acc[c] * a + b; // contracted to one FMA by -ffp-contract=fast
  float total = 0;
  for (int c = 0; c < CHAINS; ++c)
    for (int i = 0; i < WIDTH; ++i)
      total += acc[c][i];
  sink = total;
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double measure(int threads) {
  pthread_t ids[64];
  double start = now();
  for (int t = 0; t < threads; ++t)
    pthread_create(&ids[t], NULL, run, NULL);
  for (int t = 0; t < threads; ++t)
    pthread_join(ids[t], NULL);
  double seconds = now() - start;
  return 2.0 * WIDTH * CHAINS * (double)iterations * threads / seconds / 1e9;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  if (threads < 1 || threads > 64)
    threads = 1;
  measure(1); // warm up the clocks
  printf("{\"vector_width\": %d, \"fma_gflops_1\": %.1f, \"fma_gflops_%d\": %.1f}\n",
         WIDTH, measure(1), threads, measure(threads));
  return 0;
}
