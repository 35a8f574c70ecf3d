//===- WorkerPool.cpp - A fixed set of threads for the step ---------------===//

#include "kiln/runtime/WorkerPool.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <sched.h>

namespace kiln {
namespace runtime {

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

void WorkerPool::forEachElementRange(
    const std::vector<int64_t> &sizes,
    const std::function<void(size_t, int64_t, int64_t)> &piece) {
  int64_t total = 0;
  for (int64_t size : sizes)
    total += size;
  const int parts = total < kMinParallelElements ? 1 : threads();
  if (parts == 1) {
    forEachOwnedRange(sizes, 0, 1, piece);
    return;
  }
  run([&](int t) { forEachOwnedRange(sizes, t, parts, piece); });
}

int cpusOfCpuMax(const std::string &line) {
  long long quota = 0, period = 0;
  if (std::sscanf(line.c_str(), "%lld %lld", &quota, &period) != 2 ||
      quota <= 0 || period <= 0)
    return 0; // "max ..." does not parse as a number: no limit.
  return static_cast<int>((quota + period - 1) / period);
}

namespace {

/// The first line of `path`, or "" when it cannot be read.
std::string firstLine(const char *path) {
  std::string line;
  if (FILE *file = std::fopen(path, "r")) {
    char buffer[128];
    if (std::fgets(buffer, sizeof buffer, file))
      line = buffer;
    std::fclose(file);
  }
  return line;
}

/// The CPU quota of the cgroup mounted at /sys/fs/cgroup (v2, else v1), or
/// 0 for none. In a container that is the container's own cgroup.
int cgroupCpuLimit() {
  if (int cpus = cpusOfCpuMax(firstLine("/sys/fs/cgroup/cpu.max")))
    return cpus;
  std::string quota = firstLine("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  std::string period = firstLine("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  return cpusOfCpuMax(quota + " " + period);
}

} // namespace

int availableCores() {
  int cores = 0;
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0)
    cores = CPU_COUNT(&mask);
  if (cores <= 0)
    cores = static_cast<int>(std::thread::hardware_concurrency());
  if (int limit = cgroupCpuLimit())
    cores = std::min(cores, limit);
  return std::max(1, cores);
}

int defaultThreadCount(int cores, int64_t batchSize, int64_t flopsPerSample,
                       int64_t parameters) {
  int64_t threads =
      std::min<int64_t>(cores, batchSize / kMinRowsPerDefaultShard);
  if (flopsPerSample > 0 && parameters > 0) {
    const double byWork =
        static_cast<double>(flopsPerSample) * static_cast<double>(batchSize) /
        (kMinFlopsPerParameterPerThread * static_cast<double>(parameters));
    threads = std::min(threads, static_cast<int64_t>(byWork));
  }
  return static_cast<int>(std::max<int64_t>(1, threads));
}

} // namespace runtime
} // namespace kiln
