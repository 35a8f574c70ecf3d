//===- BatchTest.cpp - Tests of shuffling and batch assembly --------------===//

#include "TestUtil.h"

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

TEST(BatchTest, ShuffleIsPermutation) {
  Rng rng(42, RandomStream::Shuffle);
  std::vector<int64_t> order;
  shuffledOrder(order, 1000, rng);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(order, identity);
}

TEST(BatchTest, ShuffleIsSeedReproducible) {
  Rng a(3, RandomStream::Shuffle), b(3, RandomStream::Shuffle),
      c(4, RandomStream::Shuffle);
  std::vector<int64_t> x, y, z;
  shuffledOrder(x, 500, a);
  shuffledOrder(y, 500, b);
  shuffledOrder(z, 500, c);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  // The next epoch's order differs but stays reproducible.
  shuffledOrder(x, 500, a);
  shuffledOrder(y, 500, b);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

TEST(BatchTest, ShuffleOfTinySets) {
  Rng rng(1, 1);
  std::vector<int64_t> order;
  shuffledOrder(order, 0, rng);
  EXPECT_TRUE(order.empty());
  shuffledOrder(order, 1, rng);
  EXPECT_EQ(order, std::vector<int64_t>{0});
}

TEST(BatchTest, BatchesCoverEverySampleOnce) {
  for (int64_t n : {1, 7, 32, 33, 100}) {
    for (int64_t batchSize : {1, 5, 32, 200}) {
      int64_t batches = numBatches(n, batchSize);
      EXPECT_EQ(batches, (n + batchSize - 1) / batchSize);
      int64_t covered = 0;
      for (int64_t b = 0; b < batches; ++b) {
        int64_t length = batchLength(n, batchSize, b);
        EXPECT_GE(length, 1);
        EXPECT_LE(length, batchSize);
        // Only the last batch may be partial.
        if (b + 1 < batches)
          EXPECT_EQ(length, batchSize);
        covered += length;
      }
      EXPECT_EQ(covered, n) << "n " << n << " batch " << batchSize;
    }
  }
  EXPECT_EQ(batchLength(10, 4, 2), 2);
}

TEST(BatchTest, GatherConvertsRawBytes) {
  KilnModelDesc desc = makeTestDesc(2, 3);
  ModelInfo model(desc);
  Dataset data;
  data.count = 3;
  data.sampleElements = 2;
  data.inputs = {0, 1, 128, 129, 254, 255};
  data.labels = {2, 0, 1};
  BatchBuffers batch(model, 4);
  const int64_t indices[] = {2, 0};
  batch.gather(DataView(data), indices, 2);
  const float *x = static_cast<const float *>(batch.inputs());
  EXPECT_EQ(std::vector<float>(x, x + 4), (std::vector<float>{254, 255, 0, 1}));
  const int32_t *y = static_cast<const int32_t *>(batch.labels());
  EXPECT_EQ(y[0], 1);
  EXPECT_EQ(y[1], 2);

  batch.gatherRange(DataView(data), 1, 2);
  EXPECT_EQ(std::vector<float>(x, x + 4),
            (std::vector<float>{128, 129, 254, 255}));
  EXPECT_EQ(y[0], 0);
}

TEST(BatchTest, GatherIntegerInputs) {
  KilnModelDesc desc = makeTestDesc(2, 3);
  KilnInputDesc input = desc.inputs[0];
  input.dtype = KILN_DTYPE_I32;
  desc.inputs = &input;
  desc.input_dtype = KILN_DTYPE_I32;
  ModelInfo model(desc);
  Dataset data;
  data.count = 1;
  data.sampleElements = 2;
  data.inputs = {7, 200};
  data.labels = {0};
  BatchBuffers batch(model, 1);
  batch.gatherRange(DataView(data), 0, 1);
  const int32_t *x = static_cast<const int32_t *>(batch.inputs());
  EXPECT_EQ(x[0], 7);
  EXPECT_EQ(x[1], 200);
}

TEST(BatchTest, SliceViews) {
  Dataset data;
  data.count = 5;
  data.sampleElements = 2;
  data.inputs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  data.labels = {0, 1, 2, 0, 1};
  DataView tail = DataView(data).slice(3, 2);
  EXPECT_EQ(tail.count, 2);
  EXPECT_EQ(tail.inputs[0], 6);
  EXPECT_EQ(tail.labels[1], 1);
}

} // namespace
