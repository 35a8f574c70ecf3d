//===- Schedule.h - Learning-rate schedules ---------------------*- C++ -*-===//
//
// The learning-rate schedules of abi.h's KilnLrSchedule, computed in float32
// as keras/src/optimizers/schedules/learning_rate_schedule.py does. Like
// Keras, the optimizer evaluates its schedule at its iteration count (the
// number of updates already applied) before each update.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SCHEDULE_H
#define KILN_RUNTIME_SCHEDULE_H

#include "kiln/runtime/abi.h"

#include <cstdint>

namespace kiln {
namespace runtime {

/// The learning rate of `config` at iteration `step` (>= 0):
///  - constant: learning_rate;
///  - ExponentialDecay: lr * decay_rate ^ (step / decay_steps), the exponent
///    floored with staircase;
///  - PiecewiseConstantDecay: values[i] for the first i with
///    step <= boundaries[i], values[num_boundaries] past the last boundary;
///  - CosineDecay: without warm-up, lr * ((1 - alpha) * c + alpha) with
///    c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)); with
///    warm-up, a linear ramp from lr to warmup_target over warmup_steps, then
///    the same decay from warmup_target.
float scheduledLearningRate(const KilnOptimizerDesc &config, int64_t step);

/// Checks the schedule fields of `config` (positive decay steps, increasing
/// boundaries, ...); throws an Error naming the problem.
void checkSchedule(const KilnOptimizerDesc &config);

/// Keras's class name of a schedule kind ("constant" for none).
const char *scheduleName(int32_t schedule);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_SCHEDULE_H
