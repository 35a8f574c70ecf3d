//===- Batch.h - Shuffling and batch assembly -------------------*- C++ -*-===//
//
// The training loop visits a permutation of the samples in consecutive
// batches of `batchSize`, the last one partial, so that every sample is seen
// exactly once per epoch. BatchBuffers gathers the selected samples into the
// contiguous, row-major buffers the generated entry points take, converting
// the stored bytes to the model's input dtype on the way.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_BATCH_H
#define KILN_RUNTIME_BATCH_H

#include <cstdint>
#include <vector>

namespace kiln {
namespace runtime {

class ModelInfo;
class Rng;
struct DataView;

/// Sets `order` to 0..n-1 and shuffles it with Fisher-Yates driven by `rng`.
void shuffledOrder(std::vector<int64_t> &order, int64_t n, Rng &rng);

/// Number of batches covering `n` samples: ceil(n / batchSize).
int64_t numBatches(int64_t n, int64_t batchSize);

/// Size of batch `index` (0-based) of `n` samples: batchSize, except for a
/// smaller last batch when batchSize does not divide n.
int64_t batchLength(int64_t n, int64_t batchSize, int64_t index);

/// Input and label buffers for batches of up to `capacity` samples.
class BatchBuffers {
public:
  BatchBuffers(const ModelInfo &model, int64_t capacity);

  /// Gathers samples `indices[0..n)` of `data`, n <= capacity. Labels are
  /// copied only when `data` has them.
  void gather(const DataView &data, const int64_t *indices, int64_t n);

  /// Gathers the consecutive samples [begin, begin + n) of `data`.
  void gatherRange(const DataView &data, int64_t begin, int64_t n);

  /// The input buffer (float or int32 per the model's input dtype).
  void *inputs() {
    return intInputs_ ? static_cast<void *>(intData_.data())
                      : static_cast<void *>(floatData_.data());
  }
  /// The y buffer: int32 class indices or float targets, per the model.
  void *labels() {
    return floatTargets_ ? static_cast<void *>(targets_.data())
                         : static_cast<void *>(labels_.data());
  }
  /// The buffers of model input `k` and of output `k`'s labels, for every
  /// input and output (0 is inputs() and labels()).
  void *input(int32_t k) {
    return k == 0 ? inputs() : moreInputs_[k - 1].data();
  }
  void *labels(int32_t k) {
    return k == 0 ? labels() : moreLabels_[k - 1].data();
  }
  int64_t capacity() const { return capacity_; }

  /// Feeds every input element as x * scale + offset (float inputs only;
  /// the default 1, 0 leaves values untouched).
  void setNormalization(float scale, float offset) {
    scale_ = scale;
    offset_ = offset;
  }
  float scale() const { return scale_; }
  float offset() const { return offset_; }

  /// `--target input`: the float targets of output 0 become a copy of each
  /// sample's converted (normalized) input instead of the data's labels.
  /// The model must take float targets of the input's element count
  /// (checkTargetFromInput).
  void setTargetFromInput(bool enabled) { targetFromInput_ = enabled; }
  bool targetFromInput() const { return targetFromInput_; }

private:
  void convertSample(const DataView &data, int64_t index, int64_t slot);
  void copyLabel(const DataView &data, int64_t index, int64_t slot);
  void noteMappedRead(const DataView &data, int64_t n);
  /// Copies sample `index` of the further inputs and labels into `slot`.
  void copyColumns(const DataView &data, int64_t index, int64_t slot);

  int64_t capacity_;
  int64_t sampleElements_;
  bool intInputs_;
  /// Only the buffer of the model's input dtype is allocated.
  std::vector<float> floatData_;
  std::vector<int32_t> intData_;
  std::vector<int32_t> labels_;
  /// Float targets (targetElements_ per sample) when the model takes them.
  bool floatTargets_;
  int64_t targetElements_;
  std::vector<float> targets_;
  float scale_ = 1.0f;
  float offset_ = 0.0f;
  bool targetFromInput_ = false;
  /// Inputs 1, 2, ... and the labels of outputs 1, 2, ..., as 4-byte words
  /// (float32 or int32 per the model), with their elements per sample.
  std::vector<std::vector<uint32_t>> moreInputs_;
  std::vector<std::vector<uint32_t>> moreLabels_;
  std::vector<int64_t> moreInputElements_;
  std::vector<bool> moreInputFloats_;
  std::vector<int64_t> moreLabelElements_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_BATCH_H
