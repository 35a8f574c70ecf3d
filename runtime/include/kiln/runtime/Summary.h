//===- Summary.h - `model summary` ------------------------------*- C++ -*-===//
//
// A Keras-like `model.summary()` table built from the descriptor's layers,
// followed by the parameter counts and the memory the runtime allocates for
// training: parameters, gradients, optimizer state and batch buffers.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SUMMARY_H
#define KILN_RUNTIME_SUMMARY_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class ModelInfo;

/// Formats `value` with thousands separators: 101770 -> "101,770".
std::string formatWithCommas(int64_t value);

/// Memory of one data set of a run.
struct DataMemory {
  /// "train", "validation", "test" or "inputs".
  std::string name;
  int64_t samples = 0;
  /// Bytes held in memory: the inputs unless mapped, labels, targets.
  int64_t residentBytes = 0;
  /// Bytes of inputs served from a mapping (streamed): on disk or in the
  /// page cache, resident only while being read.
  int64_t mappedBytes = 0;
};

/// The settings of the run whose memory `summary` reports.
struct RunSettings {
  int64_t batchSize = 1;
  int32_t optimizerKind = 0;
  float learningRate = 0.0f;
  /// Optimizer state tensors per parameter (Optimizer::slotsPerParam).
  int32_t optimizerSlots = 0;
  /// --threads: each thread has its own workspace.
  int64_t threads = 1;
  std::vector<DataMemory> data;
};

/// The run the model's training configuration describes (its batch size
/// and optimizer, one thread, no data).
RunSettings defaultRunSettings(const ModelInfo &model);

/// The complete summary text, ending in a newline: layers, parameter
/// counts, then the memory of `run`.
std::string formatSummary(const ModelInfo &model, const RunSettings &run);
std::string formatSummary(const ModelInfo &model);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_SUMMARY_H
