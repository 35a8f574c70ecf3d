//===- Callbacks.h - EarlyStopping and ReduceLROnPlateau --------*- C++ -*-===//
//
// Keras's EarlyStopping and ReduceLROnPlateau callbacks
// (keras/src/callbacks/), with the same arguments and decisions, as
// TrainingObservers. Their state is part of a checkpoint, so a resumed run
// stops and reduces exactly when the uninterrupted one would.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CALLBACKS_H
#define KILN_RUNTIME_CALLBACKS_H

#include "kiln/runtime/Trainer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// Whether a smaller or a larger monitored value is better.
enum class MonitorMode { Auto, Min, Max };

/// Keras's EarlyStopping arguments.
struct EarlyStoppingConfig {
  std::string monitor = "val_loss";
  double minDelta = 0.0;
  int64_t patience = 0;
  MonitorMode mode = MonitorMode::Auto;
  std::optional<double> baseline;
  bool restoreBestWeights = false;
  int64_t startFromEpoch = 0;
};

/// Keras's ReduceLROnPlateau arguments.
struct PlateauConfig {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int64_t patience = 10;
  MonitorMode mode = MonitorMode::Auto;
  double minDelta = 1e-4;
  int64_t cooldown = 0;
  double minLr = 0.0;
};

/// The value of `monitor` ("loss", "val_loss", "accuracy",
/// "val_accuracy", ...) in an epoch's results; nullopt if it has none.
std::optional<double> monitoredValue(const ModelInfo &model,
                                     const EpochResult &result,
                                     const std::string &monitor);

/// Keras's EarlyStopping. Asks the trainer to stop after the epoch whose
/// value has not improved by min_delta for `patience` epochs; with
/// restore_best_weights the best epoch's parameters are restored when
/// training ends (finish()).
class EarlyStopping : public TrainingObserver {
public:
  EarlyStopping(Trainer &trainer, EarlyStoppingConfig config);
  void epochEnd(const EpochResult &result) override;
  /// Restores the best weights if asked to; returns the best epoch
  /// (1-based) restored, or 0.
  int64_t finish();
  /// 1-based epoch after which training stopped, or 0.
  int64_t stoppedEpoch() const { return state_.stoppedEpoch; }

  /// What a checkpoint saves.
  struct State {
    int64_t wait = 0;
    int64_t stoppedEpoch = 0;
    int64_t bestEpoch = 0;
    bool hasBest = false;
    double best = 0.0;
    TensorList bestWeights;
  };
  State &state() { return state_; }
  const State &state() const { return state_; }
  const EarlyStoppingConfig &config() const { return config_; }

private:
  Trainer &trainer_;
  EarlyStoppingConfig config_;
  bool maximize_;
  State state_;
};

/// Keras's ReduceLROnPlateau: multiplies the (constant) learning rate by
/// `factor` after `patience` epochs without improvement, down to min_lr.
class ReduceLROnPlateau : public TrainingObserver {
public:
  ReduceLROnPlateau(Trainer &trainer, PlateauConfig config);
  void epochEnd(const EpochResult &result) override;

  struct State {
    int64_t wait = 0;
    int64_t cooldownCounter = 0;
    double best = 0.0;
  };
  State &state() { return state_; }
  const State &state() const { return state_; }

private:
  Trainer &trainer_;
  PlateauConfig config_;
  bool maximize_;
  State state_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CALLBACKS_H
