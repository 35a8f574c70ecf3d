//===- Trainer.h - The training and evaluation loops ------------*- C++ -*-===//
//
// The Trainer owns everything the generated code does not: parameters,
// gradients, optimizer state, the shuffling generator and the epoch count.
// Per batch it gathers samples, calls the model's train_step, checks the
// loss, and applies the optimizer. Progress, metrics files and checkpoints
// hook in through TrainingObserver so the loop itself stays free of I/O.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TRAINER_H
#define KILN_RUNTIME_TRAINER_H

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Prefetch.h"
#include "kiln/runtime/Random.h"
#include "kiln/runtime/ShardedStep.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace kiln {
namespace runtime {

class Communicator;
class RankReducer;
struct DataView;

/// Loss and metrics, in the descriptor's metric order.
struct MetricValues {
  double loss = 0.0;
  std::vector<double> metrics;
};

/// Means of per-batch loss and metrics weighted by batch size, as Keras
/// averages them, so a partial last batch counts for what it holds.
class MeanTracker {
public:
  explicit MeanTracker(int32_t numMetrics)
      : metricSums_(static_cast<size_t>(numMetrics), 0.0) {}

  /// Adds a batch of `n` samples whose means were `loss` and `metrics`.
  void add(float loss, const float *metrics, int64_t n);
  MetricValues mean() const;
  int64_t samples() const { return samples_; }

  /// The raw sums, for checkpoints taken inside an epoch.
  double lossSum() const { return lossSum_; }
  const std::vector<double> &metricSums() const { return metricSums_; }
  void restore(double lossSum, const std::vector<double> &metricSums,
               int64_t samples) {
    lossSum_ = lossSum;
    metricSums_ = metricSums;
    samples_ = samples;
  }

private:
  double lossSum_ = 0.0;
  std::vector<double> metricSums_;
  int64_t samples_ = 0;
};

/// What one epoch produced.
struct EpochResult {
  /// 1-based; continues across --resume.
  int64_t epoch = 0;
  int64_t totalEpochs = 0;
  int64_t steps = 0;
  int64_t samples = 0;
  MetricValues train;
  bool hasValidation = false;
  MetricValues validation;
  /// Wall time of the training steps of the epoch, excluding validation, so
  /// that samplesPerSecond measures training throughput.
  double seconds = 0.0;
  double samplesPerSecond = 0.0;
  /// Data-parallel training (Distributed.h): the number of ranks, and the
  /// reductions of the epoch's training steps (calls, bytes summed, wall
  /// time spent in them). 1 and zeros for one process.
  int ranks = 1;
  int64_t reductions = 0;
  int64_t reducedBytes = 0;
  double reduceSeconds = 0.0;
  /// The part of reduceSeconds spent waiting for the slowest rank, when
  /// measured (KILN_MPI_PROFILE); -1 otherwise.
  double reduceWaitSeconds = -1.0;
};

/// Receives progress from the loops. Every method does nothing by default.
class TrainingObserver {
public:
  virtual ~TrainingObserver();
  virtual void epochBegin(int64_t epoch, int64_t totalEpochs, int64_t steps);
  /// After batch `step` (1-based) of `steps`; `running` holds the epoch's
  /// running means (computed on demand, as most observers ignore them).
  virtual void trainStepEnd(int64_t step, int64_t steps,
                            const MeanTracker &running);
  /// After the epoch, including validation; the Trainer already counts the
  /// epoch as completed, so a checkpoint taken here resumes after it.
  virtual void epochEnd(const EpochResult &result);
  virtual void evaluateBegin(int64_t steps);
  virtual void evaluateStepEnd(int64_t step, int64_t steps,
                               const MeanTracker &running);
  virtual void evaluateEnd(const MetricValues &result);
};

/// Where training stands inside an epoch that was interrupted: the steps
/// already done (0 at an epoch boundary), the shuffling generator's state
/// when the epoch began (its shuffle is redrawn from it on resume) and the
/// epoch's running sums.
struct EpochPosition {
  int64_t step = 0;
  Rng::State epochStartRng = {};
  double lossSum = 0.0;
  std::vector<double> metricSums;
  int64_t samples = 0;
};

/// Thrown by Trainer::fit when its interrupt flag was raised; the trainer's
/// state is consistent at a step boundary and can be checkpointed.
class Interrupted : public Error {
public:
  Interrupted(int64_t epoch, int64_t step);
  int64_t epoch;
  int64_t step;
};

/// Runs a compiled model's entry points over data sets.
class Trainer {
public:
  /// Allocates parameters, gradients and batch buffers; the parameters hold
  /// zeros until initialize() or a checkpoint sets them.
  Trainer(const ModelInfo &model, const KilnOptimizerDesc &optimizer,
          int64_t batchSize);
  ~Trainer();

