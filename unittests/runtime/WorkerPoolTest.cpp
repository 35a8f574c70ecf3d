//===- WorkerPoolTest.cpp - Element ranges over the threads ---------------===//

#include "kiln/runtime/WorkerPool.h"
#include "kiln/runtime/Optimizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <vector>

using namespace kiln::runtime;

namespace {

/// The seed MLP's parameter sizes and a few awkward ones (empty, shorter
/// than a cache line, not a multiple of 16).
const std::vector<int64_t> kSizes = {784 * 128, 128, 0, 1280, 10, 7, 33};

TEST(WorkerPoolTest, OwnedRangesCoverEveryElementOnce) {
  for (int parts : {1, 2, 3, 5, 16}) {
    std::vector<std::vector<int>> seen;
    for (int64_t size : kSizes)
      seen.emplace_back(static_cast<size_t>(size), 0);
    int64_t flatBegin = 0;
    for (int part = 0; part < parts; ++part) {
      forEachOwnedRange(kSizes, part, parts,
                        [&](size_t i, int64_t begin, int64_t end) {
                          ASSERT_LT(begin, end);
                          for (int64_t e = begin; e < end; ++e)
                            ++seen[i][static_cast<size_t>(e)];
                        });
      // Every part but the first starts on a cache line of the whole.
      int64_t first = -1, offset = 0;
      for (size_t i = 0; i < kSizes.size() && first < 0; ++i) {
        forEachOwnedRange(kSizes, part, parts,
                          [&](size_t j, int64_t begin, int64_t) {
                            if (first < 0 && j == i)
                              first = offset + begin;
                          });
        offset += kSizes[i];
      }
      if (first >= 0) {
        EXPECT_EQ(first % 16, 0) << "part " << part << " of " << parts;
        EXPECT_GE(first, flatBegin);
        flatBegin = first;
      }
    }
    for (size_t i = 0; i < seen.size(); ++i)
      for (size_t e = 0; e < seen[i].size(); ++e)
        ASSERT_EQ(seen[i][e], 1) << "tensor " << i << " element " << e
                                 << " with " << parts << " parts";
  }
}

TEST(WorkerPoolTest, ElementRangesRunOnEveryThreadWhenLarge) {
  WorkerPool pool(2);
  std::mutex mutex;
  std::vector<std::thread::id> threads;
  std::vector<int64_t> covered(kSizes.size(), 0);
  pool.forEachElementRange(kSizes, [&](size_t i, int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    covered[i] += end - begin;
    if (std::find(threads.begin(), threads.end(), std::this_thread::get_id()) ==
        threads.end())
      threads.push_back(std::this_thread::get_id());
  });
  EXPECT_EQ(covered, kSizes);
  EXPECT_EQ(threads.size(), 2u);

  // A small total stays on the calling thread.
  threads.clear();
  pool.forEachElementRange({100, 200}, [&](size_t, int64_t, int64_t) {
    threads.push_back(std::this_thread::get_id());
  });
  EXPECT_EQ(threads,
            std::vector<std::thread::id>(2, std::this_thread::get_id()));
}

/// Parameters and gradients of kSizes filled with a fixed pattern; step
/// `k` gets gradients of its own.
struct Tensors {
  Tensors() {
    for (int64_t size : kSizes) {
      params.emplace_back(static_cast<size_t>(size));
      grads.emplace_back(static_cast<size_t>(size));
    }
    for (size_t i = 0; i < params.size(); ++i)
      for (size_t e = 0; e < params[i].size(); ++e)
        params[i][e] = 0.01f * static_cast<float>((e * 7 + i) % 23) - 0.1f;
  }
  void fillGradients(int step) {
    for (size_t i = 0; i < grads.size(); ++i)
      for (size_t e = 0; e < grads[i].size(); ++e)
        grads[i][e] =
            0.003f * static_cast<float>((e * 13 + i * 5 + step) % 31) - 0.04f;
  }
  TensorList params, grads;
};

/// Every update rule, with weight decay, on one thread and spread over a
/// pool of 2 and of 3 threads: bitwise the same parameters and state.
TEST(WorkerPoolTest, OptimizerStepOnThreadsEqualsOneThread) {
  std::vector<KilnOptimizerDesc> configs;
  for (int32_t kind :
       {KILN_OPTIMIZER_SGD, KILN_OPTIMIZER_ADAM, KILN_OPTIMIZER_ADAMW,
        KILN_OPTIMIZER_RMSPROP, KILN_OPTIMIZER_ADAGRAD, KILN_OPTIMIZER_ADADELTA,
        KILN_OPTIMIZER_ADAMAX, KILN_OPTIMIZER_NADAM}) {
    KilnOptimizerDesc config = defaultOptimizerConfig(kind);
    config.weight_decay = 0.004f;
    if (kind == KILN_OPTIMIZER_SGD)
      config.momentum = 0.9f;
    if (kind == KILN_OPTIMIZER_RMSPROP) {
      config.centered = 1;
      config.momentum = 0.5f;
    }
    configs.push_back(config);
  }
  configs.push_back(defaultOptimizerConfig(KILN_OPTIMIZER_ADAM));
  configs.back().amsgrad = 1;
  for (const KilnOptimizerDesc &config : configs) {
    const int32_t kind = config.kind;
    const std::vector<bool> frozen = {false, false, false, false,
                                      true,  false, false};
    Tensors serial, two, three;
    Optimizer a(config, kSizes, frozen), b(config, kSizes, frozen),
        c(config, kSizes, frozen);
    WorkerPool poolTwo(2), poolThree(3);
    for (int step = 0; step < 3; ++step) {
      serial.fillGradients(step);
      two.fillGradients(step);
      three.fillGradients(step);
      a.step(serial.params, serial.grads);
      b.step(two.params, two.grads, &poolTwo);
      c.step(three.params, three.grads, &poolThree);
    }
    for (size_t i = 0; i < kSizes.size(); ++i) {
      ASSERT_EQ(serial.params[i], two.params[i])
          << optimizerName(kind) << " parameter " << i;
      ASSERT_EQ(serial.params[i], three.params[i])
          << optimizerName(kind) << " parameter " << i;
      for (int32_t s = 0; s < a.slotsPerParam(); ++s) {
        ASSERT_EQ(a.slotData(s, int32_t(i)), b.slotData(s, int32_t(i)));
        ASSERT_EQ(a.slotData(s, int32_t(i)), c.slotData(s, int32_t(i)));
      }
    }
    // The frozen parameter kept its values.
    EXPECT_EQ(serial.params[4], Tensors().params[4]) << optimizerName(kind);
  }
}

} // namespace

