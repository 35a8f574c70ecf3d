//===- TrainerTest.cpp - End-to-end tests of the training loop ------------===//
//
// Trains the hand-written TinyModel (softmax regression) in-process.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"
#include "ThreadGroup.h"

#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Distributed.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

Dataset makeDataset(int64_t count, uint64_t seed) {
  SyntheticData synthetic = makeSeparableData(count, seed);
  Dataset data;
  data.count = count;
  data.sampleElements = 4;
  data.inputs = synthetic.inputs;
  data.labels.assign(synthetic.labels.begin(), synthetic.labels.end());
  return data;
}

bool bitwiseEqual(const TensorList &a, const TensorList &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * 4) != 0)
      return false;
  return true;
}

class TrainerTest : public ::testing::Test {
protected:
  TrainerTest() : model(kiln_model), data(makeDataset(300, 11)) {}
  ModelInfo model;
  Dataset data;
};

TEST_F(TrainerTest, LossFallsAndAccuracyRises) {
  Trainer trainer(model, kiln_model.optimizer, 16);
  trainer.initialize(42);
  MetricValues before = trainer.evaluate(DataView(data));
  trainer.fit(DataView(data), nullptr, 5, {});
  MetricValues after = trainer.evaluate(DataView(data));
  EXPECT_EQ(trainer.completedEpochs(), 5);
  EXPECT_LT(after.loss, 0.5 * before.loss);
  EXPECT_GT(after.metrics[0], 0.95);
  EXPECT_GT(after.metrics[0], before.metrics[0]);
}

TEST_F(TrainerTest, SameSeedIsBitwiseIdentical) {
  Trainer a(model, kiln_model.optimizer, 16),
      b(model, kiln_model.optimizer, 16), c(model, kiln_model.optimizer, 16);
  a.initialize(7);
  b.initialize(7);
  c.initialize(8);
  EXPECT_TRUE(bitwiseEqual(a.params(), b.params()));
  EXPECT_FALSE(bitwiseEqual(a.params(), c.params()));
  a.fit(DataView(data), nullptr, 3, {});
  b.fit(DataView(data), nullptr, 3, {});
  c.fit(DataView(data), nullptr, 3, {});
  EXPECT_TRUE(bitwiseEqual(a.params(), b.params()));
  EXPECT_FALSE(bitwiseEqual(a.params(), c.params()));
}

TEST_F(TrainerTest, ResumeEqualsStraightRun) {
  TempDir dir;
  Trainer straight(model, kiln_model.optimizer, 16);
  straight.initialize(3);
  straight.fit(DataView(data), nullptr, 3, {});

  Trainer first(model, kiln_model.optimizer, 16);
  first.initialize(3);
  first.fit(DataView(data), nullptr, 2, {});
  saveCheckpoint(dir.file("two.ckpt"), first);

  Trainer resumed(model, kiln_model.optimizer, 16);
  loadCheckpoint(dir.file("two.ckpt"), resumed);
  EXPECT_EQ(resumed.completedEpochs(), 2);
  resumed.fit(DataView(data), nullptr, 3, {});

  EXPECT_TRUE(bitwiseEqual(straight.params(), resumed.params()));
  EXPECT_EQ(encodeCheckpoint(straight), encodeCheckpoint(resumed));
}

/// Records what the loop reports.
struct Recorder : TrainingObserver {
  void epochBegin(int64_t epoch, int64_t, int64_t steps) override {
    epochs.push_back(epoch);
    stepsPerEpoch = steps;
  }
  void trainStepEnd(int64_t, int64_t, const MeanTracker &running) override {
    samplesSeen.push_back(running.samples());
  }
  void epochEnd(const EpochResult &result) override {
    results.push_back(result);
  }
  std::vector<int64_t> epochs;
  int64_t stepsPerEpoch = 0;
  std::vector<int64_t> samplesSeen;
  std::vector<EpochResult> results;
};

