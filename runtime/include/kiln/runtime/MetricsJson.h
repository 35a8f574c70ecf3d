//===- MetricsJson.h - Machine-readable training metrics --------*- C++ -*-===//
//
// `--metrics-json FILE` writes one JSON object per line (JSON Lines):
//
//   {"epoch":1,"loss":...,"accuracy":...,"val_loss":...,"val_accuracy":...,
//    "seconds":...,"samples_per_second":...}    (one line per epoch)
//   {"test_loss":...,"test_accuracy":...}        (last, with test data)
//
// Metric keys are the descriptor's metric names; val_* keys appear only with
// validation data. Numbers use the shortest text that reads back to the same
// double; a non-finite value is written as null since JSON has no NaN.
//
// The lines go to FILE.tmp as they are produced (flushed per line so the
// run can be followed) and the file is renamed to FILE only when the command
// succeeds, so FILE never holds a partial run.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_METRICSJSON_H
#define KILN_RUNTIME_METRICSJSON_H

#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Trainer.h"

#include <string>

namespace kiln {
namespace runtime {

/// Formats a number for JSON: shortest round-trip form, or null.
std::string formatJsonNumber(double value);

/// Escapes `text` as a JSON string literal, quotes included.
std::string quoteJsonString(const std::string &text);

/// The line (without newline) for one epoch.
std::string formatEpochRecord(const ModelInfo &model,
                              const EpochResult &result);

/// The line (without newline) for the final test evaluation.
std::string formatTestRecord(const ModelInfo &model,
                             const MetricValues &result);

/// Writes epoch records as training proceeds.
class MetricsJsonWriter : public TrainingObserver {
public:
  MetricsJsonWriter(const ModelInfo &model, const std::string &path)
      : model_(model), file_(path) {}

  void epochEnd(const EpochResult &result) override;
  void writeTestRecord(const MetricValues &result);
  /// Publishes the file under its final name.
  void commit() { file_.commit(); }

private:
  void writeLine(const std::string &line);

  const ModelInfo &model_;
  AtomicFile file_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_METRICSJSON_H
