//===- OptimizerTest.cpp - Tests of the optimizers ------------------------===//
//
// Reference trajectories come from test/python/optimizer_reference.py, a
// float64 numpy transcription of Keras 3's update rules; the runtime
// computes in float32, hence the tolerances.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Error.h"
#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Schedule.h"

#include <cmath>

#include <gtest/gtest.h>

using namespace kiln::runtime;

namespace {

TEST(OptimizerTest, SgdStep) {
  float param[3] = {1.0f, -2.0f, 0.5f};
  const float grad[3] = {0.5f, -1.0f, 0.0f};
  sgdUpdate(param, grad, 3, 0.1f);
  EXPECT_FLOAT_EQ(param[0], 0.95f);
  EXPECT_FLOAT_EQ(param[1], -1.9f);
  EXPECT_FLOAT_EQ(param[2], 0.5f);
}

// Hyperparameters are float32 as in the descriptor (and in Keras), so
// 1 - beta2 carries float32 rounding: 1 - 0.999f = 0.00099998713. The
// tolerances below allow for that relative error of about 1e-5.
TEST(OptimizerTest, AdamStepSize) {
  // lr * sqrt(1 - 0.999) / (1 - 0.9) at t = 1.
  EXPECT_NEAR(adamStepSize(0.01f, 0.9f, 0.999f, 1), 0.0031622777, 5e-8);
  EXPECT_NEAR(adamStepSize(0.01f, 0.9f, 0.999f, 2), 0.0023531673, 5e-8);
  // Exactly representable betas leave only the final float rounding.
  EXPECT_FLOAT_EQ(adamStepSize(1.0f, 0.5f, 0.75f, 1), 1.0f);
}

// Three Adam steps on two parameters; reference values computed by hand (in
// double precision) from Keras's update rule with lr 0.01, beta1 0.9,
// beta2 0.999, epsilon 1e-7.
TEST(OptimizerTest, AdamMatchesReference) {
  KilnOptimizerDesc config = defaultOptimizerConfig(KILN_OPTIMIZER_ADAM);
  config.learning_rate = 0.01f;
  Optimizer optimizer(config, {2});
  TensorList params = {{0.5f, -1.0f}};
  const float grads[3][2] = {{0.1f, -0.2f}, {0.05f, 0.3f}, {-0.4f, 0.0f}};
  const double expected[3][2] = {{0.490000316, -0.990000158},
                                 {0.480678784, -0.992477155},
                                 {0.484893372, -0.994391880}};
  const double expectedM[2] = {-0.0274, 0.0108};
  const double expectedV[2] = {0.00017247751, 0.00012983004};
  for (int step = 0; step < 3; ++step) {
    TensorList gradList = {{grads[step][0], grads[step][1]}};
    optimizer.step(params, gradList);
    EXPECT_EQ(optimizer.iterations(), step + 1);
    for (int i = 0; i < 2; ++i)
      EXPECT_NEAR(params[0][i], expected[step][i], 2e-7)
          << "step " << step + 1 << " param " << i;
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(optimizer.slotData(0, 0)[i], expectedM[i], 1e-8);
    EXPECT_NEAR(optimizer.slotData(1, 0)[i], expectedV[i], 2e-5 * expectedV[i]);
  }
}

// A frozen parameter is left alone by every part of the step (update,
// weight decay, state), even when handed a non-zero gradient, while the
// others train.
TEST(OptimizerTest, FrozenParametersAreNotUpdated) {
  for (int32_t kind :
       {KILN_OPTIMIZER_SGD, KILN_OPTIMIZER_ADAMW, KILN_OPTIMIZER_RMSPROP}) {
    KilnOptimizerDesc config = defaultOptimizerConfig(kind);
    config.learning_rate = 0.1f;
    config.momentum = kind == KILN_OPTIMIZER_SGD ? 0.9f : 0.0f;
    config.weight_decay = 0.05f;
    Optimizer optimizer(config, {2, 2}, {false, true});
    TensorList params = {{0.5f, -1.0f}, {0.25f, 2.0f}};
    for (int step = 0; step < 3; ++step) {
      TensorList grads = {{0.3f, -0.2f}, {0.7f, 0.1f}};
      optimizer.step(params, grads);
    }
    EXPECT_NE(params[0], (std::vector<float>{0.5f, -1.0f})) << kind;
    EXPECT_EQ(params[1], (std::vector<float>{0.25f, 2.0f})) << kind;
    for (int32_t slot = 0; slot < optimizer.slotsPerParam(); ++slot)
      EXPECT_EQ(optimizer.slotData(slot, 1), (std::vector<float>{0, 0}))
          << kind;
  }
}

TEST(OptimizerTest, SgdOptimizerHasNoSlots) {
  KilnOptimizerDesc config = defaultOptimizerConfig(KILN_OPTIMIZER_SGD);
  config.learning_rate = 0.5f;
  Optimizer optimizer(config, {2, 1});
  EXPECT_EQ(optimizer.slotsPerParam(), 0);
  TensorList params = {{1.0f, 2.0f}, {3.0f}};
  TensorList grads = {{1.0f, -1.0f}, {2.0f}};
  optimizer.step(params, grads);
  EXPECT_EQ(params[0], (std::vector<float>{0.5f, 2.5f}));
  EXPECT_EQ(params[1], (std::vector<float>{2.0f}));
  EXPECT_EQ(optimizer.iterations(), 1);
}

/// Three steps of `config` on one parameter [0.5, -1, 2] with fixed
/// gradients, compared with `expected` (optimizer_reference.py).
void expectTrajectory(const KilnOptimizerDesc &config,
                      const double (&expected)[3][3], double tolerance = 2e-6) {
  Optimizer optimizer(config, {3});
  TensorList params = {{0.5f, -1.0f, 2.0f}};
  const float grads[3][3] = {
      {0.1f, -0.2f, 0.3f}, {0.05f, 0.3f, -0.1f}, {-0.4f, 0.0f, 0.2f}};
  for (int step = 0; step < 3; ++step) {
    TensorList gradList = {{grads[step][0], grads[step][1], grads[step][2]}};
    optimizer.step(params, gradList);
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(params[0][i], expected[step][i], tolerance)
          << optimizerName(config.kind) << " step " << step + 1 << " param "
          << i;
  }
}

KilnOptimizerDesc config(int32_t kind, float learningRate) {
  KilnOptimizerDesc c = defaultOptimizerConfig(kind);
  c.learning_rate = learningRate;
  return c;
}

TEST(OptimizerTest, SgdMomentum) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 0.1f);
  c.momentum = 0.9f;
  expectTrajectory(c, {{0.49, -0.98, 1.97},
                       {0.476, -0.992, 1.953},
                       {0.5034, -1.0028, 1.9177}});
  c.nesterov = 1;
  expectTrajectory(c, {{0.481, -0.962, 1.943},
                       {0.4634, -1.0028, 1.9377},
                       {0.52806, -1.01252, 1.88593}});
}

