//===- Trainer.cpp - The training and evaluation loops --------------------===//

#include "kiln/runtime/Trainer.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Distributed.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Init.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace kiln {
namespace runtime {

void MeanTracker::add(float loss, const float *metrics, int64_t n) {
  lossSum_ += double(loss) * double(n);
  for (size_t i = 0; i < metricSums_.size(); ++i)
    metricSums_[i] += double(metrics[i]) * double(n);
  samples_ += n;
}

MetricValues MeanTracker::mean() const {
  MetricValues values;
  double count = samples_ ? double(samples_) : 1.0;
  values.loss = lossSum_ / count;
  for (double sum : metricSums_)
    values.metrics.push_back(sum / count);
  return values;
}

Interrupted::Interrupted(int64_t epoch, int64_t step)
    : Error(formatString("interrupted at epoch %lld, step %lld",
                         static_cast<long long>(epoch),
                         static_cast<long long>(step))),
      epoch(epoch), step(step) {}

TrainingObserver::~TrainingObserver() = default;
void TrainingObserver::epochBegin(int64_t, int64_t, int64_t) {}
void TrainingObserver::trainStepEnd(int64_t, int64_t, const MeanTracker &) {}
void TrainingObserver::epochEnd(const EpochResult &) {}
void TrainingObserver::evaluateBegin(int64_t) {}
void TrainingObserver::evaluateStepEnd(int64_t, int64_t, const MeanTracker &) {}
void TrainingObserver::evaluateEnd(const MetricValues &) {}

/// "nan", "inf" or "-inf"; printf's "%g" would print the sign of a NaN.
static const char *nonFiniteName(float value) {
  if (std::isnan(value))
    return "nan";
  return value > 0 ? "inf" : "-inf";
}

static std::vector<int64_t> paramSizes(const ModelInfo &model) {
  std::vector<int64_t> sizes;
  for (int32_t i = 0; i < model.numParams(); ++i)
    sizes.push_back(model.paramElements(i));
  return sizes;
}

/// Which parameters belong to frozen layers (the optimizer skips them).
static std::vector<bool> frozenParams(const ModelInfo &model) {
  std::vector<bool> frozen;
  for (int32_t i = 0; i < model.numParams(); ++i)
    frozen.push_back(model.desc().params[i].frozen != 0);
  return frozen;
}

Trainer::Trainer(const ModelInfo &model, const KilnOptimizerDesc &optimizer,
                 int64_t batchSize)
    : model_(model), batchSize_(batchSize),
      optimizer_(optimizer, paramSizes(model), frozenParams(model)),
      shuffleRng_(0, 0), batch_(model, batchSize),
      metrics_(static_cast<size_t>(model.numMetrics()), 0.0f),
      prefetcher_(std::make_unique<BatchPrefetcher>(model, batch_)) {
  for (int64_t size : paramSizes(model)) {
    params_.emplace_back(static_cast<size_t>(size), 0.0f);
    grads_.emplace_back(static_cast<size_t>(size), 0.0f);
  }
  for (int32_t i = 0; i < model.numParams(); ++i)
    if (model.desc().params[i].state) {
      stateParams_.push_back(i);
      states_.emplace_back(static_cast<size_t>(model.paramElements(i)), 0.0f);
    }
}

Trainer::~Trainer() = default;

/// Points the step's input and label buffers at `batch`.
static void bindBatch(ShardedStep &step, const ModelInfo &model,
                      BatchBuffers &batch) {
  int32_t next = model.numParams();
  for (int32_t k = 0; k < model.numInputs(); ++k)
    step.rebind(next++, batch.input(k));
  for (int32_t k = 0; k < model.numOutputs(); ++k)
    step.rebind(next++, batch.labels(k));
}

void Trainer::initialize(uint64_t seed) {
  const KilnModelDesc &desc = model_.desc();
  for (int32_t i = 0; i < model_.numParams(); ++i) {
    Rng rng(seed, static_cast<uint64_t>(RandomStream::InitBase) + uint64_t(i));
    initializeParameter(desc.params[i], params_[i].data(),
                        model_.paramElements(i), rng);
  }
  shuffleRng_ = Rng(seed, RandomStream::Shuffle);
  optimizer_ =
      Optimizer(optimizer_.config(), paramSizes(model_), frozenParams(model_));
  completedEpochs_ = 0;
}

void Trainer::setThreads(int threads) {
  pool_ = threads > 1 ? std::make_unique<WorkerPool>(threads) : nullptr;
}

StepLayout Trainer::stepLayout(bool withGradients) {
  StepLayout layout;
  layout.buffers = lossBuffers(withGradients);
  const int32_t numParams = model_.numParams();
  // Inputs are float or int32, labels int32 or float targets: four bytes
  // an element.
  int32_t next = numParams;
  for (int32_t k = 0; k < model_.numInputs(); ++k)
    layout.rowInputs.push_back({next++, model_.input(k).elements * 4});
  for (int32_t k = 0; k < model_.numOutputs(); ++k)
    layout.rowInputs.push_back({next++, model_.output(k).targetElements * 4});
  if (withGradients && model_.desc().uses_rng)
    layout.rngInputs.push_back(next++);
  layout.meanOutputs.push_back({next++, 1}); // loss
  for (int32_t m = 0; m < model_.numMetrics(); ++m)
    layout.meanOutputs.push_back({next++, 1});
  if (withGradients) {
    for (int32_t i = 0; i < numParams; ++i)
      layout.meanOutputs.push_back({next++, model_.paramElements(i)});
    // A state update is a mean over the rows too (a moving average of
    // batch statistics): shards combine by their share of the rows.
    for (int32_t i : stateParams_)
      layout.meanOutputs.push_back({next++, model_.paramElements(i)});
  }
  return layout;
}

int Trainer::ranks() const { return comm_ ? comm_->size() : 1; }

std::unique_ptr<RankReducer> Trainer::rankReducer(const StepLayout &layout) {
  if (ranks() <= 1)
    return nullptr;
  std::vector<std::pair<float *, int64_t>> outputs;
  for (const auto &[index, elements] : layout.meanOutputs)
    outputs.push_back({static_cast<float *>(layout.buffers[index]), elements});
  return std::make_unique<RankReducer>(*comm_, std::move(outputs));
}

const int64_t *Trainer::rankSamples(const int64_t *order, int64_t count,
                                    int64_t &rankCount) {
  rankCount = count;
  if (ranks() <= 1)
    return order;
  if (!order) {
    if (static_cast<int64_t>(consecutive_.size()) != count) {
      consecutive_.resize(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i)
        consecutive_[i] = i;
    }
    order = consecutive_.data();
  }
  rankOrder(order, count, batchSize_ * ranks(), ranks(), comm_->rank(),
            rankOrder_);
  rankCount = static_cast<int64_t>(rankOrder_.size());
  return rankOrder_.data();
}

std::vector<void *> Trainer::lossBuffers(bool withGradients) {
  std::vector<void *> buffers;
  for (std::vector<float> &param : params_)
    buffers.push_back(param.data());
  for (int32_t k = 0; k < model_.numInputs(); ++k)
    buffers.push_back(batch_.input(k));
  for (int32_t k = 0; k < model_.numOutputs(); ++k)
    buffers.push_back(batch_.labels(k));
  if (withGradients && model_.desc().uses_rng)
    buffers.push_back(rngState_.data());
  buffers.push_back(&loss_);
  for (float &metric : metrics_)
    buffers.push_back(&metric);
  if (withGradients) {
    for (std::vector<float> &grad : grads_)
      buffers.push_back(grad.data());
    for (std::vector<float> &state : states_)
      buffers.push_back(state.data());
  }
  return buffers;
}

void Trainer::fit(const DataView &train, const DataView *validation,
                  int64_t totalEpochs,
                  const std::vector<TrainingObserver *> &observers) {
  using Clock = std::chrono::steady_clock;
  WorkerPool serial(1);
  StepLayout layout = stepLayout(/*withGradients=*/true);
  std::unique_ptr<RankReducer> reducer = rankReducer(layout);
  ShardedStep trainStep(pool_ ? *pool_ : serial, std::move(layout));
  // With several ranks a step trains on a global batch of batchSize_ rows
  // per rank; the step count, and so checkpoints, depend on it only.
  const int64_t globalBatch = batchSize_ * ranks();
  const int64_t steps = numBatches(train.count, globalBatch);
  // Each rank's random layers draw their own numbers, continuing the
  // seeds its threads' shards take (ShardedStep).
  const uint64_t rankSeed = ShardedStep::kShardSeedStride *
                            static_cast<uint64_t>(comm_ ? comm_->rank() : 0) *
                            static_cast<uint64_t>(threads());

  // On several threads without ranks to reduce over first, the optimizer
  // updates each range of a gradient right where the shards' parts are
  // combined, while it is in cache, instead of in a pass of its own.
  const bool fusedUpdate = pool_ && !reducer && optimizer_.updatesByRange();
  const size_t firstGradient = 1 + static_cast<size_t>(model_.numMetrics());
  const ShardedStep::CombinedRange updateCombined =
      [&](size_t output, int64_t begin, int64_t end) {
        if (output >= firstGradient && output < firstGradient + params_.size())
          optimizer_.updateRange(params_, grads_, output - firstGradient, begin,
                                 end);
      };

  stopRequested_ = false;
  for (int64_t epoch = completedEpochs_ + 1;
       epoch <= totalEpochs && !stopRequested_; ++epoch) {
    for (TrainingObserver *observer : observers)
      observer->epochBegin(epoch, totalEpochs, steps);
    Clock::time_point start = Clock::now();
    const CommunicationStats statsBefore =
        comm_ ? comm_->stats() : CommunicationStats();
    // Resuming inside an epoch redraws its shuffle from the generator state
    // the epoch began with, which also leaves the generator where it was.
    const int64_t firstStep = position_.step;
    if (firstStep > 0 &&
        position_.samples != std::min(firstStep * globalBatch, train.count))
      fail("the checkpoint was written inside epoch %lld after %lld samples, "
           "which is not a boundary of the global batch of %lld (%d rank(s) "
           "x --batch-size %lld): resume with the batch size and rank count "
           "it was written with",
           static_cast<long long>(epoch),
           static_cast<long long>(position_.samples),
           static_cast<long long>(globalBatch), ranks(),
           static_cast<long long>(batchSize_));
    if (firstStep > 0)
      shuffleRng_.setState(position_.epochStartRng);
    const Rng::State epochStartRng = shuffleRng_.state();
    shuffledOrder(order_, train.count, shuffleRng_);
    // The random layers' seed for this epoch comes from the checkpointed
    // generator, so that a resumed run draws the same masks.
    if (model_.desc().uses_rng)
      rngState_[0] = shuffleRng_.next() + rankSeed;
    MeanTracker tracker(model_.numMetrics());
    if (firstStep > 0)
      tracker.restore(position_.lossSum, position_.metricSums,
                      position_.samples);
    position_ = EpochPosition();
    DataView local = train;
    const int64_t *order = rankSamples(order_.data(), train.count, local.count);
    const int64_t localSteps = numBatches(local.count, batchSize_);
    PrefetchJob batches(*prefetcher_, local, order, batchSize_,
                        std::min(firstStep, localSteps), localSteps);
    bool stopVoted = false;
    for (int64_t step = firstStep; step < steps; ++step) {
      const int64_t n = batchLength(train.count, globalBatch, step);
      // This rank's rows of the global batch: none when a last batch
      // smaller than the rank count ends before them.
      const int64_t rows =
          step < localSteps ? batchLength(local.count, batchSize_, step) : 0;
      rngState_[1] = static_cast<uint64_t>((epoch - 1) * steps + step);
      if (rows > 0) {
        bindBatch(trainStep, model_, prefetcher_->acquire(step));
        if (fusedUpdate)
          optimizer_.beginStep();
        trainStep.run(model_.desc().train_step, rows,
                      fusedUpdate ? &updateCombined : nullptr);
        // The step has read the batch: its buffers may take the one after
        // next while the optimizer and the next step run.
        prefetcher_->release(step);
      }
      // The ranks decide to stop together, at the same step.
      stopVoted = interruptFlag_ && *interruptFlag_;
      if (reducer)
        stopVoted = reducer->reduce(rows, n, stopVoted ? 1.0f : 0.0f) > 0;
      if (!std::isfinite(loss_))
        fail("non-finite loss (%s) at epoch %lld, step %lld",
             nonFiniteName(loss_), static_cast<long long>(epoch),
             static_cast<long long>(step + 1));
      if (fusedUpdate)
        optimizer_.endStep();
      else
        optimizer_.step(params_, grads_, pool_.get());
      // State is replaced, not learned: the optimizer skips it (frozen).
      // (Copied in place: the step's buffers point into the parameters.)
      for (size_t s = 0; s < stateParams_.size(); ++s)
        std::copy(states_[s].begin(), states_[s].end(),
                  params_[stateParams_[s]].begin());
      tracker.add(loss_, metrics_.data(), n);
      for (TrainingObserver *observer : observers)
        observer->trainStepEnd(step + 1, steps, tracker);
      if (stopVoted && step + 1 < steps) {
        position_ = {step + 1, epochStartRng, tracker.lossSum(),
                     tracker.metricSums(), tracker.samples()};
        throw Interrupted(epoch, step + 1);
      }
    }

    prefetcher_->stop();

    EpochResult result;
    result.seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    result.epoch = epoch;
    result.totalEpochs = totalEpochs;
    result.steps = steps;
    result.samples = train.count;
    result.train = tracker.mean();
    result.samplesPerSecond =
        result.seconds > 0 ? double(train.count) / result.seconds : 0.0;
    if (comm_) {
      const CommunicationStats &stats = comm_->stats();
      result.ranks = comm_->size();
      result.reductions = stats.reductions - statsBefore.reductions;
      result.reducedBytes = stats.bytes - statsBefore.bytes;
      result.reduceSeconds = stats.seconds - statsBefore.seconds;
      if (stats.waitSeconds >= 0)
        result.reduceWaitSeconds = stats.waitSeconds - statsBefore.waitSeconds;
    }
    if (validation) {
      result.hasValidation = true;
      result.validation = evaluate(*validation);
    }
    completedEpochs_ = epoch;
    for (TrainingObserver *observer : observers)
      observer->epochEnd(result);
    // Alone, a signal that arrived during validation counts too; ranks go
    // by their last vote, which every rank has.
    const bool interrupted =
        reducer ? stopVoted : interruptFlag_ && *interruptFlag_;
    if (interrupted && epoch < totalEpochs && !stopRequested_)
      throw Interrupted(epoch, steps);
  }
}

MetricValues Trainer::evaluate(const DataView &data,
                               TrainingObserver *observer) {
  WorkerPool serial(1);
  StepLayout layout = stepLayout(/*withGradients=*/false);
  std::unique_ptr<RankReducer> reducer = rankReducer(layout);
  ShardedStep evaluateStep(pool_ ? *pool_ : serial, std::move(layout));
  // Sharded like training: each global batch split over the ranks.
  const int64_t globalBatch = batchSize_ * ranks();
  const int64_t steps = numBatches(data.count, globalBatch);
  if (observer)
    observer->evaluateBegin(steps);
  MeanTracker tracker(model_.numMetrics());
  DataView local = data;
  const int64_t *order = rankSamples(nullptr, data.count, local.count);
  const int64_t localSteps = numBatches(local.count, batchSize_);
  PrefetchJob batches(*prefetcher_, local, order, batchSize_, 0, localSteps);
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t n = batchLength(data.count, globalBatch, step);
    const int64_t rows =
        step < localSteps ? batchLength(local.count, batchSize_, step) : 0;
    if (rows > 0) {
      bindBatch(evaluateStep, model_, prefetcher_->acquire(step));
      evaluateStep.run(model_.desc().evaluate, rows);
      prefetcher_->release(step);
    }
    if (reducer)
      reducer->reduce(rows, n);
    tracker.add(loss_, metrics_.data(), n);
    if (observer)
      observer->evaluateStepEnd(step + 1, steps, tracker);
  }
  MetricValues result = tracker.mean();
  if (observer)
    observer->evaluateEnd(result);
  return result;
}

void Trainer::predict(
    const DataView &data,
    const std::function<void(const float *const *outputs, int64_t n)> &sink) {
  std::vector<std::vector<float>> outputs;
  std::vector<const float *> views;
  for (int32_t k = 0; k < model_.numOutputs(); ++k) {
    outputs.emplace_back(
        static_cast<size_t>(batchSize_ * model_.output(k).elements));
    views.push_back(outputs.back().data());
  }
  std::vector<void *> buffers;
  for (std::vector<float> &param : params_)
    buffers.push_back(param.data());
  for (int32_t k = 0; k < model_.numInputs(); ++k)
    buffers.push_back(batch_.input(k));
  for (std::vector<float> &output : outputs)
    buffers.push_back(output.data());
  const int64_t steps = numBatches(data.count, batchSize_);
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t n = batchLength(data.count, batchSize_, step);
    batch_.gatherRange(data, step * batchSize_, n);
    model_.desc().predict(n, buffers.data());
    sink(views.data(), n);
  }
}

} // namespace runtime
} // namespace kiln
