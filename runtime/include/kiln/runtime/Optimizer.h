//===- Optimizer.h - Parameter update rules ---------------------*- C++ -*-===//
//
// The optimizers of KilnOptimizerDesc, applied by the runtime after each
// train_step to the gradients the generated code returns. The update rules
// follow Keras exactly (see each function) so that runs can be compared with
// a Keras or PyTorch reference step by step.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_OPTIMIZER_H
#define KILN_RUNTIME_OPTIMIZER_H

#include "kiln/runtime/abi.h"

#include <cstdint>
#include <vector>

namespace kiln {
namespace runtime {

/// One float buffer per parameter, in descriptor order.
using TensorList = std::vector<std::vector<float>>;

/// Plain SGD: p -= lr * g.
void sgdUpdate(float *param, const float *grad, int64_t count,
               float learningRate);

/// The bias-corrected step size of Adam at step t (1-based):
/// lr * sqrt(1 - beta2^t) / (1 - beta1^t), computed in double.
float adamStepSize(float learningRate, float beta1, float beta2, int64_t t);

/// One Adam step as Keras applies it, with `stepSize` from adamStepSize():
///   m = beta1 * m + (1 - beta1) * g
///   v = beta2 * v + (1 - beta2) * g * g
///   p -= stepSize * m / (sqrt(v) + epsilon)
void adamUpdate(float *param, const float *grad, float *m, float *v,
                int64_t count, float stepSize, float beta1, float beta2,
                float epsilon);

/// An optimizer with its state for one model's parameters.
class Optimizer {
public:
  /// Creates zeroed state for parameters of the given element counts.
  Optimizer(const KilnOptimizerDesc &config,
            const std::vector<int64_t> &paramElements);

  /// Applies one update to every parameter and advances iterations().
  void step(TensorList &params, const TensorList &grads);

  int32_t kind() const { return config_.kind; }
  const KilnOptimizerDesc &config() const { return config_; }

  /// Number of updates applied so far (Keras's `optimizer.iterations`).
  int64_t iterations() const { return iterations_; }
  void setIterations(int64_t iterations) { iterations_ = iterations; }

  /// State tensors per parameter: 0 for SGD, 2 for Adam (m, then v).
  int32_t slotsPerParam() const;
  /// Slot `slot` of parameter `param`.
  std::vector<float> &slotData(int32_t slot, int32_t param);
  const std::vector<float> &slotData(int32_t slot, int32_t param) const;

private:
  KilnOptimizerDesc config_;
  int64_t iterations_ = 0;
  /// slots_[slot][param].
  std::vector<TensorList> slots_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_OPTIMIZER_H
