//===- Optimizer.h - Parameter updates with optimizer state -----*- C++ -*-===//
//
// The optimizers of KilnOptimizerDesc, applied by the runtime after each
// train_step to the gradients the generated code returns. One step does what
// Keras 3's BaseOptimizer.apply does: evaluate the learning rate (schedule)
// at the current iteration, clip the gradients (clipnorm, else
// global_clipnorm, else clipvalue), apply decoupled weight decay, apply the
// optimizer's update rule (UpdateRules.h), count the iteration.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_OPTIMIZER_H
#define KILN_RUNTIME_OPTIMIZER_H

#include "kiln/runtime/UpdateRules.h"
#include "kiln/runtime/abi.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class WorkerPool;

/// One float buffer per parameter, in descriptor order.
using TensorList = std::vector<std::vector<float>>;

/// The lower-case Keras name of an optimizer kind ("adam", "rmsprop", ...).
const char *optimizerName(int32_t kind);

/// The kind named `name` (case-insensitive Keras class name), if any.
std::optional<int32_t> optimizerKindFromName(const std::string &name);

/// "sgd, adam, adamw, ..." for error messages.
std::string optimizerNamesText();

/// Keras 3's constructor defaults of optimizer `kind`, constant rate.
KilnOptimizerDesc defaultOptimizerConfig(int32_t kind);

/// Checks every hyperparameter of `config` (ranges, at most one of clipnorm
/// and global_clipnorm, the schedule); throws an Error naming the problem.
void checkOptimizerConfig(const KilnOptimizerDesc &config);

/// An optimizer with its state for one model's parameters.
class Optimizer {
public:
  /// Creates the state for parameters of the given element counts (zeros,
  /// Adagrad's accumulators initial_accumulator_value).
  /// `frozen[i]` (if given) marks parameter i as frozen: step() leaves it
  /// and its state untouched.
  Optimizer(const KilnOptimizerDesc &config,
            const std::vector<int64_t> &paramElements,
            std::vector<bool> frozen = {});

  /// Applies one update to every parameter that is not frozen and
  /// advances iterations(). `grads` are clipped in place. With a `pool`,
  /// the element-wise part (weight decay and the rule) is spread over its
  /// threads, with bitwise the same result.
  void step(TensorList &params, TensorList &grads, WorkerPool *pool = nullptr);

  /// The same step taken a range at a time, so that it can follow another
  /// pass over the gradients while they are in cache (the combination of
  /// the shards' gradients, ShardedStep): beginStep(), then updateRange()
  /// exactly once on every element range of every parameter (from any
  /// threads, each range on one), then endStep(). Bitwise what step()
  /// does. Only when updatesByRange(): clipping by a norm needs whole
  /// gradients.
  bool updatesByRange() const {
    return config_.clipnorm == 0 && config_.global_clipnorm == 0;
  }
  void beginStep();
  void updateRange(TensorList &params, TensorList &grads, size_t param,
                   int64_t begin, int64_t end);
  void endStep();

  int32_t kind() const { return config_.kind; }
  const KilnOptimizerDesc &config() const { return config_; }

  /// The learning rate the next step uses: the schedule's value at
  /// iterations(), or the constant rate.
  float learningRate() const;
  /// Replaces the constant rate (ReduceLROnPlateau); only without a schedule.
  void setLearningRate(float rate) { config_.learning_rate = rate; }

  /// Number of updates applied so far (Keras's `optimizer.iterations`).
  int64_t iterations() const { return iterations_; }
  void setIterations(int64_t iterations);

  /// State tensors per parameter, in this order:
  ///   SGD: momentum (only with momentum != 0);
  ///   Adam, AdamW: m, v, and vHat with amsgrad;
  ///   RMSprop: velocity, momentum (momentum > 0), average gradient
  ///   (centered); Adagrad: accumulator; Adadelta: accumulated gradient,
  ///   accumulated delta; Adamax: m, u; Nadam: m, v.
  int32_t slotsPerParam() const { return static_cast<int32_t>(slots_.size()); }
  /// Slot `slot` of parameter `param`.
  std::vector<float> &slotData(int32_t slot, int32_t param) {
    return slots_[slot][param];
  }
  const std::vector<float> &slotData(int32_t slot, int32_t param) const {
    return slots_[slot][param];
  }

private:
  /// Whether parameter i is frozen (empty: none is).
  bool isFrozen(size_t i) const { return i < frozen_.size() && frozen_[i]; }
  /// clipnorm or global_clipnorm, in place (clipvalue is updateRange's).
  void clipByNorms(TensorList &grads) const;
  /// The rule on elements [begin, begin + count) of parameter `index`.
  void update(float *param, const float *grad, size_t index, int64_t begin,
              int64_t count, float learningRate,
              const NadamCoefficients &nadam);
  float *slot(int32_t slot, size_t param) { return slots_[slot][param].data(); }

  KilnOptimizerDesc config_;
  std::vector<bool> frozen_;
  int64_t iterations_ = 0;
  /// Nadam's running momentum product through iterations_.
  float nadamProduct_ = 1.0f;
  /// The current step's learning rate and Nadam coefficients (beginStep).
  float stepRate_ = 0.0f;
  NadamCoefficients stepNadam_ = {};
  /// slots_[slot][param].
  std::vector<TensorList> slots_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_OPTIMIZER_H