namespace {

TEST(WorkerPoolTest, DefaultThreadCountKeepsShardsOfSeveralRows) {
  EXPECT_EQ(defaultThreadCount(2, 32), 2);
  EXPECT_EQ(defaultThreadCount(2, 128), 2);
  EXPECT_EQ(defaultThreadCount(64, 32), 4);
  EXPECT_EQ(defaultThreadCount(64, 15), 1);
  EXPECT_EQ(defaultThreadCount(1, 1024), 1);
  EXPECT_EQ(defaultThreadCount(8, 1), 1);
  EXPECT_GE(availableCores(), 1);
}

TEST(WorkerPoolTest, CgroupQuotaLimitsTheCores) {
  EXPECT_EQ(cpusOfCpuMax("200000 100000\n"), 2);
  EXPECT_EQ(cpusOfCpuMax("150000 100000"), 2) << "a part of a CPU rounds up";
  EXPECT_EQ(cpusOfCpuMax("50000 100000"), 1);
  EXPECT_EQ(cpusOfCpuMax("max 100000\n"), 0) << "no quota";
  EXPECT_EQ(cpusOfCpuMax("-1 100000"), 0) << "cgroup v1's no quota";
  EXPECT_EQ(cpusOfCpuMax(""), 0);
  EXPECT_EQ(cpusOfCpuMax(" "), 0);
}

TEST(WorkerPoolTest, DefaultThreadCountNeedsWorkPerParameter) {
  // The seed MLP: 409 172 FLOPs per sample, 101 770 parameters.
  EXPECT_EQ(defaultThreadCount(2, 32, 409172, 101770), 1);
  EXPECT_EQ(defaultThreadCount(2, 128, 409172, 101770), 2);
  EXPECT_EQ(defaultThreadCount(16, 512, 409172, 101770), 8);
  // The LeNet-style CNN: 15.4 MFLOPs per sample, 225 034 parameters.
  EXPECT_EQ(defaultThreadCount(2, 32, 15396948, 225034), 2);
  EXPECT_EQ(defaultThreadCount(64, 64, 15396948, 225034), 8);
  // Unknown work (0) leaves the row rule alone.
  EXPECT_EQ(defaultThreadCount(2, 32, 0, 101770), 2);
}

} // namespace
