//===- UpdateRules.h - Element-wise optimizer update rules ------*- C++ -*-===//
//
// The update rule of every optimizer of abi.h's KilnOptimizer, on one
// parameter tensor, exactly as Keras 3 writes it
// (keras/src/optimizers/<name>.py `update_step`): the same operations in the
// same order, in float32, so that a run can be compared with Keras step by
// step. Gradient clipping and decoupled weight decay, which Keras's base
// optimizer applies before every rule, are here too.
//
// The loops run at the widest vector width the CPU offers (AVX-512, AVX2,
// else the baseline), chosen once at run time. The variants give bitwise
// identical results: every operation is IEEE-exact element by element and
// no multiply-add is contracted (see UpdateKernels.inc).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_UPDATERULES_H
#define KILN_RUNTIME_UPDATERULES_H

#include <cstdint>

namespace kiln {
namespace runtime {

/// Instruction sets the update rules have loops for.
enum class VectorIsa { Baseline, Avx2, Avx512 };

/// "baseline", "avx2" or "avx512".
const char *vectorIsaName(VectorIsa isa);

/// Whether this build has loops for `isa` and the CPU can run them.
bool vectorIsaSupported(VectorIsa isa);

/// The instruction set the update rules use: the widest supported one,
/// unless setVectorIsa() chose another.
VectorIsa activeVectorIsa();

/// Makes the update rules use `isa`, which must be supported (for tests and
/// measurements; not to be called while another thread updates).
void setVectorIsa(VectorIsa isa);

/// Plain SGD: p -= g * lr.
void sgdUpdate(float *param, const float *grad, int64_t count,
               float learningRate);

/// SGD with momentum: m = m * momentum - g * lr, then p += m, or with
/// Nesterov p += m * momentum - g * lr.
void sgdMomentumUpdate(float *param, const float *grad, float *m,
                       int64_t count, float learningRate, float momentum,
                       bool nesterov);

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

/// Adam with AMSGrad: as adamUpdate, but the denominator uses
/// vHat = max(vHat, v), the largest second moment seen so far.
void amsgradUpdate(float *param, const float *grad, float *m, float *v,
                   float *vHat, int64_t count, float stepSize, float beta1,
                   float beta2, float epsilon);

/// RMSprop: v = rho * v + (1 - rho) * g^2; centered also tracks
/// a = rho * a + (1 - rho) * g and uses v - a^2. The increment
/// lr * g / sqrt(denominator + epsilon) is subtracted directly or, with
/// momentum > 0, through mom = momentum * mom + increment. `mom` and
/// `average` may be null when unused.
void rmspropUpdate(float *param, const float *grad, float *velocity,
                   float *mom, float *average, int64_t count,
                   float learningRate, float rho, float momentum,
                   float epsilon);

/// Adagrad: acc += g^2; p -= lr * g / sqrt(acc + epsilon).
void adagradUpdate(float *param, const float *grad, float *accumulator,
                   int64_t count, float learningRate, float epsilon);

/// Adadelta: ag = rho * ag + (1 - rho) * g^2;
/// d = -sqrt(ad + eps) * g / sqrt(ag + eps); ad = rho * ad + (1 - rho) * d^2;
/// p += lr * d.
void adadeltaUpdate(float *param, const float *grad, float *accumulatedGrad,
                    float *accumulatedDelta, int64_t count, float learningRate,
                    float rho, float epsilon);

/// Adamax at step t (1-based): m += (g - m) * (1 - beta1);
/// u = max(beta2 * u, |g|); p -= lr * m / ((1 - beta1^t) * (u + epsilon)).
void adamaxUpdate(float *param, const float *grad, float *m, float *u,
                  int64_t count, float learningRate, float beta1, float beta2,
                  float epsilon, int64_t t);

/// The coefficients of Nadam's step t (1-based), which Keras derives from
/// the running product of its momentum schedule u_i = beta1 * (1 - 0.5 *
/// 0.96^i).
struct NadamCoefficients {
  float uT;           ///< u_t
  float uT1;          ///< u_{t+1}
  float uProduct;     ///< u_1 * ... * u_t
  float uProductNext; ///< u_1 * ... * u_{t+1}
  float beta2Power;   ///< beta2^t
};

/// The running product u_1 * ... * u_t (1 for t = 0), accumulated in float32
/// as Keras's `_u_product` variable is.
float nadamMomentumProduct(float beta1, int64_t t);

/// Coefficients of step t given the product through step t - 1.
NadamCoefficients nadamCoefficients(float beta1, float beta2, int64_t t,
                                    float previousProduct);

/// Nadam: m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2);
/// mHat = uT1 * m / (1 - uProductNext) + (1 - uT) * g / (1 - uProduct);
/// vHat = v / (1 - beta2^t); p -= mHat * lr / (sqrt(vHat) + epsilon).
void nadamUpdate(float *param, const float *grad, float *m, float *v,
                 int64_t count, float learningRate, float beta1, float beta2,
                 float epsilon, const NadamCoefficients &c);

/// Decoupled weight decay as Keras's base optimizer applies it before the
/// update: p = p - p * weightDecay * lr.
void applyWeightDecay(float *param, int64_t count, float weightDecay,
                      float learningRate);

/// Keras's `clipnorm`: g = g * clipNorm / max(||g||, clipNorm).
void clipByNorm(float *grad, int64_t count, float clipNorm);

/// Keras's `clipvalue`: every element clipped to [-clipValue, clipValue].
void clipByValue(float *grad, int64_t count, float clipValue);

/// values[i] = values[i] * factor (global_clipnorm's scaling).
void scaleValues(float *values, int64_t count, float factor);

/// Sum of squares of `count` elements, accumulated in double.
double sumOfSquares(const float *values, int64_t count);

/// The factor of Keras's `global_clipnorm` for gradients of global norm
/// `globalNorm`: clipNorm * min(1 / norm, 1 / clipNorm); NaN when the norm is
/// not finite, so that a diverged step cannot go unnoticed.
float globalClipScale(double globalNorm, float clipNorm);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_UPDATERULES_H