TEST_F(TrainerTest, PartialLastBatchAndValidation) {
  Trainer trainer(model, kiln_model.optimizer, 7);
  trainer.initialize(1);
  DataView all(data);
  DataView train = all.slice(0, 250), validation = all.slice(250, 50);
  Recorder recorder;
  trainer.fit(train, &validation, 2, {&recorder});
  EXPECT_EQ(recorder.epochs, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(recorder.stepsPerEpoch, 36); // 35 full batches and one of 5.
  ASSERT_EQ(recorder.samplesSeen.size(), 72u);
  EXPECT_EQ(recorder.samplesSeen[34], 245);
  EXPECT_EQ(recorder.samplesSeen[35], 250);
  ASSERT_EQ(recorder.results.size(), 2u);
  EXPECT_EQ(recorder.results[1].samples, 250);
  EXPECT_TRUE(recorder.results[1].hasValidation);
  MetricValues direct = trainer.evaluate(validation);
  EXPECT_EQ(recorder.results[1].validation.loss, direct.loss);
  EXPECT_GT(recorder.results[1].samplesPerSecond, 0);
}

TEST_F(TrainerTest, NothingToDoWhenEpochsReached) {
  Trainer trainer(model, kiln_model.optimizer, 16);
  trainer.initialize(1);
  trainer.fit(DataView(data), nullptr, 2, {});
  TensorList params = trainer.params();
  Recorder recorder;
  trainer.fit(DataView(data), nullptr, 2, {&recorder});
  EXPECT_TRUE(recorder.epochs.empty());
  EXPECT_TRUE(bitwiseEqual(params, trainer.params()));
}

int nanAfterCalls = 0;
void nanTrainStep(int64_t n, void **buffers) {
  kiln_model.train_step(n, buffers);
  if (--nanAfterCalls <= 0)
    *static_cast<float *>(buffers[4]) = NAN;
}

TEST_F(TrainerTest, NonFiniteLossNamesEpochAndStep) {
  KilnModelDesc desc = kiln_model;
  desc.train_step = nanTrainStep;
  ModelInfo nanModel(desc);
  Trainer trainer(nanModel, desc.optimizer, 100);
  trainer.initialize(1);
  nanAfterCalls = 5; // three batches per epoch: fails at epoch 2, step 2
  try {
    trainer.fit(DataView(data), nullptr, 3, {});
    ADD_FAILURE() << "expected an error";
  } catch (const Error &error) {
    EXPECT_STREQ(error.what(), "non-finite loss (nan) at epoch 2, step 2");
  }
  EXPECT_EQ(trainer.completedEpochs(), 1);
}

TEST_F(TrainerTest, PredictGivesProbabilities) {
  Trainer trainer(model, kiln_model.optimizer, 16);
  trainer.initialize(42);
  trainer.fit(DataView(data), nullptr, 3, {});
  int64_t seen = 0, correct = 0;
  trainer.predict(DataView(data), [&](const float *const *batch, int64_t n) {
    const float *outputs = batch[0];
    for (int64_t i = 0; i < n; ++i, ++seen) {
      const float *p = outputs + 3 * i;
      EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-5f);
      int best = p[1] > p[0] ? 1 : 0;
      best = p[2] > p[best] ? 2 : best;
      correct += best == data.labels[seen];
    }
  });
  EXPECT_EQ(seen, 300);
  EXPECT_GT(correct, 280);
}

} // namespace

//===----------------------------------------------------------------------===//
// Data parallelism: ranks as threads (ThreadGroup) instead of MPI processes.
//===----------------------------------------------------------------------===//

