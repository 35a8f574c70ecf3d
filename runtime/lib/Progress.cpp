//===- Progress.cpp - Keras-style console progress ------------------------===//

#include "kiln/runtime/Progress.h"
#include "kiln/runtime/Error.h"

#include <cmath>

namespace kiln {
namespace runtime {

std::string formatMetricValue(double value) {
  return formatString(std::fabs(value) > 1e-3 ? "%.4f" : "%.4e", value);
}

std::string formatMetricList(const ModelInfo &model, const std::string &prefix,
                             const MetricValues &values) {
  std::string text = " - " + prefix + "loss: " + formatMetricValue(values.loss);
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    text += " - " + prefix + model.metricName(i) + ": " +
            formatMetricValue(values.metrics[i]);
  return text;
}

std::string formatTimePerStep(double secondsPerStep) {
  if (secondsPerStep >= 1)
    return formatString("%.0fs/step", secondsPerStep);
  if (secondsPerStep >= 1e-3)
    return formatString("%.0fms/step", secondsPerStep * 1e3);
  return formatString("%.0fus/step", secondsPerStep * 1e6);
}

std::string formatBar(int64_t current, int64_t target) {
  const int width = 30;
  int digits = static_cast<int>(std::to_string(target).size());
  std::string bar =
      formatString("%*lld/%lld [", digits, static_cast<long long>(current),
                   static_cast<long long>(target));
  int filled = target > 0 ? static_cast<int>(width * current / target) : width;
  if (filled > 0) {
    bar.append(static_cast<size_t>(filled - 1), '=');
    bar += current < target ? '>' : '=';
  }
  bar.append(static_cast<size_t>(width - filled), '.');
  return bar + "]";
}

/// Keras's ETA format: `1:02:03`, `2:03` or `3s`.
static std::string formatEta(double seconds) {
  long long s = static_cast<long long>(seconds);
  if (s > 3600)
    return formatString("%lld:%02lld:%02lld", s / 3600, (s % 3600) / 60,
                        s % 60);
  if (s > 60)
    return formatString("%lld:%02lld", s / 60, s % 60);
  return formatString("%llds", s);
}

ProgressBar::ProgressBar(std::FILE *out, int64_t target, bool interactive)
    : out_(out), target_(target), interactive_(interactive),
      start_(Clock::now()), lastDraw_(start_) {}

void ProgressBar::draw(const std::string &line) {
  // Pad with blanks to erase the tail of a longer previous line.
  std::string text = "\r" + line;
  if (line.size() < lastWidth_)
    text.append(lastWidth_ - line.size(), ' ');
  lastWidth_ = line.size();
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

bool ProgressBar::due(int64_t current) const {
  if (!interactive_)
    return false;
  return current >= target_ ||
         std::chrono::duration<double>(Clock::now() - lastDraw_).count() >=
             0.05;
}

void ProgressBar::update(int64_t current, const std::string &values) {
  if (!due(current))
    return;
  Clock::time_point now = Clock::now();
  lastDraw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double eta =
      current > 0 ? elapsed / double(current) * double(target_ - current) : 0.0;
  draw(formatBar(current, target_) + " - ETA: " + formatEta(eta) + values);
}

void ProgressBar::finish(const std::string &values) {
  double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  double perStep = target_ > 0 ? elapsed / double(target_) : 0.0;
  std::string line = formatBar(target_, target_) +
                     formatString(" - %.0fs ", elapsed) +
                     formatTimePerStep(perStep) + values;
  if (interactive_) {
    draw(line);
    std::fputs("\n", out_);
    lastWidth_ = 0;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

ConsoleReporter::~ConsoleReporter() {
  if (bar_ && bar_->hasOpenLine()) {
    std::fputs("\n", out_);
    std::fflush(out_);
  }
}

void ConsoleReporter::epochBegin(int64_t epoch, int64_t totalEpochs,
                                 int64_t steps) {
  std::fprintf(out_, "Epoch %lld/%lld\n", static_cast<long long>(epoch),
               static_cast<long long>(totalEpochs));
  std::fflush(out_);
  bar_ = std::make_unique<ProgressBar>(out_, steps, interactive_);
}

void ConsoleReporter::trainStepEnd(int64_t step, int64_t,
                                   const MeanTracker &running) {
  if (bar_->due(step))
    bar_->update(step, formatMetricList(model_, "", running.mean()));
}

void ConsoleReporter::epochEnd(const EpochResult &result) {
  std::string values = formatMetricList(model_, "", result.train);
  if (result.hasValidation)
    values += formatMetricList(model_, "val_", result.validation);
  bar_->finish(values);
  bar_.reset();
}

void ConsoleReporter::evaluateBegin(int64_t steps) {
  bar_ = std::make_unique<ProgressBar>(out_, steps, interactive_);
}

void ConsoleReporter::evaluateStepEnd(int64_t step, int64_t,
                                      const MeanTracker &running) {
  if (bar_->due(step))
    bar_->update(step, formatMetricList(model_, "", running.mean()));
}

void ConsoleReporter::evaluateEnd(const MetricValues &result) {
  bar_->finish(formatMetricList(model_, "", result));
  bar_.reset();
}

} // namespace runtime
} // namespace kiln
