//===- MetricsJson.cpp - Machine-readable training metrics ----------------===//

#include "kiln/runtime/MetricsJson.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kiln {
namespace runtime {

std::string formatJsonNumber(double value) {
  if (!std::isfinite(value))
    return "null";
  char buffer[32];
  std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string quoteJsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char escape[8];
        std::snprintf(escape, sizeof(escape), "\\u%04x", c);
        out += escape;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

/// Appends `,"<prefix><name>":<value>` for the loss and each metric.
static void appendValues(std::string &line, const ModelInfo &model,
                         const std::string &prefix,
                         const MetricValues &values) {
  line += "," + quoteJsonString(prefix + "loss") + ":" +
          formatJsonNumber(values.loss);
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    line += "," + quoteJsonString(prefix + model.metricName(i)) + ":" +
            formatJsonNumber(values.metrics[i]);
}

std::string formatEpochRecord(const ModelInfo &model,
                              const EpochResult &result) {
  std::string line = "{\"epoch\":" + std::to_string(result.epoch);
  appendValues(line, model, "", result.train);
  if (result.hasValidation)
    appendValues(line, model, "val_", result.validation);
  line += ",\"seconds\":" + formatJsonNumber(result.seconds);
  line +=
      ",\"samples_per_second\":" + formatJsonNumber(result.samplesPerSecond);
  // Data-parallel runs add what the gradient reductions of the epoch's
  // steps cost (docs/distributed.md).
  if (result.ranks > 1) {
    line += ",\"ranks\":" + std::to_string(result.ranks);
    line += ",\"allreduce_calls\":" + std::to_string(result.reductions);
    line += ",\"allreduce_bytes\":" + std::to_string(result.reducedBytes);
    line += ",\"allreduce_seconds\":" + formatJsonNumber(result.reduceSeconds);
    if (result.reduceWaitSeconds >= 0)
      line += ",\"allreduce_wait_seconds\":" +
              formatJsonNumber(result.reduceWaitSeconds);
  }
  return line + "}";
}

std::string formatTestRecord(const ModelInfo &model,
                             const MetricValues &result) {
  std::string line;
  appendValues(line, model, "test_", result);
  // appendValues starts every entry with a comma; the first opens the object.
  line[0] = '{';
  return line + "}";
}

void MetricsJsonWriter::writeLine(const std::string &line) {
  file_.write(line + "\n");
  file_.flush();
}

void MetricsJsonWriter::epochEnd(const EpochResult &result) {
  writeLine(formatEpochRecord(model_, result));
}

void MetricsJsonWriter::writeTestRecord(const MetricValues &result) {
  writeLine(formatTestRecord(model_, result));
}

} // namespace runtime
} // namespace kiln
