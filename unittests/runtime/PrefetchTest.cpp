//===- PrefetchTest.cpp - Batches gathered one step ahead -----------------===//

#include "TestUtil.h"

#include "kiln/runtime/Data.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Prefetch.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

struct Fixture {
  Fixture() : desc(makeTestDesc(3, 4)), model(desc) {
    data.count = 11;
    data.sampleElements = 3;
    for (int i = 0; i < 33; ++i)
      data.inputs.push_back(static_cast<uint8_t>(7 * i % 256));
    for (int i = 0; i < 11; ++i)
      data.labels.push_back(i % 4);
    order = {3, 9, 0, 10, 5, 1, 7, 2, 8, 6, 4};
  }
  KilnModelDesc desc;
  ModelInfo model;
  Dataset data;
  std::vector<int64_t> order;
};

/// The contents of one gathered batch of `n` samples.
std::vector<float> contents(BatchBuffers &batch, int64_t n) {
  const float *x = static_cast<const float *>(batch.inputs());
  const int32_t *y = static_cast<const int32_t *>(batch.labels());
  std::vector<float> out(x, x + n * 3);
  out.insert(out.end(), y, y + n);
  return out;
}

TEST(PrefetchTest, SameBatchesAsGatheringInPlace) {
  Fixture f;
  const int64_t batchSize = 4, steps = numBatches(11, batchSize);
  BatchBuffers primary(f.model, batchSize), reference(f.model, batchSize);
  primary.setNormalization(0.5f, 1.0f);
  reference.setNormalization(0.5f, 1.0f);
  BatchPrefetcher prefetcher(f.model, primary);
  DataView view(f.data);
  for (int round = 0; round < 3; ++round) {
    // Shuffled training order, then consecutive evaluation batches, then a
    // job resumed at step 1.
    const int64_t *order = round == 1 ? nullptr : f.order.data();
    const int64_t first = round == 2 ? 1 : 0;
    PrefetchJob job(prefetcher, view, order, batchSize, first, steps);
    for (int64_t step = first; step < steps; ++step) {
      const int64_t n = batchLength(11, batchSize, step);
      BatchBuffers &batch = prefetcher.acquire(step);
      EXPECT_EQ(&batch == &primary, step % 2 == 0);
      if (order)
        reference.gather(view, order + step * batchSize, n);
      else
        reference.gatherRange(view, step * batchSize, n);
      EXPECT_EQ(contents(batch, n), contents(reference, n))
          << "round " << round << " step " << step;
      prefetcher.release(step);
    }
  }
}

TEST(PrefetchTest, StopsMidJobAndRestarts) {
  Fixture f;
  BatchBuffers primary(f.model, 2), reference(f.model, 2);
  BatchPrefetcher prefetcher(f.model, primary);
  DataView view(f.data);
  for (int repeat = 0; repeat < 50; ++repeat) {
    {
      // Abandoned after one step, as an interrupted epoch is.
      PrefetchJob job(prefetcher, view, f.order.data(), 2, 0, 6);
      prefetcher.acquire(0);
      prefetcher.release(0);
    }
    PrefetchJob job(prefetcher, view, nullptr, 2, 3, 6);
    BatchBuffers &batch = prefetcher.acquire(3);
    reference.gatherRange(view, 6, 2);
    EXPECT_EQ(contents(batch, 2), contents(reference, 2));
  }
}

} // namespace
