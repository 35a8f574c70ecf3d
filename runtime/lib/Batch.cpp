//===- Batch.cpp - Shuffling and batch assembly ---------------------------===//

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/MappedFile.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Random.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

namespace kiln {
namespace runtime {

void shuffledOrder(std::vector<int64_t> &order, int64_t n, Rng &rng) {
  // Restart from the identity every time so that the permutation depends
  // only on the generator state, which checkpoints save.
  order.resize(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(rng.nextBelow(uint64_t(i) + 1));
    std::swap(order[i], order[j]);
  }
}

int64_t numBatches(int64_t n, int64_t batchSize) {
  return (n + batchSize - 1) / batchSize;
}

int64_t batchLength(int64_t n, int64_t batchSize, int64_t index) {
  int64_t begin = index * batchSize;
  return n - begin < batchSize ? n - begin : batchSize;
}

BatchBuffers::BatchBuffers(const ModelInfo &model, int64_t capacity)
    : capacity_(capacity), sampleElements_(model.inputElements()),
      intInputs_(model.input(0).intValues),
      labels_(static_cast<size_t>(capacity)),
      floatTargets_(model.floatTargets()),
      targetElements_(model.targetElements()) {
  if (floatTargets_)
    targets_.resize(static_cast<size_t>(capacity * targetElements_));
  size_t elements = static_cast<size_t>(capacity * sampleElements_);
  if (intInputs_)
    intData_.resize(elements);
  else
    floatData_.resize(elements);
  for (int32_t k = 1; k < model.numInputs(); ++k) {
    const InputSpec &input = model.input(k);
    moreInputs_.emplace_back(static_cast<size_t>(capacity * input.elements));
    moreInputElements_.push_back(input.elements);
    moreInputFloats_.push_back(!input.intValues);
  }
  for (int32_t k = 1; k < model.numOutputs(); ++k) {
    const OutputSpec &output = model.output(k);
    moreLabels_.emplace_back(
        static_cast<size_t>(capacity * output.targetElements));
    moreLabelElements_.push_back(output.targetElements);
  }
}

void BatchBuffers::copyColumns(const DataView &data, int64_t index,
                               int64_t slot) {
  for (size_t k = 0; k < moreInputs_.size() && k < data.moreInputs.size();
       ++k) {
    const int64_t elements = moreInputElements_[k];
    const uint32_t *from = data.moreInputs[k].words + index * elements;
    uint32_t *to = moreInputs_[k].data() + slot * elements;
    std::copy(from, from + elements, to);
    if (moreInputFloats_[k] && (scale_ != 1.0f || offset_ != 0.0f))
      for (int64_t i = 0; i < elements; ++i) {
        float value;
        std::memcpy(&value, &to[i], sizeof value);
        value = value * scale_ + offset_;
        std::memcpy(&to[i], &value, sizeof value);
      }
  }
  for (size_t k = 0; k < moreLabels_.size() && k < data.moreLabels.size();
       ++k) {
    const int64_t elements = moreLabelElements_[k];
    const uint32_t *from = data.moreLabels[k].words + index * elements;
    std::copy(from, from + elements, moreLabels_[k].data() + slot * elements);
  }
}

void BatchBuffers::convertSample(const DataView &data, int64_t index,
                                 int64_t slot) {
  // Raw values by default: rescaling belongs to the compiled graph unless
  // --normalize asks for it.
  const int64_t offset = slot * sampleElements_;
  const int64_t first = index * sampleElements_;
  if (intInputs_) {
    if (data.floats)
      for (int64_t i = 0; i < sampleElements_; ++i)
        intData_[offset + i] = static_cast<int32_t>(data.floats[first + i]);
    else
      std::copy(data.inputs + first, data.inputs + first + sampleElements_,
                intData_.begin() + offset);
    return;
  }
  float *out = floatData_.data() + offset;
  if (data.floats)
    std::copy(data.floats + first, data.floats + first + sampleElements_, out);
  else
    std::copy(data.inputs + first, data.inputs + first + sampleElements_, out);
  if (scale_ != 1.0f || offset_ != 0.0f)
    for (int64_t i = 0; i < sampleElements_; ++i)
      out[i] = out[i] * scale_ + offset_;
}

void BatchBuffers::copyLabel(const DataView &data, int64_t index,
                             int64_t slot) {
  if (targetFromInput_ && floatTargets_ && !intInputs_ &&
      targetElements_ == sampleElements_) {
    // convertSample filled the slot first; its values are the targets.
    // (checkTargetFromInput refuses models whose counts differ.)
    const float *input = floatData_.data() + slot * sampleElements_;
    std::copy(input, input + sampleElements_,
              targets_.begin() + slot * targetElements_);
    return;
  }
  if (data.targets && floatTargets_)
    std::copy(data.targets + index * targetElements_,
              data.targets + (index + 1) * targetElements_,
              targets_.begin() + slot * targetElements_);
  else if (data.labels && !floatTargets_)
    labels_[slot] = data.labels[index];
}

/// Asks the CPU to start loading sample `index`'s input into the cache.
static void prefetchSample(const DataView &data, int64_t index) {
  const char *first = data.floats
                          ? reinterpret_cast<const char *>(
                                data.floats + index * data.sampleElements)
                          : reinterpret_cast<const char *>(
                                data.inputs + index * data.sampleElements);
  const int64_t bytes =
      data.sampleElements * int64_t(data.floats ? sizeof(float) : 1);
  for (int64_t offset = 0; offset < bytes; offset += 64)
    __builtin_prefetch(first + offset);
}

void BatchBuffers::gather(const DataView &data, const int64_t *indices,
                          int64_t n) {
  // Shuffled samples are scattered over the data set, mostly out of cache:
  // loading them a few samples ahead keeps several misses in flight
  // instead of waiting for each line in turn (about 4x faster here).
  constexpr int64_t kPrefetchAhead = 4;
  for (int64_t i = 0; i < std::min(n, kPrefetchAhead); ++i)
    prefetchSample(data, indices[i]);
  for (int64_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n)
      prefetchSample(data, indices[i + kPrefetchAhead]);
    convertSample(data, indices[i], i);
    copyLabel(data, indices[i], i);
    copyColumns(data, indices[i], i);
  }
  noteMappedRead(data, n);
}

void BatchBuffers::gatherRange(const DataView &data, int64_t begin, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    convertSample(data, begin + i, i);
    copyLabel(data, begin + i, i);
    copyColumns(data, begin + i, i);
  }
  noteMappedRead(data, n);
}

void BatchBuffers::noteMappedRead(const DataView &data, int64_t n) {
  // Streamed inputs: let the mapping drop the pages read so far from the
  // resident set now and then, so that it stays near the batch buffers.
  // A page fault maps the neighbouring pages too (Linux's fault-around,
  // 64 KiB by default), so a scattered sample costs that much residency.
  const int64_t sampleBytes =
      sampleElements_ * int64_t(data.floats ? sizeof(float) : 1);
  if (data.mapping)
    data.mapping->noteRead(
        static_cast<size_t>(n * (sampleBytes + 65536)));
}

} // namespace runtime
} // namespace kiln
