//===- Optimizer.cpp - Parameter update rules -----------------------------===//

#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Error.h"

#include <cmath>

namespace kiln {
namespace runtime {

void sgdUpdate(float *param, const float *grad, int64_t count,
               float learningRate) {
  for (int64_t i = 0; i < count; ++i)
    param[i] -= learningRate * grad[i];
}

float adamStepSize(float learningRate, float beta1, float beta2, int64_t t) {
  double b1Power = std::pow(double(beta1), double(t));
  double b2Power = std::pow(double(beta2), double(t));
  return static_cast<float>(double(learningRate) * std::sqrt(1.0 - b2Power) /
                            (1.0 - b1Power));
}

void adamUpdate(float *param, const float *grad, float *m, float *v,
                int64_t count, float stepSize, float beta1, float beta2,
                float epsilon) {
  const float oneMinusBeta1 = 1.0f - beta1;
  const float oneMinusBeta2 = 1.0f - beta2;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    m[i] = beta1 * m[i] + oneMinusBeta1 * g;
    v[i] = beta2 * v[i] + oneMinusBeta2 * g * g;
    param[i] -= stepSize * m[i] / (std::sqrt(v[i]) + epsilon);
  }
}

Optimizer::Optimizer(const KilnOptimizerDesc &config,
                     const std::vector<int64_t> &paramElements)
    : config_(config) {
  if (config.kind != KILN_OPTIMIZER_SGD && config.kind != KILN_OPTIMIZER_ADAM)
    fail("unknown optimizer kind %d", config.kind);
  slots_.resize(slotsPerParam());
  for (TensorList &slot : slots_)
    for (int64_t count : paramElements)
      slot.emplace_back(static_cast<size_t>(count), 0.0f);
}

int32_t Optimizer::slotsPerParam() const {
  return config_.kind == KILN_OPTIMIZER_ADAM ? 2 : 0;
}

std::vector<float> &Optimizer::slotData(int32_t slot, int32_t param) {
  return slots_[slot][param];
}

const std::vector<float> &Optimizer::slotData(int32_t slot,
                                              int32_t param) const {
  return slots_[slot][param];
}

void Optimizer::step(TensorList &params, const TensorList &grads) {
  ++iterations_;
  if (config_.kind == KILN_OPTIMIZER_SGD) {
    for (size_t i = 0; i < params.size(); ++i)
      sgdUpdate(params[i].data(), grads[i].data(),
                static_cast<int64_t>(params[i].size()), config_.learning_rate);
    return;
  }
  const float stepSize = adamStepSize(config_.learning_rate, config_.beta_1,
                                      config_.beta_2, iterations_);
  for (size_t i = 0; i < params.size(); ++i)
    adamUpdate(params[i].data(), grads[i].data(), slots_[0][i].data(),
               slots_[1][i].data(), static_cast<int64_t>(params[i].size()),
               stepSize, config_.beta_1, config_.beta_2, config_.epsilon);
}

} // namespace runtime
} // namespace kiln