namespace {

/// Trains `ranks` trainers of `batchSize` rows each in a ThreadGroup for
/// `epochs` epochs; returns rank 0's parameters, and every rank's last
/// epoch and test results through the out-parameters.
TensorList trainOnRanks(const ModelInfo &model, const Dataset &data, int ranks,
                        int64_t batchSize, int64_t epochs,
                        std::vector<EpochResult> &lastEpochs,
                        std::vector<MetricValues> &tests,
                        std::vector<TensorList> &params) {
  ThreadGroup group(ranks);
  lastEpochs.assign(static_cast<size_t>(ranks), {});
  tests.assign(static_cast<size_t>(ranks), {});
  params.assign(static_cast<size_t>(ranks), {});
  group.run([&](int r) {
    Trainer trainer(model, kiln_model.optimizer, batchSize);
    trainer.setCommunicator(&group.member(r));
    trainer.initialize(5);
    Recorder recorder;
    trainer.fit(DataView(data), nullptr, epochs, {&recorder});
    lastEpochs[r] = recorder.results.back();
    tests[r] = trainer.evaluate(DataView(data));
    params[r] = trainer.params();
  });
  return params[0];
}

TEST_F(TrainerTest, RanksEqualThreadsOverTheGlobalBatch) {
  // 300 samples: with 3 ranks of 16 the last global batch holds 12 rows;
  // with 4 ranks of 8 the 290 samples end in a batch of 2 rows, leaving
  // ranks 2 and 3 without any.
  for (auto [ranks, batch, count] :
       {std::tuple<int, int64_t, int64_t>{2, 16, 300},
        {3, 16, 300},
        {4, 8, 290}}) {
    Dataset subset = makeDataset(count, 11);
    Trainer threads(model, kiln_model.optimizer, batch * ranks);
    threads.setThreads(ranks);
    threads.initialize(5);
    Recorder recorder;
    threads.fit(DataView(subset), nullptr, 3, {&recorder});
    MetricValues test = threads.evaluate(DataView(subset));

    std::vector<EpochResult> epochs;
    std::vector<MetricValues> tests;
    std::vector<TensorList> params;
    trainOnRanks(model, subset, ranks, batch, 3, epochs, tests, params);
    for (int r = 0; r < ranks; ++r) {
      SCOPED_TRACE(testing::Message() << ranks << " ranks, rank " << r);
      EXPECT_TRUE(bitwiseEqual(params[r], threads.params()));
      EXPECT_EQ(epochs[r].steps, recorder.results.back().steps);
      EXPECT_EQ(epochs[r].train.loss, recorder.results.back().train.loss);
      EXPECT_EQ(epochs[r].ranks, ranks);
      EXPECT_EQ(tests[r].loss, test.loss);
      EXPECT_EQ(tests[r].metrics, test.metrics);
    }
  }
}

TEST_F(TrainerTest, RanksAgreeWithOneThreadUpToSummationOrder) {
  Trainer one(model, kiln_model.optimizer, 48);
  one.initialize(5);
  one.fit(DataView(data), nullptr, 3, {});
  std::vector<EpochResult> epochs;
  std::vector<MetricValues> tests;
  std::vector<TensorList> params;
  trainOnRanks(model, data, 3, 16, 3, epochs, tests, params);
  for (size_t i = 0; i < params[0].size(); ++i)
    for (size_t k = 0; k < params[0][i].size(); ++k)
      EXPECT_NEAR(params[0][i][k], one.params()[i][k], 1e-5);
  // The per-rank batch alone is another run entirely.
  Trainer small(model, kiln_model.optimizer, 16);
  small.initialize(5);
  small.fit(DataView(data), nullptr, 3, {});
  EXPECT_FALSE(bitwiseEqual(small.params(), params[0]));
}

TEST_F(TrainerTest, ReductionsAreCounted) {
  std::vector<EpochResult> epochs;
  std::vector<MetricValues> tests;
  std::vector<TensorList> params;
  trainOnRanks(model, data, 2, 16, 1, epochs, tests, params);
  // 300 / 32 = 10 steps, each reducing the loss, the metric, the 15
  // gradients and the vote.
  EXPECT_EQ(epochs[0].reductions, 10);
  EXPECT_EQ(epochs[0].reducedBytes, 10 * (1 + 1 + 15 + 1) * 4);
}

} // namespace
