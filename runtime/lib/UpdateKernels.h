//===- UpdateKernels.h - Update-rule loops for each vector ISA --*- C++ -*-===//
//
// Private to the runtime: the element-wise loops behind UpdateRules.h, one
// table of them per instruction set (UpdateKernels.cpp compiles the same
// loops for each). UpdateRules.cpp picks the widest table the CPU supports.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_LIB_UPDATEKERNELS_H
#define KILN_RUNTIME_LIB_UPDATEKERNELS_H

#include "kiln/runtime/UpdateRules.h"

#include <cstdint>

namespace kiln {
namespace runtime {

/// The loops of one instruction set; see UpdateRules.h for each rule.
struct UpdateKernels {
  void (*sgd)(float *param, const float *grad, int64_t count, float lr);
  void (*sgdMomentum)(float *param, const float *grad, float *m, int64_t count,
                      float lr, float momentum, bool nesterov);
  void (*adam)(float *param, const float *grad, float *m, float *v,
               int64_t count, float stepSize, float beta1, float beta2,
               float epsilon);
  void (*amsgrad)(float *param, const float *grad, float *m, float *v,
                  float *vHat, int64_t count, float stepSize, float beta1,
                  float beta2, float epsilon);
  void (*rmsprop)(float *param, const float *grad, float *velocity, float *mom,
                  float *average, int64_t count, float lr, float rho,
                  float momentum, float epsilon);
  void (*adagrad)(float *param, const float *grad, float *accumulator,
                  int64_t count, float lr, float epsilon);
  void (*adadelta)(float *param, const float *grad, float *accumulatedGrad,
                   float *accumulatedDelta, int64_t count, float lr, float rho,
                   float epsilon);
  /// `correction` is 1 - beta1^t.
  void (*adamax)(float *param, const float *grad, float *m, float *u,
                 int64_t count, float lr, float beta1, float beta2,
                 float epsilon, float correction);
  void (*nadam)(float *param, const float *grad, float *m, float *v,
                int64_t count, float lr, float beta1, float beta2,
                float epsilon, const NadamCoefficients &c);
  void (*weightDecay)(float *param, int64_t count, float weightDecay, float lr);
  /// values[i] = values[i] * numerator / denominator.
  void (*scaleByRatio)(float *values, int64_t count, float numerator,
                       float denominator);
  /// values[i] = values[i] * factor.
  void (*scale)(float *values, int64_t count, float factor);
  /// values[i] clipped to [-limit, limit].
  void (*clipValue)(float *values, int64_t count, float limit);
};

/// The table of `isa`; null when this build has none for it.
const UpdateKernels *updateKernelsFor(VectorIsa isa);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_LIB_UPDATEKERNELS_H
