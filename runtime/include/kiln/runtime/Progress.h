//===- Progress.h - Keras-style console progress ----------------*- C++ -*-===//
//
// Console output modeled on Keras's `fit(verbose=1)`:
//
//   Epoch 1/5
//   1875/1875 [=====...=====] - 3s 2ms/step - loss: 0.4975 - accuracy: 0.8251
//
// (the bar itself is 30 characters wide).
// On a terminal the bar is redrawn in place with '\r' (at most every 50 ms);
// otherwise only the finished line is printed, one per epoch, so logs stay
// readable.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PROGRESS_H
#define KILN_RUNTIME_PROGRESS_H

#include "kiln/runtime/Trainer.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace kiln {
namespace runtime {

/// Formats a metric as Keras does: `%.4f`, or `%.4e` for magnitudes <= 1e-3.
std::string formatMetricValue(double value);

/// ` - loss: ... - <metric>: ...` with every name prefixed by `prefix`.
std::string formatMetricList(const ModelInfo &model, const std::string &prefix,
                             const MetricValues &values);

/// Keras's time per step: `2s/step`, `2ms/step` or `250us/step`.
std::string formatTimePerStep(double secondsPerStep);

/// The bar text `  12/1875 [>....]` for `current` of `target` steps.
std::string formatBar(int64_t current, int64_t target);

/// One progress bar over `target` steps.
class ProgressBar {
public:
  ProgressBar(std::FILE *out, int64_t target, bool interactive);

  /// Whether update(current, ...) would draw: only on a terminal, at most
  /// every 50 ms, and always for the last step.
  bool due(int64_t current) const;

  /// Redraws the bar at `current` steps with `values` (` - loss: ...`) when
  /// due().
  void update(int64_t current, const std::string &values);

  /// Prints the completed line, with total time and time per step.
  void finish(const std::string &values);

  /// Whether a partial line is on the terminal (drawn, not yet finished).
  bool hasOpenLine() const { return lastWidth_ > 0; }

private:
  using Clock = std::chrono::steady_clock;
  void draw(const std::string &line);

  std::FILE *out_;
  int64_t target_;
  bool interactive_;
  Clock::time_point start_;
  Clock::time_point lastDraw_;
  size_t lastWidth_ = 0;
};

/// Prints epochs and evaluations to the console as training proceeds.
class ConsoleReporter : public TrainingObserver {
public:
  ConsoleReporter(const ModelInfo &model, std::FILE *out, bool interactive)
      : model_(model), out_(out), interactive_(interactive) {}
  /// Ends a bar left open by an error, so that the `error:` line printed
  /// next starts on a line of its own.
  ~ConsoleReporter() override;

  void epochBegin(int64_t epoch, int64_t totalEpochs, int64_t steps) override;
  void trainStepEnd(int64_t step, int64_t steps,
                    const MeanTracker &running) override;
  void epochEnd(const EpochResult &result) override;
  void evaluateBegin(int64_t steps) override;
  void evaluateStepEnd(int64_t step, int64_t steps,
                       const MeanTracker &running) override;
  void evaluateEnd(const MetricValues &result) override;

private:
  const ModelInfo &model_;
  std::FILE *out_;
  bool interactive_;
  std::unique_ptr<ProgressBar> bar_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_PROGRESS_H
