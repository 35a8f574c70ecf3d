//===- ShardedStep.h - One step of a batch on several threads ---*- C++ -*-===//
//
// `--threads N` runs each training or evaluation step as N shards of the
// batch: contiguous row ranges, each through the compiled entry point on a
// thread of its own, writing its own loss, metrics, gradients and state
// updates (BatchNormalization's moving averages). Every output is a mean
// over the rows, so the batch's value is the shards' values weighted by
// their share of the rows, summed in shard order. The split and
// the order depend only on the batch size and N: the same thread count gives
// bitwise identical results, and one thread is exactly the unsharded call.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SHARDEDSTEP_H
#define KILN_RUNTIME_SHARDEDSTEP_H

#include "kiln/runtime/WorkerPool.h"
#include "kiln/runtime/abi.h"

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace kiln {
namespace runtime {

/// Where the entry point's buffers are, and which ones a shard changes.
struct StepLayout {
  /// The entry point's buffer array for the whole batch, in ABI order.
  std::vector<void *> buffers;
  /// Inputs with one row per sample: index into `buffers`, bytes per row.
  std::vector<std::pair<int32_t, int64_t>> rowInputs;
  /// Outputs that are means over the rows: index into `buffers`, float
  /// element count.
  std::vector<std::pair<int32_t, int64_t>> meanOutputs;
  /// Indices of the random-number inputs (each uint64_t {seed, counter}).
  /// Each shard after the first gets its own seeds, so that shards do not
  /// repeat each other's random numbers.
  std::vector<int32_t> rngInputs;
};

/// Runs an entry point over a batch split into shards (see file comment).
class ShardedStep {
public:
  /// `layout.buffers` may be rebound between calls but must keep its shape.
  ShardedStep(WorkerPool &pool, StepLayout layout);

  /// Called with (mean output, begin, end) once the output's elements
  /// [begin, end) hold the batch's values, on the thread that combined them.
  using CombinedRange = std::function<void(size_t, int64_t, int64_t)>;

  /// Runs `entry` on `n` rows. With one thread, or a batch of one row, the
  /// entry point is called once on the whole batch. `combined`, if given,
  /// sees every element range of every mean output once, right after its
  /// combination (the optimizer update fuses with it this way).
  void run(KilnEntryPoint entry, int64_t n,
           const CombinedRange *combined = nullptr);

  /// Points input buffer `index` (not a mean output) at `buffer`, e.g. the
  /// other half of a double-buffered batch; shards follow on the next run.
  void rebind(int32_t index, void *buffer) { layout_.buffers[index] = buffer; }
  /// Points every buffer anew: `buffers` in the layout's order and number.
  void rebindAll(const std::vector<void *> &buffers) {
    layout_.buffers = buffers;
  }

  /// Row range [begin, end) of shard `t` of `shards` for `n` rows: sizes
  /// differ by at most one, the larger ones first.
  static void shardRows(int64_t n, int shards, int t, int64_t &begin,
                        int64_t &end);

  /// Shard t draws its random numbers from seed + t * kShardSeedStride
  /// (golden-ratio increments); ranks continue the sequence (Trainer).
  static constexpr uint64_t kShardSeedStride = 0x9e3779b97f4a7c15ULL;

private:
  WorkerPool &pool_;
  StepLayout layout_;
  /// Per shard t >= 1: its buffer array, its private outputs and rng input.
  std::vector<std::vector<void *>> shardBuffers_;
  std::vector<std::vector<std::vector<float>>> shardOutputs_;
  /// shardRng_[t][k]: shard t's state of random-number input k.
  std::vector<std::vector<std::array<uint64_t, 2>>> shardRng_;
  /// Which buffers are mean outputs (never rebound to the caller's).
  std::vector<bool> isOutput_;
  /// Element counts of layout_.meanOutputs, in order.
  std::vector<int64_t> meanSizes_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_SHARDEDSTEP_H