  /// Draws initial parameters (each from its own stream of `seed`) and seeds
  /// the shuffling generator. Resets the epoch count and optimizer state.
  void initialize(uint64_t seed);

  /// Trains epochs completedEpochs()+1 .. totalEpochs; none when the count
  /// is already reached. Validates on `validation` after each epoch when it
  /// is non-null. Throws an Error on a non-finite loss, naming epoch and step.
  void fit(const DataView &train, const DataView *validation,
           int64_t totalEpochs,
           const std::vector<TrainingObserver *> &observers);

  /// Mean loss and metrics over `data` in batches of the batch size.
  MetricValues evaluate(const DataView &data,
                        TrainingObserver *observer = nullptr);

  /// Runs inference over the inputs of `data` in batches; `sink` receives
  /// each batch's outputs, one array per model output (n x its elements
  /// floats).
  void predict(
      const DataView &data,
      const std::function<void(const float *const *outputs, int64_t n)> &sink);

  const ModelInfo &model() const { return model_; }
  int64_t batchSize() const { return batchSize_; }
  TensorList &params() { return params_; }
  const TensorList &params() const { return params_; }
  Optimizer &optimizer() { return optimizer_; }
  const Optimizer &optimizer() const { return optimizer_; }
  Rng &shuffleRng() { return shuffleRng_; }
  const Rng &shuffleRng() const { return shuffleRng_; }
  int64_t completedEpochs() const { return completedEpochs_; }
  void setCompletedEpochs(int64_t epochs) { completedEpochs_ = epochs; }
  BatchBuffers &batchBuffers() { return batch_; }

  /// Runs each training and evaluation step as `threads` shards of the
  /// batch (ShardedStep); results are bitwise reproducible for a given
  /// thread count. One thread (the default) calls the entry points directly.
  void setThreads(int threads);
  int threads() const { return pool_ ? pool_->threads() : 1; }
  /// The --threads workers, or null with one thread.
  WorkerPool *pool() { return pool_.get(); }

  /// Trains and evaluates data-parallel with the other ranks of `comm`
  /// (Distributed.h): each global batch holds batchSize() rows per rank,
  /// each rank steps on its rows and the ranks' outputs are combined before
  /// the update. Null (the default) trains alone. `comm` must outlive the
  /// trainer's calls.
  void setCommunicator(Communicator *comm) { comm_ = comm; }
  int ranks() const;

  /// Asks fit() to return after the current epoch (EarlyStopping).
  void requestStop() { stopRequested_ = true; }
  /// A flag, set asynchronously (by a signal handler), that fit() checks
  /// after every step; when set, fit() throws Interrupted.
  void setInterruptFlag(const volatile int *flag) { interruptFlag_ = flag; }
  const EpochPosition &position() const { return position_; }
  void setPosition(EpochPosition position) { position_ = std::move(position); }

private:
  /// Entry point arguments: params, x, y, [rng,] loss, metrics[, grads,
  /// states].
  std::vector<void *> lossBuffers(bool withGradients);
  /// The same buffers, with what a shard of the batch must change in them.
  StepLayout stepLayout(bool withGradients);
  /// Combines `layout`'s mean outputs across the ranks; null when alone.
  std::unique_ptr<RankReducer> rankReducer(const StepLayout &layout);
  /// The samples this rank steps on, in its batch order, of the `count`
  /// samples of `order` (null: consecutive samples) batched globally.
  const int64_t *rankSamples(const int64_t *order, int64_t count,
                             int64_t &rankCount);

  std::unique_ptr<WorkerPool> pool_;
  Communicator *comm_ = nullptr;
  /// This rank's samples of an epoch or evaluation (rankSamples), and the
  /// consecutive order evaluation batches from.
  std::vector<int64_t> rankOrder_;
  std::vector<int64_t> consecutive_;

  const ModelInfo &model_;
  int64_t batchSize_;
  TensorList params_;
  TensorList grads_;
  /// The state parameters (abi.h's `state`) and the new values train_step
  /// writes for them, copied into the parameters after each step.
  std::vector<int32_t> stateParams_;
  TensorList states_;
  Optimizer optimizer_;
  Rng shuffleRng_;
  int64_t completedEpochs_ = 0;
  BatchBuffers batch_;
  float loss_ = 0.0f;
  std::vector<float> metrics_;
  std::vector<int64_t> order_;
  bool stopRequested_ = false;
  const volatile int *interruptFlag_ = nullptr;
  EpochPosition position_;
  /// {seed, global step} for a train step that draws random numbers.
  std::array<uint64_t, 2> rngState_ = {0, 0};
  /// Gathers the next batch of fit() and evaluate() into batch_ or its twin
  /// while the current one runs. Declared last: it uses batch_.
  std::unique_ptr<BatchPrefetcher> prefetcher_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_TRAINER_H
