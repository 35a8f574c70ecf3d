//===- OptimizerTest.cpp - Tests of SGD and Adam --------------------------===//

#include "kiln/runtime/Optimizer.h"

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
  KilnOptimizerDesc config = {KILN_OPTIMIZER_ADAM, 0.01f, 0.9f, 0.999f, 1e-7f};
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

TEST(OptimizerTest, SgdOptimizerHasNoSlots) {
  KilnOptimizerDesc config = {KILN_OPTIMIZER_SGD, 0.5f, 0, 0, 0};
  Optimizer optimizer(config, {2, 1});
  EXPECT_EQ(optimizer.slotsPerParam(), 0);
  TensorList params = {{1.0f, 2.0f}, {3.0f}};
  TensorList grads = {{1.0f, -1.0f}, {2.0f}};
  optimizer.step(params, grads);
  EXPECT_EQ(params[0], (std::vector<float>{0.5f, 2.5f}));
  EXPECT_EQ(params[1], (std::vector<float>{2.0f}));
  EXPECT_EQ(optimizer.iterations(), 1);
}

} // namespace