TEST(OptimizerTest, AdamAmsgrad) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_ADAM, 0.01f);
  c.amsgrad = 1;
  expectTrajectory(c, {{0.490000316, -0.990000158, 1.99000011},
                       {0.480678784, -0.992477155, 1.98599796},
                       {0.484893372, -0.994390922, 1.97996715}});
  EXPECT_EQ(Optimizer(c, {1}).slotsPerParam(), 3);
}

TEST(OptimizerTest, AdamW) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_ADAMW, 0.01f);
  EXPECT_FLOAT_EQ(c.weight_decay, 0.004f);
  expectTrajectory(c, {{0.489980316, -0.989960158, 1.98992011},
                       {0.480639184, -0.992397556, 1.98583836},
                       {0.484834547, -0.994272586, 1.97972812}});
}

TEST(OptimizerTest, Rmsprop) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_RMSPROP, 0.01f);
  expectTrajectory(c, {{0.468378804, -0.968377619, 1.9683774},
                       {0.45363525, -0.995103637, 1.97886019},
                       {0.484282227, -0.995103637, 1.96074569}});
  c.momentum = 0.5f;
  c.centered = 1;
  EXPECT_EQ(Optimizer(c, {1}).slotsPerParam(), 3);
  expectTrajectory(c, {{0.466668518, -0.96666713, 1.96666687},
                       {0.433815528, -0.976880753, 1.96065363},
                       {0.448734512, -0.981987565, 1.93852904}},
                   1e-5);
}

