//===- WorkerPool.h - A fixed set of threads for the step -------*- C++ -*-===//
//
// The threads of `--threads N`: the training loop hands them each step's
// shards (ShardedStep), the combination of the shards' gradients and the
// optimizer update. Element-wise work is split by forEachElementRange into
// ranges that depend only on the tensors' sizes and the thread count, and
// each element is computed the same way whichever thread owns it, so the
// result is bitwise that of one thread.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_WORKERPOOL_H
#define KILN_RUNTIME_WORKERPOOL_H

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln {
namespace runtime {

/// A fixed set of threads that run one function on every thread index.
class WorkerPool {
public:
  /// Starts `threads - 1` workers; the caller of run() is thread 0.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs `task(t)` for t in [0, threads()) and returns when all are done.
  /// `task` must not throw.
  void run(const std::function<void(int)> &task);

  /// Calls `piece(tensor, begin, end)` for every element range [begin, end)
  /// of every tensor, where tensor i has `sizes[i]` elements, spreading the
  /// ranges over the threads (see forEachOwnedRange). For element-wise work.
  void forEachElementRange(
      const std::vector<int64_t> &sizes,
      const std::function<void(size_t, int64_t, int64_t)> &piece);

  /// Below this many elements in all, forEachElementRange stays on the
  /// calling thread: waking the others would cost more than it saves.
  static constexpr int64_t kMinParallelElements = 16384;

private:
  void workerLoop(int index);

  std::vector<std::thread> workers_;
  // A step takes tens of microseconds, about what waking a sleeping thread
  // costs, so both sides spin briefly before blocking.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<const std::function<void(int)> *> task_{nullptr};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stopping_{false};
};

/// The CPUs this process may use, at least 1: those of its affinity mask,
/// and no more than a CPU quota of its cgroup allows (a container limited
/// to 2 CPUs on a 64-core host sees all 64 in its mask).
int availableCores();

/// The CPUs a cgroup v2 `cpu.max` line ("QUOTA PERIOD", or "max PERIOD"
/// for none) allows, rounded up; 0 when it sets no limit or cannot be read.
int cpusOfCpuMax(const std::string &line);

/// Rows a shard keeps at least when the thread count is the default.
constexpr int64_t kMinRowsPerDefaultShard = 8;

/// FLOPs a step must hold per parameter for each thread the default gives
/// it. Every thread beyond the first costs a pass over the gradients (the
/// shards' are combined) and moves half of them and of the parameters
/// between cores; on the 2-core machine that outweighed the split below
/// about this much work: the seed MLP (101 770 parameters, 0.41 MFLOP per
/// sample) lost at batch 32 (129 FLOPs per parameter: 0.8-0.9x) and was
/// about even at batch 128 (516: 0.87-1.2x in different runs); the
/// LeNet-style CNN and the LSTM (over 2 000) gain 1.75-1.9x.
constexpr double kMinFlopsPerParameterPerThread = 256;

/// `--threads` left out: every available core, but no more shards than
/// give each kMinRowsPerDefaultShard rows of a batch of `batchSize` and,
/// when the step's work is known (`flopsPerSample` > 0, for training),
/// no more than its FLOPs over kMinFlopsPerParameterPerThread x
/// `parameters` allow.
int defaultThreadCount(int cores, int64_t batchSize, int64_t flopsPerSample = 0,
                       int64_t parameters = 0);

/// The element ranges that part `part` of `parts` owns when tensors of
/// `sizes` elements, laid end to end, are cut into `parts` contiguous
/// stretches of nearly equal length, each cut on a multiple of 16 elements
/// (a 64-byte cache line of floats, so that threads share no line of an
/// aligned tensor). Calls `piece(tensor, begin, end)` for each, in order;
/// empty ranges are skipped.
template <typename Piece>
void forEachOwnedRange(const std::vector<int64_t> &sizes, int part, int parts,
                       Piece &&piece) {
  int64_t total = 0;
  for (int64_t size : sizes)
    total += size;
  auto cut = [&](int k) {
    return k >= parts ? total : (total * k / parts) / 16 * 16;
  };
  const int64_t first = cut(part), last = cut(part + 1);
  int64_t offset = 0;
  for (size_t i = 0; i < sizes.size() && offset < last; ++i) {
    const int64_t begin = std::max<int64_t>(first - offset, 0);
    const int64_t end = std::min<int64_t>(last - offset, sizes[i]);
    if (begin < end)
      piece(i, begin, end);
    offset += sizes[i];
  }
}

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_WORKERPOOL_H
