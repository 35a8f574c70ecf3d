//===- Prefetch.cpp - Gathering the next batch while one trains -----------===//

#include "kiln/runtime/Prefetch.h"

namespace kiln {
namespace runtime {

BatchPrefetcher::BatchPrefetcher(const ModelInfo &model, BatchBuffers &primary)
    : primary_(primary), twin_(model, primary.capacity()) {
  thread_ = std::thread([this] { threadLoop(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    exiting_ = true;
    ++generation_;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchPrefetcher::start(const DataView &data, const int64_t *order,
                            int64_t batchSize, int64_t firstStep,
                            int64_t steps) {
  stop();
  twin_.setNormalization(primary_.scale(), primary_.offset());
  twin_.setTargetFromInput(primary_.targetFromInput());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    data_ = data;
    order_ = order;
    batchSize_ = batchSize;
    steps_ = steps;
    next_ = firstStep;
    ready_ = firstStep - 1;
    released_ = firstStep - 1;
    active_ = true;
    ++generation_;
  }
  changed_.notify_all();
}

BatchBuffers &BatchPrefetcher::acquire(int64_t step) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return ready_ >= step; });
  return step % 2 == 0 ? primary_ : twin_;
}

void BatchPrefetcher::release(int64_t step) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = step;
  }
  changed_.notify_all();
}

void BatchPrefetcher::stop() {
  std::unique_lock<std::mutex> lock(mutex_);
  active_ = false;
  ++generation_;
  changed_.wait(lock, [&] { return !busy_; });
}

void BatchPrefetcher::threadLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // A buffer is free once the batch two before was released.
    changed_.wait(lock, [&] {
      return exiting_ || (active_ && next_ < steps_ && next_ - 2 <= released_);
    });
    if (exiting_)
      return;
    const int64_t step = next_;
    const uint64_t generation = generation_;
    const DataView data = data_;
    const int64_t *order = order_;
    const int64_t batchSize = batchSize_;
    const int64_t n = batchLength(data.count, batchSize, step);
    BatchBuffers &buffers = step % 2 == 0 ? primary_ : twin_;
    busy_ = true;
    lock.unlock();
    if (order)
      buffers.gather(data, order + step * batchSize, n);
    else
      buffers.gatherRange(data, step * batchSize, n);
    lock.lock();
    busy_ = false;
    if (generation == generation_) {
      ready_ = step;
      next_ = step + 1;
    }
    changed_.notify_all();
  }
}

} // namespace runtime
} // namespace kiln