TEST(OptimizerTest, Adagrad) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_ADAGRAD, 0.01f);
  EXPECT_EQ(Optimizer(c, {2}).slotData(0, 0), (std::vector<float>{0.1f, 0.1f}));
  expectTrajectory(c, {{0.496984888, -0.994654777, 1.99311753},
                       {0.495494177, -1.00091021, 1.9953536},
                       {0.503156785, -1.00091021, 1.99127112}});
}

TEST(OptimizerTest, Adadelta) {
  expectTrajectory(config(KILN_OPTIMIZER_ADADELTA, 1.0f),
                   {{0.498585928, -0.998585822, 1.9985858},
                    {0.497673179, -1.00026284, 1.99923298},
                    {0.499775059, -1.00026284, 1.99808342}});
}

TEST(OptimizerTest, Adamax) {
  expectTrajectory(config(KILN_OPTIMIZER_ADAMAX, 0.01f),
                   {{0.49000001, -0.990000005, 1.99},
                    {0.482624221, -0.992105267, 1.98701456},
                    {0.485151895, -0.99343501, 1.98266392}});
}

TEST(OptimizerTest, Nadam) {
  expectTrajectory(config(KILN_OPTIMIZER_NADAM, 0.01f),
                   {{0.489372133, -0.989372127, 1.98937213},
                    {0.484156321, -0.997474386, 1.9919203},
                    {0.494159083, -0.997759918, 1.98581496}});
}

// Nadam's momentum product is derived from the iteration count, so an
// optimizer restored from a checkpoint continues exactly.
TEST(OptimizerTest, NadamResumesExactly) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_NADAM, 0.01f);
  Optimizer straight(c, {1});
  TensorList p1 = {{1.0f}};
  TensorList g = {{0.3f}};
  for (int i = 0; i < 3; ++i) {
    TensorList grads = g;
    straight.step(p1, grads);
  }
  Optimizer first(c, {1});
  TensorList p2 = {{1.0f}};
  for (int i = 0; i < 2; ++i) {
    TensorList grads = g;
    first.step(p2, grads);
  }
  Optimizer resumed(c, {1});
  resumed.setIterations(first.iterations());
  for (int s = 0; s < 2; ++s)
    resumed.slotData(s, 0) = first.slotData(s, 0);
  TensorList grads = g;
  resumed.step(p2, grads);
  EXPECT_EQ(p1[0][0], p2[0][0]);
}

TEST(OptimizerTest, ClipByNormAndValue) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 0.1f);
  c.clipnorm = 0.25f;
  expectTrajectory(c, {{0.493318469, -0.986636938, 1.97995541},
                       {0.489414125, -1.010063, 1.98776409},
                       {0.511774805, -1.010063, 1.97658376}});
  c.clipnorm = 0;
  c.clipvalue = 0.15f;
  expectTrajectory(c, {{0.49, -0.985, 1.985},
                       {0.485, -1, 1.995},
                       {0.5, -1, 1.98}});
}

// The global norm of {3} and {4} is 5; clipping to 1 scales both by 1/5.
TEST(OptimizerTest, GlobalClipNorm) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 1.0f);
  c.global_clipnorm = 1.0f;
  Optimizer optimizer(c, {1, 1});
  TensorList params = {{0.0f}, {0.0f}};
  TensorList grads = {{3.0f}, {4.0f}};
  optimizer.step(params, grads);
  EXPECT_FLOAT_EQ(params[0][0], -0.6f);
  EXPECT_FLOAT_EQ(params[1][0], -0.8f);
  // A norm below the limit leaves gradients unchanged.
  grads = {{0.3f}, {0.4f}};
  optimizer.step(params, grads);
  EXPECT_FLOAT_EQ(params[0][0], -0.9f);
  EXPECT_FLOAT_EQ(params[1][0], -1.2f);
}

TEST(OptimizerTest, ConfigErrors) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 0.1f);
  c.clipnorm = 1;
  c.global_clipnorm = 1;
  EXPECT_THROW(checkOptimizerConfig(c), Error);
  c = config(KILN_OPTIMIZER_ADAM, 0.1f);
  c.beta_1 = 1.0f;
  EXPECT_THROW(checkOptimizerConfig(c), Error);
  c = config(42, 0.1f);
  EXPECT_THROW(checkOptimizerConfig(c), Error);
}

