//===- UpdateRules.cpp - Element-wise optimizer update rules --------------===//
//
// Every expression keeps Keras's association order; the runtime is built
// with -ffp-contract=off, so no multiply-add is fused behind our back.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/UpdateRules.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

void sgdUpdate(float *param, const float *grad, int64_t count,
               float learningRate) {
  for (int64_t i = 0; i < count; ++i)
    param[i] -= learningRate * grad[i];
}

void sgdMomentumUpdate(float *param, const float *grad, float *m,
                       int64_t count, float learningRate, float momentum,
                       bool nesterov) {
  for (int64_t i = 0; i < count; ++i) {
    m[i] = m[i] * momentum - grad[i] * learningRate;
    if (nesterov)
      param[i] += m[i] * momentum - grad[i] * learningRate;
    else
      param[i] += m[i];
  }
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

void amsgradUpdate(float *param, const float *grad, float *m, float *v,
                   float *vHat, int64_t count, float stepSize, float beta1,
                   float beta2, float epsilon) {
  const float oneMinusBeta1 = 1.0f - beta1;
  const float oneMinusBeta2 = 1.0f - beta2;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    m[i] = beta1 * m[i] + oneMinusBeta1 * g;
    v[i] = beta2 * v[i] + oneMinusBeta2 * g * g;
    vHat[i] = std::max(vHat[i], v[i]);
    param[i] -= stepSize * m[i] / (std::sqrt(vHat[i]) + epsilon);
  }
}

void rmspropUpdate(float *param, const float *grad, float *velocity,
                   float *mom, float *average, int64_t count,
                   float learningRate, float rho, float momentum,
                   float epsilon) {
  const float oneMinusRho = 1.0f - rho;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    velocity[i] = rho * velocity[i] + oneMinusRho * (g * g);
    float denominator;
    if (average) {
      average[i] = rho * average[i] + oneMinusRho * g;
      denominator = velocity[i] - average[i] * average[i] + epsilon;
    } else {
      denominator = velocity[i] + epsilon;
    }
    const float increment = learningRate * g / std::sqrt(denominator);
    if (mom) {
      mom[i] = momentum * mom[i] + increment;
      param[i] -= mom[i];
    } else {
      param[i] -= increment;
    }
  }
}

void adagradUpdate(float *param, const float *grad, float *accumulator,
                   int64_t count, float learningRate, float epsilon) {
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    accumulator[i] += g * g;
    param[i] -= learningRate * g / std::sqrt(accumulator[i] + epsilon);
  }
}

void adadeltaUpdate(float *param, const float *grad, float *accumulatedGrad,
                    float *accumulatedDelta, int64_t count, float learningRate,
                    float rho, float epsilon) {
  const float oneMinusRho = 1.0f - rho;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    accumulatedGrad[i] = rho * accumulatedGrad[i] + oneMinusRho * (g * g);
    const float delta = -(std::sqrt(accumulatedDelta[i] + epsilon) * g /
                          std::sqrt(accumulatedGrad[i] + epsilon));
    accumulatedDelta[i] =
        rho * accumulatedDelta[i] + oneMinusRho * (delta * delta);
    param[i] += learningRate * delta;
  }
}

void adamaxUpdate(float *param, const float *grad, float *m, float *u,
                  int64_t count, float learningRate, float beta1, float beta2,
                  float epsilon, int64_t t) {
  const float oneMinusBeta1 = 1.0f - beta1;
  const float correction = 1.0f - std::pow(beta1, float(t));
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    m[i] += (g - m[i]) * oneMinusBeta1;
    u[i] = std::max(beta2 * u[i], std::fabs(g));
    param[i] -= learningRate * m[i] / (correction * (u[i] + epsilon));
  }
}

/// Keras's momentum schedule of Nadam: u_t = beta1 * (1 - 0.5 * 0.96^t).
static float nadamMomentum(float beta1, int64_t t) {
  return beta1 * (1.0f - 0.5f * std::pow(0.96f, float(t)));
}

float nadamMomentumProduct(float beta1, int64_t t) {
  float product = 1.0f;
  for (int64_t i = 1; i <= t; ++i)
    product = product * nadamMomentum(beta1, i);
  return product;
}

NadamCoefficients nadamCoefficients(float beta1, float beta2, int64_t t,
                                    float previousProduct) {
  NadamCoefficients c;
  c.uT = nadamMomentum(beta1, t);
  c.uT1 = nadamMomentum(beta1, t + 1);
  c.uProduct = previousProduct * c.uT;
  c.uProductNext = c.uProduct * c.uT1;
  c.beta2Power = std::pow(beta2, float(t));
  return c;
}

void nadamUpdate(float *param, const float *grad, float *m, float *v,
                 int64_t count, float learningRate, float beta1, float beta2,
                 float epsilon, const NadamCoefficients &c) {
  const float oneMinusBeta1 = 1.0f - beta1;
  const float oneMinusBeta2 = 1.0f - beta2;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    m[i] += (g - m[i]) * oneMinusBeta1;
    v[i] += (g * g - v[i]) * oneMinusBeta2;
    const float mHat = c.uT1 * m[i] / (1.0f - c.uProductNext) +
                       (1.0f - c.uT) * g / (1.0f - c.uProduct);
    const float vHat = v[i] / (1.0f - c.beta2Power);
    param[i] -= mHat * learningRate / (std::sqrt(vHat) + epsilon);
  }
}

void applyWeightDecay(float *param, int64_t count, float weightDecay,
                      float learningRate) {
  for (int64_t i = 0; i < count; ++i)
    param[i] = param[i] - param[i] * weightDecay * learningRate;
}

double sumOfSquares(const float *values, int64_t count) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    sum += double(values[i]) * double(values[i]);
  return sum;
}

void clipByNorm(float *grad, int64_t count, float clipNorm) {
  const float norm = static_cast<float>(std::sqrt(sumOfSquares(grad, count)));
  const float divisor = std::max(norm, clipNorm);
  for (int64_t i = 0; i < count; ++i)
    grad[i] = grad[i] * clipNorm / divisor;
}

void clipByValue(float *grad, int64_t count, float clipValue) {
  for (int64_t i = 0; i < count; ++i)
    grad[i] = std::min(std::max(grad[i], -clipValue), clipValue);
}

float globalClipScale(double globalNorm, float clipNorm) {
  const float norm = static_cast<float>(globalNorm);
  if (!std::isfinite(norm))
    return NAN;
  return clipNorm * std::min(1.0f / norm, 1.0f / clipNorm);
}

} // namespace runtime
} // namespace kiln
