//===- UpdateRules.cpp - Element-wise optimizer update rules --------------===//
//
// Every expression keeps Keras's association order; the runtime is built
// with -ffp-contract=off, so no multiply-add is fused behind our back. The
// scalar parts of each rule (step sizes, bias corrections) are computed
// here; the loops over the elements come from the UpdateKernels table of
// the active instruction set.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/UpdateRules.h"
#include "UpdateKernels.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

namespace {

/// The widest instruction set this build and the CPU share.
VectorIsa detectVectorIsa() {
  if (vectorIsaSupported(VectorIsa::Avx512))
    return VectorIsa::Avx512;
  if (vectorIsaSupported(VectorIsa::Avx2))
    return VectorIsa::Avx2;
  return VectorIsa::Baseline;
}

struct ActiveKernels {
  VectorIsa isa;
  const UpdateKernels *kernels;
};

ActiveKernels &active() {
  static ActiveKernels current = [] {
    VectorIsa isa = detectVectorIsa();
    return ActiveKernels{isa, updateKernelsFor(isa)};
  }();
  return current;
}

const UpdateKernels &kernels() { return *active().kernels; }

} // namespace

const char *vectorIsaName(VectorIsa isa) {
  switch (isa) {
  case VectorIsa::Baseline:
    return "baseline";
  case VectorIsa::Avx2:
    return "avx2";
  case VectorIsa::Avx512:
    return "avx512";
  }
  return "unknown";
}

bool vectorIsaSupported(VectorIsa isa) {
  if (!updateKernelsFor(isa))
    return false;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  __builtin_cpu_init();
  if (isa == VectorIsa::Avx2)
    return __builtin_cpu_supports("avx2");
  if (isa == VectorIsa::Avx512)
    return __builtin_cpu_supports("avx512f");
#endif
  return isa == VectorIsa::Baseline;
}

VectorIsa activeVectorIsa() { return active().isa; }

void setVectorIsa(VectorIsa isa) {
  if (vectorIsaSupported(isa))
    active() = {isa, updateKernelsFor(isa)};
}

void sgdUpdate(float *param, const float *grad, int64_t count,
               float learningRate) {
  kernels().sgd(param, grad, count, learningRate);
}

void sgdMomentumUpdate(float *param, const float *grad, float *m, int64_t count,
                       float learningRate, float momentum, bool nesterov) {
  kernels().sgdMomentum(param, grad, m, count, learningRate, momentum,
                        nesterov);
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
  kernels().adam(param, grad, m, v, count, stepSize, beta1, beta2, epsilon);
}

void amsgradUpdate(float *param, const float *grad, float *m, float *v,
                   float *vHat, int64_t count, float stepSize, float beta1,
                   float beta2, float epsilon) {
  kernels().amsgrad(param, grad, m, v, vHat, count, stepSize, beta1, beta2,
                    epsilon);
}

void rmspropUpdate(float *param, const float *grad, float *velocity, float *mom,
                   float *average, int64_t count, float learningRate, float rho,
                   float momentum, float epsilon) {
  kernels().rmsprop(param, grad, velocity, mom, average, count, learningRate,
                    rho, momentum, epsilon);
}

void adagradUpdate(float *param, const float *grad, float *accumulator,
                   int64_t count, float learningRate, float epsilon) {
  kernels().adagrad(param, grad, accumulator, count, learningRate, epsilon);
}

void adadeltaUpdate(float *param, const float *grad, float *accumulatedGrad,
                    float *accumulatedDelta, int64_t count, float learningRate,
                    float rho, float epsilon) {
  kernels().adadelta(param, grad, accumulatedGrad, accumulatedDelta, count,
                     learningRate, rho, epsilon);
}

void adamaxUpdate(float *param, const float *grad, float *m, float *u,
                  int64_t count, float learningRate, float beta1, float beta2,
                  float epsilon, int64_t t) {
  const float correction = 1.0f - std::pow(beta1, float(t));
  kernels().adamax(param, grad, m, u, count, learningRate, beta1, beta2,
                   epsilon, correction);
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
  kernels().nadam(param, grad, m, v, count, learningRate, beta1, beta2, epsilon,
                  c);
}

void applyWeightDecay(float *param, int64_t count, float weightDecay,
                      float learningRate) {
  kernels().weightDecay(param, count, weightDecay, learningRate);
}

double sumOfSquares(const float *values, int64_t count) {
  // Sequential on purpose: a vectorized sum would add in another order.
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    sum += double(values[i]) * double(values[i]);
  return sum;
}

void clipByNorm(float *grad, int64_t count, float clipNorm) {
  const float norm = static_cast<float>(std::sqrt(sumOfSquares(grad, count)));
  const float divisor = std::max(norm, clipNorm);
  kernels().scaleByRatio(grad, count, clipNorm, divisor);
}

void clipByValue(float *grad, int64_t count, float clipValue) {
  kernels().clipValue(grad, count, clipValue);
}

void scaleValues(float *values, int64_t count, float factor) {
  kernels().scale(values, count, factor);
}

float globalClipScale(double globalNorm, float clipNorm) {
  const float norm = static_cast<float>(globalNorm);
  if (!std::isfinite(norm))
    return NAN;
  return clipNorm * std::min(1.0f / norm, 1.0f / clipNorm);
}

} // namespace runtime
} // namespace kiln