TEST(OptimizerTest, Names) {
  EXPECT_EQ(optimizerKindFromName("RMSprop"), KILN_OPTIMIZER_RMSPROP);
  EXPECT_EQ(optimizerKindFromName("adamw"), KILN_OPTIMIZER_ADAMW);
  EXPECT_FALSE(optimizerKindFromName("lion"));
  EXPECT_STREQ(optimizerName(KILN_OPTIMIZER_NADAM), "nadam");
}

TEST(ScheduleTest, ExponentialDecay) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 0.1f);
  c.schedule = KILN_SCHEDULE_EXPONENTIAL_DECAY;
  c.decay_steps = 10;
  c.decay_rate = 0.5f;
  EXPECT_FLOAT_EQ(scheduledLearningRate(c, 0), 0.1f);
  EXPECT_NEAR(scheduledLearningRate(c, 5), 0.1 * std::pow(0.5, 0.5), 1e-8);
  EXPECT_FLOAT_EQ(scheduledLearningRate(c, 20), 0.025f);
  c.staircase = 1;
  EXPECT_FLOAT_EQ(scheduledLearningRate(c, 19), 0.05f);
}

TEST(ScheduleTest, PiecewiseConstant) {
  const int64_t boundaries[] = {10, 20};
  const float values[] = {1.0f, 0.5f, 0.1f};
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 1.0f);
  c.schedule = KILN_SCHEDULE_PIECEWISE_CONSTANT;
  c.num_boundaries = 2;
  c.boundaries = boundaries;
  c.values = values;
  EXPECT_EQ(scheduledLearningRate(c, 0), 1.0f);
  EXPECT_EQ(scheduledLearningRate(c, 10), 1.0f);
  EXPECT_EQ(scheduledLearningRate(c, 11), 0.5f);
  EXPECT_EQ(scheduledLearningRate(c, 20), 0.5f);
  EXPECT_EQ(scheduledLearningRate(c, 21), 0.1f);
}

TEST(ScheduleTest, CosineDecayWithWarmup) {
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 0.0f);
  c.schedule = KILN_SCHEDULE_COSINE_DECAY;
  c.decay_steps = 100;
  c.alpha = 0.1f;
  c.learning_rate = 1.0f;
  EXPECT_FLOAT_EQ(scheduledLearningRate(c, 0), 1.0f);
  EXPECT_NEAR(scheduledLearningRate(c, 50), 0.9 * 0.5 + 0.1, 1e-6);
  EXPECT_NEAR(scheduledLearningRate(c, 500), 0.1, 1e-6);
  c.learning_rate = 0.0f;
  c.has_warmup = 1;
  c.warmup_target = 0.2f;
  c.warmup_steps = 10;
  EXPECT_FLOAT_EQ(scheduledLearningRate(c, 5), 0.1f);
  EXPECT_FLOAT_EQ(scheduledLearningRate(c, 10), 0.2f);
  EXPECT_NEAR(scheduledLearningRate(c, 60), 0.2 * (0.9 * 0.5 + 0.1), 1e-7);
}

// The optimizer evaluates its schedule at the iteration count before the
// update, as Keras does.
TEST(ScheduleTest, OptimizerFollowsSchedule) {
  const int64_t boundaries[] = {0};
  const float values[] = {1.0f, 0.5f};
  KilnOptimizerDesc c = config(KILN_OPTIMIZER_SGD, 1.0f);
  c.schedule = KILN_SCHEDULE_PIECEWISE_CONSTANT;
  c.num_boundaries = 1;
  c.boundaries = boundaries;
  c.values = values;
  Optimizer optimizer(c, {1});
  TensorList params = {{0.0f}};
  TensorList grads = {{1.0f}};
  optimizer.step(params, grads);
  EXPECT_EQ(params[0][0], -1.0f);
  EXPECT_EQ(optimizer.learningRate(), 0.5f);
  optimizer.step(params, grads);
  EXPECT_EQ(params[0][0], -1.5f);
}

} // namespace
