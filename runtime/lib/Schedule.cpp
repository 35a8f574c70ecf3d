//===- Schedule.cpp - Learning-rate schedules -----------------------------===//

#include "kiln/runtime/Schedule.h"
#include "kiln/runtime/Error.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

namespace {

float exponentialDecay(const KilnOptimizerDesc &c, int64_t step) {
  float p = float(step) / float(c.decay_steps);
  if (c.staircase)
    p = std::floor(p);
  return c.learning_rate * std::pow(c.decay_rate, p);
}

float piecewiseConstant(const KilnOptimizerDesc &c, int64_t step) {
  for (int32_t i = 0; i < c.num_boundaries; ++i)
    if (step <= c.boundaries[i])
      return c.values[i];
  return c.values[c.num_boundaries];
}

float cosineDecay(const KilnOptimizerDesc &c, int64_t step) {
  const float decaySteps = float(c.decay_steps);
  auto decay = [&](float decayStep, float from) {
    const float pi = static_cast<float>(M_PI);
    float fraction = decayStep / decaySteps;
    float cosine = 0.5f * (1.0f + std::cos(pi * fraction));
    float decayed = (1.0f - c.alpha) * cosine + c.alpha;
    return from * decayed;
  };
  float globalStep = float(step);
  if (!c.has_warmup)
    return decay(std::min(globalStep, decaySteps), c.learning_rate);
  const float warmupSteps = float(c.warmup_steps);
  globalStep = std::min(globalStep, decaySteps + warmupSteps);
  if (globalStep < warmupSteps) {
    float fraction = globalStep / warmupSteps;
    return (c.warmup_target - c.learning_rate) * fraction + c.learning_rate;
  }
  return decay(globalStep - warmupSteps, c.warmup_target);
}

} // namespace

float scheduledLearningRate(const KilnOptimizerDesc &config, int64_t step) {
  switch (config.schedule) {
  case KILN_SCHEDULE_EXPONENTIAL_DECAY:
    return exponentialDecay(config, step);
  case KILN_SCHEDULE_PIECEWISE_CONSTANT:
    return piecewiseConstant(config, step);
  case KILN_SCHEDULE_COSINE_DECAY:
    return cosineDecay(config, step);
  default:
    return config.learning_rate;
  }
}

const char *scheduleName(int32_t schedule) {
  switch (schedule) {
  case KILN_SCHEDULE_EXPONENTIAL_DECAY:
    return "ExponentialDecay";
  case KILN_SCHEDULE_PIECEWISE_CONSTANT:
    return "PiecewiseConstantDecay";
  case KILN_SCHEDULE_COSINE_DECAY:
    return "CosineDecay";
  default:
    return "constant";
  }
}

void checkSchedule(const KilnOptimizerDesc &c) {
  switch (c.schedule) {
  case KILN_SCHEDULE_CONSTANT:
    return;
  case KILN_SCHEDULE_EXPONENTIAL_DECAY:
  case KILN_SCHEDULE_COSINE_DECAY:
    if (c.decay_steps <= 0)
      fail("%s: decay_steps must be positive, got %lld",
           scheduleName(c.schedule), static_cast<long long>(c.decay_steps));
    if (c.schedule == KILN_SCHEDULE_COSINE_DECAY && c.has_warmup &&
        c.warmup_steps < 0)
      fail("CosineDecay: warmup_steps must be >= 0, got %lld",
           static_cast<long long>(c.warmup_steps));
    return;
  case KILN_SCHEDULE_PIECEWISE_CONSTANT:
    if (c.num_boundaries < 1 || !c.boundaries || !c.values)
      fail("PiecewiseConstantDecay: needs at least one boundary");
    for (int32_t i = 1; i < c.num_boundaries; ++i)
      if (c.boundaries[i] <= c.boundaries[i - 1])
        fail("PiecewiseConstantDecay: boundaries must increase");
    return;
  default:
    fail("unknown learning-rate schedule kind %d", c.schedule);
  }
}

} // namespace runtime
} // namespace kiln
