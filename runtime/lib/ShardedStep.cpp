//===- ShardedStep.cpp - One step of a batch on several threads -----------===//

#include "kiln/runtime/ShardedStep.h"

#include <algorithm>

namespace kiln {
namespace runtime {

//===----------------------------------------------------------------------===//
// WorkerPool
//===----------------------------------------------------------------------===//

WorkerPool::WorkerPool(int threads) {
  for (int t = 1; t < threads; ++t)
    workers_.emplace_back([this, t] { workerLoop(t); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

namespace {

/// Iterations a thread polls before it blocks (about 50 µs).
constexpr int kSpinIterations = 20000;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

} // namespace

void WorkerPool::run(const std::function<void(int)> &task) {
  if (workers_.empty()) {
    task(0);
    return;
  }
  task_.store(&task, std::memory_order_relaxed);
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    // Publishing under the mutex means a worker deciding to sleep either
    // sees the new generation or is woken by the notification.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleeping_.load() > 0)
    wake_.notify_all();
  task(0);
  // Spin, then yield: with more threads than free cores a worker may need
  // this core to finish.
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations)
      cpuRelax();
    else
      std::this_thread::yield();
  }
}

void WorkerPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t current = generation_.load(std::memory_order_acquire);
    for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
      cpuRelax();
      current = generation_.load(std::memory_order_acquire);
    }
    if (current == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_.fetch_add(1);
      wake_.wait(lock, [&] {
        return generation_.load(std::memory_order_acquire) != seen;
      });
      sleeping_.fetch_sub(1);
      current = generation_.load(std::memory_order_acquire);
    }
    seen = current;
    if (stopping_.load())
      return;
    (*task_.load(std::memory_order_relaxed))(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

//===----------------------------------------------------------------------===//
// ShardedStep
//===----------------------------------------------------------------------===//

ShardedStep::ShardedStep(WorkerPool &pool, StepLayout layout)
    : pool_(pool), layout_(std::move(layout)) {
  const int shards = pool_.threads();
  shardBuffers_.resize(static_cast<size_t>(shards));
  shardOutputs_.resize(static_cast<size_t>(shards));
  shardRng_.resize(static_cast<size_t>(shards));
  isOutput_.assign(layout_.buffers.size(), false);
  for (const auto &output : layout_.meanOutputs)
    isOutput_[output.first] = true;
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

void ShardedStep::run(KilnEntryPoint entry, int64_t n) {
  const int shards = static_cast<int>(std::min<int64_t>(pool_.threads(), n));
  if (shards <= 1) {
    entry(n, layout_.buffers.data());
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
    if (layout_.rngInput >= 0) {
      const auto *rng =
          static_cast<const uint64_t *>(layout_.buffers[layout_.rngInput]);
      // A distinct, fixed seed per shard (golden-ratio increments).
      shardRng_[t] = {rng[0] + kShardSeedStride * uint64_t(t), rng[1]};
      buffers[layout_.rngInput] = shardRng_[t].data();
    }
    for (const auto &[index, rowBytes] : layout_.rowInputs)
      buffers[index] =
          static_cast<char *>(layout_.buffers[index]) + begin * rowBytes;
    entry(end - begin, buffers.data());
  });

  // mean = Σ_t (rows_t / n) · mean_t, in shard order. (Splitting this pass
  // across the threads too measured slower for the seed MLP: it is short.)
  const float inverseN = 1.0f / static_cast<float>(n);
  for (size_t o = 0; o < layout_.meanOutputs.size(); ++o) {
    const auto &[index, elements] = layout_.meanOutputs[o];
    float *out = static_cast<float *>(layout_.buffers[index]);
    const float w0 = static_cast<float>(rows[0]) * inverseN;
    for (int64_t i = 0; i < elements; ++i)
      out[i] *= w0;
    for (int t = 1; t < shards; ++t) {
      const float w = static_cast<float>(rows[t]) * inverseN;
      const float *part = shardOutputs_[t][o].data();
      for (int64_t i = 0; i < elements; ++i)
        out[i] += w * part[i];
    }
  }
}

} // namespace runtime
} // namespace kiln
