//===- Optimizer.cpp - Parameter updates with optimizer state -------------===//

#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Schedule.h"
#include "kiln/runtime/WorkerPool.h"

#include <cctype>
#include <cmath>
#include <utility>

namespace kiln {
namespace runtime {

namespace {

const char *const kOptimizerNames[] = {"sgd",     "adam",     "adamw",
                                       "rmsprop", "adagrad",  "adadelta",
                                       "adamax",  "nadam"};
constexpr int32_t kNumOptimizers =
    sizeof(kOptimizerNames) / sizeof(kOptimizerNames[0]);

/// Number of state tensors per parameter (see Optimizer::slotsPerParam).
int32_t slotCount(const KilnOptimizerDesc &c) {
  switch (c.kind) {
  case KILN_OPTIMIZER_SGD:
    return c.momentum != 0 ? 1 : 0;
  case KILN_OPTIMIZER_ADAM:
  case KILN_OPTIMIZER_ADAMW:
    return c.amsgrad ? 3 : 2;
  case KILN_OPTIMIZER_RMSPROP:
    return 1 + (c.momentum > 0) + (c.centered != 0);
  case KILN_OPTIMIZER_ADAGRAD:
    return 1;
  default:
    return 2;
  }
}

void checkRange(const char *name, float value, float low, float high,
                bool highInclusive) {
  bool ok = std::isfinite(value) && value >= low &&
            (highInclusive ? value <= high : value < high);
  if (!ok)
    fail("optimizer %s must be in [%g, %g%s, got %g", name, double(low),
         double(high), highInclusive ? "]" : ")", double(value));
}

void checkNonNegative(const char *name, float value) {
  if (!std::isfinite(value) || value < 0)
    fail("optimizer %s must be a non-negative number, got %g", name,
         double(value));
}

} // namespace

const char *optimizerName(int32_t kind) {
  return kind >= 0 && kind < kNumOptimizers ? kOptimizerNames[kind]
                                            : "unknown";
}

std::optional<int32_t> optimizerKindFromName(const std::string &name) {
  std::string lower;
  for (char c : name)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int32_t kind = 0; kind < kNumOptimizers; ++kind)
    if (lower == kOptimizerNames[kind])
      return kind;
  return std::nullopt;
}

std::string optimizerNamesText() {
  std::string text;
  for (int32_t kind = 0; kind < kNumOptimizers; ++kind) {
    if (kind)
      text += kind + 1 == kNumOptimizers ? " or " : ", ";
    text += kOptimizerNames[kind];
  }
  return text;
}

KilnOptimizerDesc defaultOptimizerConfig(int32_t kind) {
  KilnOptimizerDesc c = {};
  c.kind = kind;
  c.learning_rate = kind == KILN_OPTIMIZER_SGD ? 0.01f : 0.001f;
  c.beta_1 = 0.9f;
  c.beta_2 = 0.999f;
  c.epsilon = 1e-7f;
  c.rho = kind == KILN_OPTIMIZER_ADADELTA ? 0.95f : 0.9f;
  c.initial_accumulator_value = 0.1f;
  if (kind == KILN_OPTIMIZER_ADAMW)
    c.weight_decay = 0.004f;
  return c;
}

void checkOptimizerConfig(const KilnOptimizerDesc &c) {
  if (c.kind < 0 || c.kind >= kNumOptimizers)
    fail("unknown optimizer kind %d", c.kind);
  checkNonNegative("learning_rate", c.learning_rate);
  checkRange("beta_1", c.beta_1, 0, 1, false);
  checkRange("beta_2", c.beta_2, 0, 1, false);
  checkNonNegative("epsilon", c.epsilon);
  checkRange("momentum", c.momentum, 0, 1, true);
  checkRange("rho", c.rho, 0, 1, true);
  checkNonNegative("initial_accumulator_value", c.initial_accumulator_value);
  checkNonNegative("weight_decay", c.weight_decay);
  checkNonNegative("clipnorm", c.clipnorm);
  checkNonNegative("clipvalue", c.clipvalue);
  checkNonNegative("global_clipnorm", c.global_clipnorm);
  if (c.clipnorm > 0 && c.global_clipnorm > 0)
    fail("only one of clipnorm and global_clipnorm can be set");
  checkSchedule(c);
}

Optimizer::Optimizer(const KilnOptimizerDesc &config,
                     const std::vector<int64_t> &paramElements,
                     std::vector<bool> frozen)
    : config_(config), frozen_(std::move(frozen)) {
  checkOptimizerConfig(config);
  slots_.resize(static_cast<size_t>(slotCount(config)));
  const float initial = config.kind == KILN_OPTIMIZER_ADAGRAD
                            ? config.initial_accumulator_value
                            : 0.0f;
  for (TensorList &slot : slots_)
    for (int64_t count : paramElements)
      slot.emplace_back(static_cast<size_t>(count), initial);
}

float Optimizer::learningRate() const {
  return scheduledLearningRate(config_, iterations_);
}

void Optimizer::setIterations(int64_t iterations) {
  iterations_ = iterations;
  if (config_.kind == KILN_OPTIMIZER_NADAM)
    nadamProduct_ = nadamMomentumProduct(config_.beta_1, iterations);
}

void Optimizer::clipByNorms(TensorList &grads) const {
  if (config_.clipnorm > 0) {
    for (std::vector<float> &grad : grads)
      clipByNorm(grad.data(), static_cast<int64_t>(grad.size()),
                 config_.clipnorm);
  } else if (config_.global_clipnorm > 0) {
    double sum = 0.0;
    for (const std::vector<float> &grad : grads)
      sum += sumOfSquares(grad.data(), static_cast<int64_t>(grad.size()));
    const float scale = globalClipScale(std::sqrt(sum), config_.global_clipnorm);
    for (std::vector<float> &grad : grads)
      scaleValues(grad.data(), static_cast<int64_t>(grad.size()), scale);
  }
}

void Optimizer::update(float *param, const float *grad, size_t index,
                       int64_t begin, int64_t count, float lr,
                       const NadamCoefficients &nadam) {
  const KilnOptimizerDesc &c = config_;
  // The same elements of state slot k.
  auto state = [&](int32_t k) { return slot(k, index) + begin; };
  const int64_t t = iterations_ + 1;
  switch (c.kind) {
  case KILN_OPTIMIZER_SGD:
    if (c.momentum != 0)
      sgdMomentumUpdate(param, grad, state(0), count, lr, c.momentum,
                        c.nesterov != 0);
    else
      sgdUpdate(param, grad, count, lr);
    return;
  case KILN_OPTIMIZER_ADAM:
  case KILN_OPTIMIZER_ADAMW: {
    const float stepSize = adamStepSize(lr, c.beta_1, c.beta_2, t);
    if (c.amsgrad)
      amsgradUpdate(param, grad, state(0), state(1), state(2), count, stepSize,
                    c.beta_1, c.beta_2, c.epsilon);
    else
      adamUpdate(param, grad, state(0), state(1), count, stepSize, c.beta_1,
                 c.beta_2, c.epsilon);
    return;
  }
  case KILN_OPTIMIZER_RMSPROP: {
    int32_t next = 1;
    float *mom = c.momentum > 0 ? state(next++) : nullptr;
    float *average = c.centered ? state(next++) : nullptr;
    rmspropUpdate(param, grad, state(0), mom, average, count, lr, c.rho,
                  c.momentum, c.epsilon);
    return;
  }
  case KILN_OPTIMIZER_ADAGRAD:
    adagradUpdate(param, grad, state(0), count, lr, c.epsilon);
    return;
  case KILN_OPTIMIZER_ADADELTA:
    adadeltaUpdate(param, grad, state(0), state(1), count, lr, c.rho,
                   c.epsilon);
    return;
  case KILN_OPTIMIZER_ADAMAX:
    adamaxUpdate(param, grad, state(0), state(1), count, lr, c.beta_1, c.beta_2,
                 c.epsilon, t);
    return;
  case KILN_OPTIMIZER_NADAM:
    nadamUpdate(param, grad, state(0), state(1), count, lr, c.beta_1, c.beta_2,
                c.epsilon, nadam);
    return;
  default:
    fail("unknown optimizer kind %d", c.kind);
  }
}

void Optimizer::beginStep() {
  stepRate_ = learningRate();
  stepNadam_ = {};
  if (config_.kind == KILN_OPTIMIZER_NADAM)
    stepNadam_ = nadamCoefficients(config_.beta_1, config_.beta_2,
                                   iterations_ + 1, nadamProduct_);
}

void Optimizer::updateRange(TensorList &params, TensorList &grads, size_t i,
                            int64_t begin, int64_t end) {
  if (isFrozen(i) || begin >= end)
    return;
  float *param = params[i].data() + begin;
  float *grad = grads[i].data() + begin;
  // clipvalue is the one clipping that works element by element; it
  // applies only when neither norm is set (Keras's order).
  if (config_.clipvalue > 0 && config_.clipnorm == 0 &&
      config_.global_clipnorm == 0)
    clipByValue(grad, end - begin, config_.clipvalue);
  if (config_.weight_decay != 0)
    applyWeightDecay(param, end - begin, config_.weight_decay, stepRate_);
  update(param, grad, i, begin, end - begin, stepRate_, stepNadam_);
}

void Optimizer::endStep() {
  if (config_.kind == KILN_OPTIMIZER_NADAM)
    nadamProduct_ = stepNadam_.uProduct;
  ++iterations_;
}

void Optimizer::step(TensorList &params, TensorList &grads, WorkerPool *pool) {
  beginStep();
  clipByNorms(grads);
  // From here every element is updated on its own, on ranges of the
  // parameters that may run on different threads.
  std::vector<int64_t> sizes(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    sizes[i] = static_cast<int64_t>(params[i].size());
  auto range = [&](size_t i, int64_t begin, int64_t end) {
    updateRange(params, grads, i, begin, end);
  };
  if (pool)
    pool->forEachElementRange(sizes, range);
  else
    forEachOwnedRange(sizes, 0, 1, range);
  endStep();
}

} // namespace runtime
} // namespace kiln
