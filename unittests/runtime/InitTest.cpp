//===- InitTest.cpp - Tests of the parameter initializers -----------------===//

#include "kiln/runtime/Init.h"
#include "kiln/runtime/Random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace kiln::runtime;

namespace {

KilnParamDesc param(int32_t rank, std::vector<int64_t> shape,
                    int32_t initializer) {
  KilnParamDesc desc = {};
  desc.name = "p";
  desc.rank = rank;
  for (size_t i = 0; i < shape.size(); ++i)
    desc.shape[i] = shape[i];
  desc.initializer = initializer;
  return desc;
}

TEST(InitTest, FansFollowKeras) {
  Fans dense = computeFans(param(2, {784, 128}, KILN_INIT_GLOROT_UNIFORM));
  EXPECT_EQ(dense.fanIn, 784);
  EXPECT_EQ(dense.fanOut, 128);
  Fans vector = computeFans(param(1, {10}, KILN_INIT_GLOROT_UNIFORM));
  EXPECT_EQ(vector.fanIn, 10);
  EXPECT_EQ(vector.fanOut, 10);
  // Conv kernel HWIO 3x3x16x32: receptive field 9.
  Fans conv = computeFans(param(4, {3, 3, 16, 32}, KILN_INIT_GLOROT_UNIFORM));
  EXPECT_EQ(conv.fanIn, 144);
  EXPECT_EQ(conv.fanOut, 288);
}

TEST(InitTest, GlorotLimit) {
  EXPECT_FLOAT_EQ(glorotLimit(param(2, {784, 128}, KILN_INIT_GLOROT_UNIFORM)),
                  std::sqrt(6.0f / 912.0f));
  EXPECT_FLOAT_EQ(glorotLimit(param(1, {3}, KILN_INIT_GLOROT_UNIFORM)), 1.0f);
}

TEST(InitTest, GlorotValuesWithinLimitAndSpread) {
  KilnParamDesc kernel = param(2, {784, 128}, KILN_INIT_GLOROT_UNIFORM);
  const float limit = glorotLimit(kernel);
  std::vector<float> values(784 * 128);
  Rng rng(42, 0x100);
  initializeParameter(kernel, values.data(), values.size(), rng);
  double sum = 0, sumSquares = 0;
  for (float value : values) {
    ASSERT_GE(value, -limit);
    ASSERT_LE(value, limit);
    sum += value;
    sumSquares += double(value) * value;
  }
  double mean = sum / values.size();
  double variance = sumSquares / values.size() - mean * mean;
  // Uniform(-l, l) has variance l^2 / 3.
  EXPECT_NEAR(mean, 0.0, 0.01 * limit);
  EXPECT_NEAR(variance, limit * limit / 3.0, 0.01 * limit * limit);
}

TEST(InitTest, GlorotDeterministic) {
  KilnParamDesc kernel = param(2, {20, 30}, KILN_INIT_GLOROT_UNIFORM);
  std::vector<float> a(600), b(600), c(600);
  Rng rngA(9, 1), rngB(9, 1), rngC(10, 1);
  initializeParameter(kernel, a.data(), 600, rngA);
  initializeParameter(kernel, b.data(), 600, rngB);
  initializeParameter(kernel, c.data(), 600, rngC);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(InitTest, ZerosAndOnes) {
  std::vector<float> values(5, 7.0f);
  Rng rng(1, 1);
  initializeParameter(param(1, {5}, KILN_INIT_ZEROS), values.data(), 5, rng);
  EXPECT_EQ(values, std::vector<float>(5, 0.0f));
  initializeParameter(param(1, {5}, KILN_INIT_ONES), values.data(), 5, rng);
  EXPECT_EQ(values, std::vector<float>(5, 1.0f));
}

} // namespace

namespace {

/// Dot product of rows (or columns) a and b of a row-major rows x cols
/// matrix.
double dot(const std::vector<float> &m, int64_t cols, bool byRow, int64_t a,
           int64_t b, int64_t length) {
  double sum = 0;
  for (int64_t i = 0; i < length; ++i)
    sum += byRow ? double(m[a * cols + i]) * m[b * cols + i]
                 : double(m[i * cols + a]) * m[i * cols + b];
  return sum;
}

TEST(InitTest, OrthogonalWideHasOrthonormalRows) {
  // A recurrent kernel [units, 4 * units].
  KilnParamDesc kernel = param(2, {8, 32}, KILN_INIT_ORTHOGONAL);
  std::vector<float> values(8 * 32);
  Rng rng(3, 7);
  initializeParameter(kernel, values.data(), values.size(), rng);
  for (int64_t a = 0; a < 8; ++a)
    for (int64_t b = 0; b < 8; ++b)
      EXPECT_NEAR(dot(values, 32, true, a, b, 32), a == b ? 1.0 : 0.0, 1e-5);
}

TEST(InitTest, OrthogonalTallHasOrthonormalColumnsAndIsDeterministic) {
  KilnParamDesc kernel = param(2, {12, 5}, KILN_INIT_ORTHOGONAL);
  std::vector<float> a(60), b(60), c(60);
  Rng rngA(5, 1), rngB(5, 1), rngC(6, 1);
  initializeParameter(kernel, a.data(), 60, rngA);
  initializeParameter(kernel, b.data(), 60, rngB);
  initializeParameter(kernel, c.data(), 60, rngC);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j)
      EXPECT_NEAR(dot(a, 5, false, i, j, 12), i == j ? 1.0 : 0.0, 1e-5);
}

TEST(InitTest, UnitForgetBias) {
  std::vector<float> values(8, 7.0f);
  Rng rng(1, 1);
  initializeParameter(param(1, {8}, KILN_INIT_UNIT_FORGET_BIAS), values.data(),
                      8, rng);
  EXPECT_EQ(values, (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 0}));
}

} // namespace
