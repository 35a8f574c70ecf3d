//===- ShardedStepTest.cpp - Steps split across threads -------------------===//

#include "kiln/runtime/ShardedStep.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace kiln::runtime;

namespace {

constexpr int64_t kFeatures = 3;

/// A stand-in entry point with the ABI's shape: buffers are x (n×3 floats),
/// y (n int32), rng (2 × u64), loss (1 float), grad (3 floats). The "loss" is
/// the mean over rows of (x·1 + y), the "gradient" the mean row of x, and
/// grad[2] also mixes in the rng seed so tests can see which seed a shard got.
void fakeStep(int64_t n, void **buffers) {
  auto *x = static_cast<const float *>(buffers[0]);
  auto *y = static_cast<const int32_t *>(buffers[1]);
  auto *rng = static_cast<const uint64_t *>(buffers[2]);
  auto *loss = static_cast<float *>(buffers[3]);
  auto *grad = static_cast<float *>(buffers[4]);
  float sum = 0.0f;
  float g[kFeatures] = {0, 0, 0};
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t f = 0; f < kFeatures; ++f) {
      sum += x[r * kFeatures + f];
      g[f] += x[r * kFeatures + f];
    }
    sum += static_cast<float>(y[r]);
  }
  *loss = sum / static_cast<float>(n);
  for (int64_t f = 0; f < kFeatures; ++f)
    grad[f] = g[f] / static_cast<float>(n);
  grad[2] += static_cast<float>(rng[0] % 7);
}

struct Fixture {
  explicit Fixture(int64_t n) : x(n * kFeatures), y(n) {
    for (int64_t i = 0; i < n * kFeatures; ++i)
      x[i] = 0.25f * static_cast<float>(i % 11) - 1.0f;
    for (int64_t i = 0; i < n; ++i)
      y[i] = static_cast<int32_t>(i % 5);
  }

  StepLayout layout() {
    StepLayout l;
    l.buffers = {x.data(), y.data(), rng, &loss, grad};
    l.rowInputs = {{0, kFeatures * int64_t(sizeof(float))},
                   {1, int64_t(sizeof(int32_t))}};
    l.meanOutputs = {{3, 1}, {4, kFeatures}};
    l.rngInputs = {2};
    return l;
  }

  std::vector<float> x;
  std::vector<int32_t> y;
  uint64_t rng[2] = {14, 3};
  float loss = 0;
  float grad[kFeatures] = {0, 0, 0};
};

TEST(ShardedStepTest, ShardsPartitionTheRows) {
  for (int64_t n : {1, 2, 7, 32, 33}) {
    for (int shards : {1, 2, 3, 4}) {
      int64_t expected = 0;
      for (int t = 0; t < shards; ++t) {
        int64_t begin, end;
        ShardedStep::shardRows(n, shards, t, begin, end);
        EXPECT_EQ(begin, expected);
        EXPECT_LE(end - begin, n / shards + 1);
        EXPECT_GE(end - begin, n / shards);
        expected = end;
      }
      EXPECT_EQ(expected, n);
    }
  }
}

