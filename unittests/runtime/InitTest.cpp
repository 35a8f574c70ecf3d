//===- InitTest.cpp - Tests of the parameter initializers -----------------===//

#include "kiln/runtime/Init.h"
#include "kiln/runtime/Random.h"

#include <gtest/gtest.h>

#include <algorithm>
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
  desc.init_args.gain = 1.0f;
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

namespace {

struct Moments {
  double mean, stddev, min, max;
};

Moments moments(const std::vector<float> &values) {
  double sum = 0, sumSquares = 0;
  double low = values[0], high = values[0];
  for (float value : values) {
    sum += value;
    sumSquares += double(value) * value;
    low = std::min(low, double(value));
    high = std::max(high, double(value));
  }
  double mean = sum / values.size();
  return {mean, std::sqrt(sumSquares / values.size() - mean * mean), low, high};
}

/// Draws a 400 x 500 parameter (200000 values: the sample mean and
/// standard deviation are then within about 0.5 % of the distribution's).
std::vector<float> draw(const KilnParamDesc &desc, uint64_t seed = 17) {
  std::vector<float> values(size_t(desc.shape[0] * desc.shape[1]));
  Rng rng(seed, 0x100);
  initializeParameter(desc, values.data(), int64_t(values.size()), rng);
  return values;
}

KilnParamDesc scaling(float scale, int32_t mode, int32_t distribution) {
  KilnParamDesc desc = param(2, {400, 500}, KILN_INIT_VARIANCE_SCALING);
  desc.init_args.scale = scale;
  desc.init_args.mode = mode;
  desc.init_args.distribution = distribution;
  return desc;
}

TEST(InitTest, VarianceScalingHasTheIntendedVariance) {
  const double fanIn = 400, fanOut = 500, fanAvg = 450;
  struct Case {
    float scale;
    int32_t mode;
    double fan;
  } cases[] = {{1.0f, KILN_FAN_IN, fanIn},
               {2.0f, KILN_FAN_IN, fanIn},
               {1.0f, KILN_FAN_OUT, fanOut},
               {1.0f, KILN_FAN_AVG, fanAvg},
               {0.5f, KILN_FAN_AVG, fanAvg}};
  for (const Case &c : cases) {
    const double stddev = std::sqrt(c.scale / c.fan);
    SCOPED_TRACE(testing::Message()
                 << "scale " << c.scale << " mode " << c.mode);

    Moments uniform =
        moments(draw(scaling(c.scale, c.mode, KILN_DISTRIBUTION_UNIFORM)));
    const double limit = std::sqrt(3.0) * stddev;
    EXPECT_NEAR(uniform.mean, 0.0, 0.01 * stddev);
    EXPECT_NEAR(uniform.stddev, stddev, 0.01 * stddev);
    EXPECT_GE(uniform.min, -limit);
    EXPECT_LE(uniform.max, limit);
    EXPECT_LT(uniform.min, -0.99 * limit); // The whole range is used.
    EXPECT_GT(uniform.max, 0.99 * limit);

    Moments normal = moments(
        draw(scaling(c.scale, c.mode, KILN_DISTRIBUTION_UNTRUNCATED_NORMAL)));
    EXPECT_NEAR(normal.mean, 0.0, 0.01 * stddev);
    EXPECT_NEAR(normal.stddev, stddev, 0.01 * stddev);
    EXPECT_GT(normal.max, 3.5 * stddev); // Not truncated.

    // Truncated at two standard deviations of the widened distribution,
    // yet of the intended variance.
    Moments truncated = moments(
        draw(scaling(c.scale, c.mode, KILN_DISTRIBUTION_TRUNCATED_NORMAL)));
    const double bound = 2.0 * stddev / 0.87962566103423978;
    EXPECT_NEAR(truncated.mean, 0.0, 0.01 * stddev);
    EXPECT_NEAR(truncated.stddev, stddev, 0.01 * stddev);
    EXPECT_GE(truncated.min, -bound * 1.000001);
    EXPECT_LE(truncated.max, bound * 1.000001);
    EXPECT_GT(truncated.max, 0.99 * bound);
  }
}

TEST(InitTest, VarianceScalingUsesTheConvolutionFans) {
  // HWIO 3x3x8x16: fan_in 72; He normal's stddev sqrt(2 / 72).
  KilnParamDesc desc = param(4, {3, 3, 8, 16}, KILN_INIT_VARIANCE_SCALING);
  desc.init_args.scale = 2.0f;
  desc.init_args.mode = KILN_FAN_IN;
  desc.init_args.distribution = KILN_DISTRIBUTION_UNTRUNCATED_NORMAL;
  std::vector<float> values(3 * 3 * 8 * 16 * 100);
  // Draw the kernel 100 times over for enough samples.
  Rng rng(5, 0x100);
  for (size_t i = 0; i < values.size(); i += 3 * 3 * 8 * 16)
    initializeParameter(desc, values.data() + i, 3 * 3 * 8 * 16, rng);
  EXPECT_NEAR(moments(values).stddev, std::sqrt(2.0 / 72.0),
              0.01 * std::sqrt(2.0 / 72.0));
}

TEST(InitTest, RandomUniformStaysInItsBounds) {
  KilnParamDesc desc = param(2, {400, 500}, KILN_INIT_RANDOM_UNIFORM);
  desc.init_args.minval = -0.5f;
  desc.init_args.maxval = 1.5f;
  Moments m = moments(draw(desc));
  EXPECT_GE(m.min, -0.5);
  EXPECT_LT(m.max, 1.5);
  EXPECT_LT(m.min, -0.49);
  EXPECT_GT(m.max, 1.49);
  EXPECT_NEAR(m.mean, 0.5, 0.01);
  EXPECT_NEAR(m.stddev, 2.0 / std::sqrt(12.0), 0.005);
}

TEST(InitTest, RandomNormalHasItsMeanAndStddev) {
  KilnParamDesc desc = param(2, {400, 500}, KILN_INIT_RANDOM_NORMAL);
  desc.init_args.mean = 3.0f;
  desc.init_args.stddev = 0.25f;
  Moments m = moments(draw(desc));
  EXPECT_NEAR(m.mean, 3.0, 0.01 * 0.25);
  EXPECT_NEAR(m.stddev, 0.25, 0.01 * 0.25);
  EXPECT_GT(m.max, 3.0 + 3.5 * 0.25);
}

TEST(InitTest, TruncatedNormalRedrawsBeyondTwoStddev) {
  KilnParamDesc desc = param(2, {400, 500}, KILN_INIT_TRUNCATED_NORMAL);
  desc.init_args.mean = -1.0f;
  desc.init_args.stddev = 0.5f;
  Moments m = moments(draw(desc));
  EXPECT_GE(m.min, -1.0 - 2 * 0.5 - 1e-6);
  EXPECT_LE(m.max, -1.0 + 2 * 0.5 + 1e-6);
  // Redrawn rather than clamped: the ends are reached but not piled up,
  // and the spread is that of the truncated distribution.
  EXPECT_LT(m.min, -1.0 - 0.99 * 2 * 0.5);
  EXPECT_NEAR(m.mean, -1.0, 0.01 * 0.5);
  EXPECT_NEAR(m.stddev, 0.87962566103423978 * 0.5, 0.01 * 0.5);
  std::vector<float> values = draw(desc);
  EXPECT_LT(std::count(values.begin(), values.end(), 0.0f), 3);
  EXPECT_LT(std::count(values.begin(), values.end(), -2.0f), 3);
}

TEST(InitTest, RandomInitializersAreDeterministicPerSeed) {
  for (int32_t kind :
       {KILN_INIT_RANDOM_UNIFORM, KILN_INIT_RANDOM_NORMAL,
        KILN_INIT_TRUNCATED_NORMAL, KILN_INIT_VARIANCE_SCALING}) {
    KilnParamDesc desc = param(2, {30, 40}, kind);
    desc.init_args = {1.0f,  KILN_FAN_AVG, KILN_DISTRIBUTION_TRUNCATED_NORMAL,
                      -1.0f, 1.0f,         0.0f,
                      1.0f,  0.0f,         1.0f};
    EXPECT_EQ(draw(desc, 9), draw(desc, 9)) << kind;
    EXPECT_NE(draw(desc, 9), draw(desc, 10)) << kind;
  }
}

TEST(InitTest, ConstantAndIdentity) {
  KilnParamDesc constant = param(2, {2, 3}, KILN_INIT_CONSTANT);
  constant.init_args.value = -0.75f;
  std::vector<float> values(6, 7.0f);
  Rng rng(1, 1);
  initializeParameter(constant, values.data(), 6, rng);
  EXPECT_EQ(values, std::vector<float>(6, -0.75f));

  KilnParamDesc identity = param(2, {2, 3}, KILN_INIT_IDENTITY);
  identity.init_args.gain = 2.0f;
  initializeParameter(identity, values.data(), 6, rng);
  EXPECT_EQ(values, (std::vector<float>{2, 0, 0, 0, 2, 0}));
  KilnParamDesc tall = param(2, {3, 2}, KILN_INIT_IDENTITY);
  initializeParameter(tall, values.data(), 6, rng);
  EXPECT_EQ(values, (std::vector<float>{1, 0, 0, 1, 0, 0}));
}

TEST(InitTest, OrthogonalGainScalesTheRows) {
  KilnParamDesc kernel = param(2, {8, 32}, KILN_INIT_ORTHOGONAL);
  kernel.init_args.gain = 3.0f;
  std::vector<float> values(8 * 32);
  Rng rng(3, 7);
  initializeParameter(kernel, values.data(), values.size(), rng);
  for (int64_t a = 0; a < 8; ++a)
    for (int64_t b = 0; b < 8; ++b)
      EXPECT_NEAR(dot(values, 32, true, a, b, 32), a == b ? 9.0 : 0.0, 1e-4);
}

} // namespace
