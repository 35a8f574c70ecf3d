//===- Callbacks.cpp - EarlyStopping and ReduceLROnPlateau ----------------===//

#include "kiln/runtime/Callbacks.h"
#include "kiln/runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln {
namespace runtime {

namespace {

/// Keras's "auto" mode: accuracies are maximized, everything else
/// minimized.
bool maximizes(MonitorMode mode, const std::string &monitor) {
  if (mode == MonitorMode::Auto)
    return monitor.find("acc") != std::string::npos;
  return mode == MonitorMode::Max;
}

} // namespace

std::optional<double> monitoredValue(const ModelInfo &model,
                                     const EpochResult &result,
                                     const std::string &monitor) {
  std::string name = monitor;
  const MetricValues *values = &result.train;
  if (name.compare(0, 4, "val_") == 0) {
    if (!result.hasValidation)
      return std::nullopt;
    values = &result.validation;
    name = name.substr(4);
  }
  if (name == "loss")
    return values->loss;
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    if (name == model.metricName(i))
      return values->metrics[i];
  return std::nullopt;
}

EarlyStopping::EarlyStopping(Trainer &trainer, EarlyStoppingConfig config)
    : trainer_(trainer), config_(std::move(config)),
      maximize_(maximizes(config_.mode, config_.monitor)) {}

void EarlyStopping::epochEnd(const EpochResult &result) {
  std::optional<double> current =
      monitoredValue(trainer_.model(), result, config_.monitor);
  const int64_t epoch = result.epoch - 1; // Keras counts from 0.
  if (!current || epoch < config_.startFromEpoch)
    return;
  if (config_.restoreBestWeights && state_.bestWeights.empty()) {
    state_.bestWeights = trainer_.params();
    state_.bestEpoch = result.epoch;
  }
  // Keras compares `current - min_delta` with the reference, min_delta
  // negated when smaller is better.
  const double delta = maximize_ ? config_.minDelta : -config_.minDelta;
  auto improves = [&](double value, double reference) {
    return maximize_ ? value - delta > reference : value - delta < reference;
  };
  ++state_.wait;
  if (!state_.hasBest || improves(*current, state_.best)) {
    state_.hasBest = true;
    state_.best = *current;
    state_.bestEpoch = result.epoch;
    if (config_.restoreBestWeights)
      state_.bestWeights = trainer_.params();
    if (!config_.baseline || improves(*current, *config_.baseline))
      state_.wait = 0;
    return;
  }
  if (state_.wait >= config_.patience && epoch > 0) {
    state_.stoppedEpoch = result.epoch;
    trainer_.requestStop();
  }
}

int64_t EarlyStopping::finish() {
  if (!config_.restoreBestWeights || state_.bestWeights.empty())
    return 0;
  trainer_.params() = state_.bestWeights;
  return state_.bestEpoch;
}

ReduceLROnPlateau::ReduceLROnPlateau(Trainer &trainer, PlateauConfig config)
    : trainer_(trainer), config_(std::move(config)),
      maximize_(maximizes(config_.mode, config_.monitor)) {
  state_.best = maximize_ ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
}

void ReduceLROnPlateau::epochEnd(const EpochResult &result) {
  std::optional<double> current =
      monitoredValue(trainer_.model(), result, config_.monitor);
  if (!current)
    return;
  const bool inCooldown = state_.cooldownCounter > 0;
  if (inCooldown) {
    --state_.cooldownCounter;
    state_.wait = 0;
  }
  bool better = maximize_ ? *current > state_.best + config_.minDelta
                          : *current < state_.best - config_.minDelta;
  if (better) {
    state_.best = *current;
    state_.wait = 0;
    return;
  }
  if (state_.cooldownCounter > 0)
    return;
  if (++state_.wait < config_.patience)
    return;
  const double oldRate = trainer_.optimizer().learningRate();
  if (oldRate > double(static_cast<float>(config_.minLr))) {
    double newRate = std::max(oldRate * config_.factor, config_.minLr);
    trainer_.optimizer().setLearningRate(static_cast<float>(newRate));
    state_.cooldownCounter = config_.cooldown;
    state_.wait = 0;
  }
}

} // namespace runtime
} // namespace kiln
