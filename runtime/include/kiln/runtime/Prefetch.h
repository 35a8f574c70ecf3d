//===- Prefetch.h - Gathering the next batch while one trains ---*- C++ -*-===//
//
// Gathering a batch (copying the shuffled samples into one contiguous
// buffer and converting bytes to floats) does not depend on the step before
// it, so a background thread does it one batch ahead, into the second of two
// alternating BatchBuffers, while the compiled step runs on the first. The
// batches are gathered exactly as the loop would gather them itself (same
// samples, same order, same conversion), so results do not change.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PREFETCH_H
#define KILN_RUNTIME_PREFETCH_H

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Data.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace kiln {
namespace runtime {

class ModelInfo;

/// Double-buffered batch gathering on one background thread. Batch `step`
/// goes into buffer `step % 2`: buffer 0 is the caller's `primary`, buffer
/// 1 a twin of it (same capacity and normalization).
class BatchPrefetcher {
public:
  BatchPrefetcher(const ModelInfo &model, BatchBuffers &primary);
  /// Stops the current job and joins the thread.
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher &) = delete;
  BatchPrefetcher &operator=(const BatchPrefetcher &) = delete;

  /// Starts gathering batches firstStep .. steps-1 of `data` in batches of
  /// `batchSize`: batch s holds samples order[s * batchSize ...], or the
  /// consecutive samples from s * batchSize when `order` is null. `order`
  /// and `data` must stay valid until stop(). Stops a previous job first.
  void start(const DataView &data, const int64_t *order, int64_t batchSize,
             int64_t firstStep, int64_t steps);

  /// Waits until batch `step` (the next one not yet acquired) is gathered
  /// and returns its buffers, valid until release(step).
  BatchBuffers &acquire(int64_t step);

  /// The caller is done with batch `step`: its buffers may take step + 2.
  void release(int64_t step);

  /// Ends the job; returns once the thread no longer touches any buffer.
  void stop();

private:
  void threadLoop();

  BatchBuffers &primary_;
  BatchBuffers twin_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;

  // The job, guarded by mutex_.
  bool active_ = false;
  bool exiting_ = false;
  /// Incremented by every start() and stop(), so that a batch gathered for
  /// an ended job is never published.
  uint64_t generation_ = 0;
  DataView data_;
  const int64_t *order_ = nullptr;
  int64_t batchSize_ = 0;
  int64_t steps_ = 0;
  /// The next batch the thread gathers.
  int64_t next_ = 0;
  /// Batches up to this one are gathered and not yet overwritten.
  int64_t ready_ = -1;
  /// Batches up to this one were released by the caller.
  int64_t released_ = -1;
  /// The thread is gathering outside the lock.
  bool busy_ = false;
};

/// Runs a BatchPrefetcher job for the lifetime of a scope, stopping it on
/// every exit, exceptions included.
class PrefetchJob {
public:
  PrefetchJob(BatchPrefetcher &prefetcher, const DataView &data,
              const int64_t *order, int64_t batchSize, int64_t firstStep,
              int64_t steps)
      : prefetcher_(prefetcher) {
    prefetcher_.start(data, order, batchSize, firstStep, steps);
  }
  ~PrefetchJob() { prefetcher_.stop(); }
  PrefetchJob(const PrefetchJob &) = delete;
  PrefetchJob &operator=(const PrefetchJob &) = delete;

private:
  BatchPrefetcher &prefetcher_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_PREFETCH_H
