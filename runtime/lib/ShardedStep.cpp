//===- ShardedStep.cpp - One step of a batch on several threads -----------===//

#include "kiln/runtime/ShardedStep.h"

#include <algorithm>

namespace kiln {
namespace runtime {

ShardedStep::ShardedStep(WorkerPool &pool, StepLayout layout)
    : pool_(pool), layout_(std::move(layout)) {
  const int shards = pool_.threads();
  shardBuffers_.resize(static_cast<size_t>(shards));
  shardOutputs_.resize(static_cast<size_t>(shards));
  shardRng_.assign(
      static_cast<size_t>(shards),
      std::vector<std::array<uint64_t, 2>>(layout_.rngInputs.size()));
  isOutput_.assign(layout_.buffers.size(), false);
  for (const auto &[index, elements] : layout_.meanOutputs) {
    isOutput_[index] = true;
    meanSizes_.push_back(elements);
  }
  for (int t = 1; t < shards; ++t) {
    std::vector<void *> &buffers = shardBuffers_[t];
    buffers = layout_.buffers;
    for (const auto &[index, elements] : layout_.meanOutputs) {
      shardOutputs_[t].emplace_back(static_cast<size_t>(elements), 0.0f);
      buffers[index] = shardOutputs_[t].back().data();
    }
  }
}

void ShardedStep::shardRows(int64_t n, int shards, int t, int64_t &begin,
                            int64_t &end) {
  const int64_t base = n / shards, extra = n % shards;
  begin = t * base + std::min<int64_t>(t, extra);
  end = begin + base + (t < extra ? 1 : 0);
}

void ShardedStep::run(KilnEntryPoint entry, int64_t n,
                      const CombinedRange *combined) {
  const int shards = static_cast<int>(std::min<int64_t>(pool_.threads(), n));
  if (shards <= 1) {
    entry(n, layout_.buffers.data());
    if (combined)
      pool_.forEachElementRange(meanSizes_, *combined);
    return;
  }

  // Shard 0 writes the caller's outputs; the others their own, combined
  // below. Row inputs are rebound to each shard's first row.
  std::vector<int64_t> rows(static_cast<size_t>(shards));
  pool_.run([&](int t) {
    if (t >= shards)
      return;
    int64_t begin, end;
    shardRows(n, shards, t, begin, end);
    rows[t] = end - begin;
    std::vector<void *> &buffers = t == 0 ? layout_.buffers : shardBuffers_[t];
    if (t == 0) {
      entry(end - begin, buffers.data());
      return;
    }
    for (size_t i = 0; i < buffers.size(); ++i)
      if (!isOutput_[i])
        buffers[i] = layout_.buffers[i];
    for (size_t k = 0; k < layout_.rngInputs.size(); ++k) {
      const int32_t index = layout_.rngInputs[k];
      const auto *rng = static_cast<const uint64_t *>(layout_.buffers[index]);
      // A distinct, fixed seed per shard (golden-ratio increments).
      shardRng_[t][k] = {rng[0] + kShardSeedStride * uint64_t(t), rng[1]};
      buffers[index] = shardRng_[t][k].data();
    }
    for (const auto &[index, rowBytes] : layout_.rowInputs)
      buffers[index] =
          static_cast<char *>(layout_.buffers[index]) + begin * rowBytes;
    entry(end - begin, buffers.data());
  });

  // mean = Σ_t (rows_t / n) · mean_t, in shard order, each element on
  // whichever thread owns it (the same arithmetic on any).
  const float inverseN = 1.0f / static_cast<float>(n);
  pool_.forEachElementRange(
      meanSizes_, [&](size_t o, int64_t begin, int64_t end) {
        float *out =
            static_cast<float *>(layout_.buffers[layout_.meanOutputs[o].first]);
        const float w0 = static_cast<float>(rows[0]) * inverseN;
        for (int64_t i = begin; i < end; ++i)
          out[i] *= w0;
        for (int t = 1; t < shards; ++t) {
          const float w = static_cast<float>(rows[t]) * inverseN;
          const float *part = shardOutputs_[t][o].data();
          for (int64_t i = begin; i < end; ++i)
            out[i] += w * part[i];
        }
        if (combined)
          (*combined)(o, begin, end);
      });
}

} // namespace runtime
} // namespace kiln