TEST(ShardedStepTest, OneThreadIsTheUnshardedCall) {
  Fixture direct(32), sharded(32);
  std::vector<void *> buffers = direct.layout().buffers;
  fakeStep(32, buffers.data());
  WorkerPool pool(1);
  ShardedStep step(pool, sharded.layout());
  step.run(fakeStep, 32);
  EXPECT_EQ(std::memcmp(&direct.loss, &sharded.loss, sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(direct.grad, sharded.grad, sizeof(direct.grad)), 0);
}

TEST(ShardedStepTest, ShardsCombineToTheBatchMean) {
  for (int threads : {2, 3}) {
    for (int64_t n : {2, 7, 32}) {
      Fixture direct(n), sharded(n);
      // Same seed for every shard would give the same rng term: compare the
      // parts that do not depend on it.
      std::vector<void *> buffers = direct.layout().buffers;
      fakeStep(n, buffers.data());
      WorkerPool pool(threads);
      ShardedStep step(pool, sharded.layout());
      step.run(fakeStep, n);
      EXPECT_NEAR(sharded.loss, direct.loss, 1e-5f) << threads << " " << n;
      EXPECT_NEAR(sharded.grad[0], direct.grad[0], 1e-5f);
      EXPECT_NEAR(sharded.grad[1], direct.grad[1], 1e-5f);
    }
  }
}

TEST(ShardedStepTest, ShardsGetDistinctSeeds) {
  // rng[0] = 14: 14 % 7 == 0 for shard 0; shard 1's seed differs, so the
  // combined rng term is non-zero.
  Fixture sharded(8);
  WorkerPool pool(2);
  ShardedStep step(pool, sharded.layout());
  step.run(fakeStep, 8);
  Fixture direct(8);
  std::vector<void *> buffers = direct.layout().buffers;
  fakeStep(8, buffers.data());
  EXPECT_NE(sharded.grad[2], direct.grad[2]);
  EXPECT_EQ(sharded.rng[0], 14u) << "the caller's seed is left alone";
}

TEST(ShardedStepTest, SameThreadCountIsBitwiseReproducible) {
  Fixture a(33), b(33);
  WorkerPool poolA(2), poolB(2);
  ShardedStep stepA(poolA, a.layout()), stepB(poolB, b.layout());
  for (int i = 0; i < 5; ++i) {
    stepA.run(fakeStep, 33);
    stepB.run(fakeStep, 33);
    EXPECT_EQ(std::memcmp(&a.loss, &b.loss, sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(a.grad, b.grad, sizeof(a.grad)), 0);
  }
}

/// Records the seeds of two random-number inputs (buffers 0 and 1) per
/// shard, keyed by the shard's row count: shards of 3 and 2 rows.
void twoSeedStep(int64_t n, void **buffers) {
  auto *first = static_cast<const uint64_t *>(buffers[0]);
  auto *second = static_cast<const uint64_t *>(buffers[1]);
  auto *seen = static_cast<uint64_t *>(buffers[2]);
  seen[(n == 3 ? 0 : 4) + 0] = first[0];
  seen[(n == 3 ? 0 : 4) + 1] = first[1];
  seen[(n == 3 ? 0 : 4) + 2] = second[0];
  seen[(n == 3 ? 0 : 4) + 3] = second[1];
  *static_cast<float *>(buffers[3]) = 0.0f;
}

TEST(ShardedStepTest, EveryRandomInputGetsItsShardSeed) {
  uint64_t first[2] = {100, 7}, second[2] = {200, 8};
  uint64_t seen[8] = {};
  float loss = 0;
  StepLayout layout;
  layout.buffers = {first, second, seen, &loss};
  layout.rngInputs = {0, 1};
  layout.meanOutputs = {{3, 1}};
  WorkerPool pool(2);
  ShardedStep step(pool, layout);
  step.run(twoSeedStep, 5);
  // Shard 0 (3 rows) sees the caller's states, shard 1 (2 rows) each seed
  // advanced by one stride, the counters unchanged.
  const uint64_t stride = ShardedStep::kShardSeedStride;
  EXPECT_EQ(std::vector<uint64_t>(seen, seen + 4),
            (std::vector<uint64_t>{100, 7, 200, 8}));
  EXPECT_EQ(std::vector<uint64_t>(seen + 4, seen + 8),
            (std::vector<uint64_t>{100 + stride, 7, 200 + stride, 8}));
  EXPECT_EQ(first[0], 100u) << "the caller's seeds are left alone";
  EXPECT_EQ(second[0], 200u);
}

TEST(ShardedStepTest, MoreThreadsThanRows) {
  Fixture direct(1), sharded(1);
  std::vector<void *> buffers = direct.layout().buffers;
  fakeStep(1, buffers.data());
  WorkerPool pool(4);
  ShardedStep step(pool, sharded.layout());
  step.run(fakeStep, 1);
  EXPECT_EQ(std::memcmp(&direct.loss, &sharded.loss, sizeof(float)), 0);
}

} // namespace
