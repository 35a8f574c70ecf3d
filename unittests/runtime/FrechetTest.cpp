//===- FrechetTest.cpp - Eigensolver, statistics, Fréchet distance --------===//
//
// The distance is checked against closed forms (commuting covariances,
// 2x2 products, shifted copies) and invariances (rotations of both sets,
// swapping them) rather than against stored numbers, and the eigensolver
// by reconstructing its input.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Frechet.h"
#include "kiln/runtime/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace kiln::runtime;

namespace {

using Matrix = std::vector<double>;

Matrix randomSymmetric(size_t n, std::mt19937_64 &rng) {
  std::normal_distribution<double> normal;
  Matrix m(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j <= i; ++j)
      m[i * n + j] = m[j * n + i] = normal(rng);
  return m;
}

/// Checks that `eigen` decomposes `m`: ascending values, orthonormal
/// vectors, and V diag(values) Vᵀ = m.
void expectDecomposes(const Matrix &m, size_t n, const SymmetricEigen &eigen,
                      double tolerance) {
  ASSERT_EQ(eigen.values.size(), n);
  ASSERT_EQ(eigen.vectors.size(), n * n);
  for (size_t i = 1; i < n; ++i)
    EXPECT_LE(eigen.values[i - 1], eigen.values[i]);
  const Matrix &v = eigen.vectors; // row k: eigenvector k
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      double dot = 0.0, rebuilt = 0.0;
      for (size_t k = 0; k < n; ++k) {
        dot += v[a * n + k] * v[b * n + k];
        rebuilt += v[k * n + a] * eigen.values[k] * v[k * n + b];
      }
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, tolerance) << a << "," << b;
      EXPECT_NEAR(rebuilt, m[a * n + b], tolerance) << a << "," << b;
    }
}

TEST(SymmetricEigenTest, ReconstructsRandomMatrices) {
  std::mt19937_64 rng(1);
  for (size_t n : {1, 2, 3, 7, 40}) {
    Matrix m = randomSymmetric(n, rng);
    expectDecomposes(m, n, symmetricEigen(m, n, true), 1e-11);
  }
}

TEST(SymmetricEigenTest, RepeatedAndZeroEigenvalues) {
  // diag(2, 0, 2, 0, 5) rotated by a Householder reflection: repeated
  // eigenvalues and a null space, as a rank-deficient covariance has.
  const size_t n = 5;
  const double d[n] = {2, 0, 2, 0, 5};
  const double u[n] = {0.5, -0.5, 0.5, 0.5, 0.0}; // unit
  Matrix m(n * n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      for (size_t k = 0; k < n; ++k) {
        double hik = (i == k) - 2 * u[i] * u[k];
        double hjk = (j == k) - 2 * u[j] * u[k];
        m[i * n + j] += hik * d[k] * hjk;
      }
  SymmetricEigen eigen = symmetricEigen(m, n, true);
  expectDecomposes(m, n, eigen, 1e-12);
  const double expected[n] = {0, 0, 2, 2, 5};
  for (size_t i = 0; i < n; ++i)
    EXPECT_NEAR(eigen.values[i], expected[i], 1e-12);

  // Already diagonal, and the zero matrix: nothing to rotate.
  Matrix zero(9, 0.0);
  SymmetricEigen none = symmetricEigen(zero, 3, false);
  EXPECT_EQ(none.values, std::vector<double>(3, 0.0));
  EXPECT_TRUE(none.vectors.empty());
}

TEST(SymmetricEigenTest, ValuesAloneMatchValuesWithVectors) {
  std::mt19937_64 rng(2);
  Matrix m = randomSymmetric(30, rng);
  SymmetricEigen with = symmetricEigen(m, 30, true);
  SymmetricEigen without = symmetricEigen(m, 30, false);
  for (size_t i = 0; i < 30; ++i)
    EXPECT_NEAR(with.values[i], without.values[i], 1e-12);
}

/// `count` samples of `dims` correlated features: x = A g + offset with g
/// standard normal.
std::vector<float> correlatedSamples(int64_t count, int64_t dims, uint64_t seed,
                                     double offset) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix mix(dims * dims);
  for (double &x : mix)
    x = normal(rng) / std::sqrt(double(dims));
  std::vector<float> samples(count * dims);
  std::vector<double> g(dims);
  for (int64_t s = 0; s < count; ++s) {
    for (double &x : g)
      x = normal(rng);
    for (int64_t i = 0; i < dims; ++i) {
      double sum = offset;
      for (int64_t k = 0; k < dims; ++k)
        sum += mix[i * dims + k] * g[k];
      samples[s * dims + i] = static_cast<float>(sum);
    }
  }
  return samples;
}

TEST(FrechetTest, StatisticsAreTheUnbiasedMeanAndCovariance) {
  // Three samples of two features; numpy.cov divides by count - 1.
  const float x[] = {1, 2, 3, 6, 5, 1};
  GaussianStatistics s = computeStatistics(x, 3, 2);
  EXPECT_EQ(s.dims, 2);
  EXPECT_DOUBLE_EQ(s.mean[0], 3.0);
  EXPECT_DOUBLE_EQ(s.mean[1], 3.0);
  // Deviations (-2, -1), (0, 3), (2, -2).
  EXPECT_DOUBLE_EQ(s.covariance[0], 8.0 / 2);
  EXPECT_DOUBLE_EQ(s.covariance[1], -2.0 / 2);
  EXPECT_DOUBLE_EQ(s.covariance[2], -2.0 / 2);
  EXPECT_DOUBLE_EQ(s.covariance[3], 14.0 / 2);

  // A large common offset does not cost the spread its precision.
  const float shifted[] = {1e4f + 1, 1e4f + 2, 1e4f + 3};
  GaussianStatistics t = computeStatistics(shifted, 3, 1);
  EXPECT_DOUBLE_EQ(t.covariance[0], 1.0);

  EXPECT_THROW(computeStatistics(x, 1, 2), Error);
  EXPECT_THROW(computeStatistics(x, 3, 0), Error);
}

TEST(FrechetTest, IdenticalSetsAreAtDistanceZero) {
  std::vector<float> x = correlatedSamples(500, 12, 3, 0.5);
  GaussianStatistics s = computeStatistics(x.data(), 500, 12);
  double traceSum = 0;
  for (int i = 0; i < 12; ++i)
    traceSum += s.covariance[i * 12 + i];
  // Σ's smallest eigenvalues enter the product Σ^½ Σ Σ^½ squared, below its
  // round-off (1e-16 of the largest squared): their square roots carry
  // about 1e-8 of the largest eigenvalue each, measured 1.7e-11 in all.
  EXPECT_NEAR(frechetDistance(s, s), 0.0, 1e-9 * traceSum);
}

TEST(FrechetTest, DiagonalCovariancesHaveTheClosedForm) {
  GaussianStatistics a, b;
  a.dims = b.dims = 4;
  a.mean = {0.5, -1, 2, 0};
  b.mean = {1.5, -1, 0, 3};
  const double va[] = {4, 0.25, 9, 1e-3};
  const double vb[] = {1, 0.25, 16, 0};
  a.covariance.assign(16, 0.0);
  b.covariance.assign(16, 0.0);
  double expected = 1 + 0 + 4 + 9;
  for (int i = 0; i < 4; ++i) {
    a.covariance[i * 5] = va[i];
    b.covariance[i * 5] = vb[i];
    double d = std::sqrt(va[i]) - std::sqrt(vb[i]);
    expected += d * d;
  }
  EXPECT_NEAR(frechetDistance(a, b), expected, 1e-12 * expected);
}

TEST(FrechetTest, TwoByTwoProductsHaveTheClosedForm) {
  // For 2x2 covariances the eigenvalues m1, m2 of Σa Σb give
  // tr((Σa^½ Σb Σa^½)^½) = √m1 + √m2 = sqrt(tr(Σa Σb) + 2 sqrt(det Σa Σb)),
  // an independent check of the general (non-commuting) case.
  GaussianStatistics a, b;
  a.dims = b.dims = 2;
  a.mean = b.mean = {0, 0};
  a.covariance = {2.0, 0.7, 0.7, 1.0};
  b.covariance = {0.5, -0.3, -0.3, 3.0};
  const Matrix &p = a.covariance, &q = b.covariance;
  double trProduct = p[0] * q[0] + p[1] * q[2] + p[2] * q[1] + p[3] * q[3];
  double det = (p[0] * p[3] - p[1] * p[2]) * (q[0] * q[3] - q[1] * q[2]);
  double expected =
      p[0] + p[3] + q[0] + q[3] - 2 * std::sqrt(trProduct + 2 * std::sqrt(det));
  EXPECT_NEAR(frechetDistance(a, b), expected, 1e-12);
}

/// A random orthogonal matrix: Gram-Schmidt on a Gaussian matrix.
Matrix randomRotation(size_t n, std::mt19937_64 &rng) {
  std::normal_distribution<double> normal;
  Matrix q(n * n);
  for (double &x : q)
    x = normal(rng);
  for (size_t i = 0; i < n; ++i) {
    for (int pass = 0; pass < 2; ++pass)
      for (size_t j = 0; j < i; ++j) {
        double dot = 0;
        for (size_t k = 0; k < n; ++k)
          dot += q[i * n + k] * q[j * n + k];
        for (size_t k = 0; k < n; ++k)
          q[i * n + k] -= dot * q[j * n + k];
      }
    double norm = 0;
    for (size_t k = 0; k < n; ++k)
      norm += q[i * n + k] * q[i * n + k];
    for (size_t k = 0; k < n; ++k)
      q[i * n + k] /= std::sqrt(norm);
  }
  return q;
}

std::vector<float> rotate(const std::vector<float> &x, int64_t count, size_t n,
                          const Matrix &r) {
  std::vector<float> out(x.size());
  for (int64_t s = 0; s < count; ++s)
    for (size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (size_t k = 0; k < n; ++k)
        sum += r[i * n + k] * x[s * n + k];
      out[s * n + i] = static_cast<float>(sum);
    }
  return out;
}

TEST(FrechetTest, InvariantUnderARotationOfBothSets) {
  const int64_t dims = 16, count = 400;
  std::vector<float> x = correlatedSamples(count, dims, 4, 0.0);
  std::vector<float> y = correlatedSamples(count, dims, 5, 0.3);
  std::mt19937_64 rng(6);
  Matrix r = randomRotation(dims, rng);
  std::vector<float> rx = rotate(x, count, dims, r);
  std::vector<float> ry = rotate(y, count, dims, r);
  double before = frechetDistance(computeStatistics(x.data(), count, dims),
                                  computeStatistics(y.data(), count, dims));
  double after = frechetDistance(computeStatistics(rx.data(), count, dims),
                                 computeStatistics(ry.data(), count, dims));
  ASSERT_GT(before, 0.1);
  // The rotated samples are rounded to float: 1e-6 of the distance.
  EXPECT_NEAR(after, before, 1e-5 * before);
}

TEST(FrechetTest, Symmetric) {
  const int64_t dims = 9, count = 300;
  std::vector<float> x = correlatedSamples(count, dims, 7, 0.0);
  std::vector<float> y = correlatedSamples(count, dims, 8, -1.0);
  GaussianStatistics a = computeStatistics(x.data(), count, dims);
  GaussianStatistics b = computeStatistics(y.data(), count, dims);
  double ab = frechetDistance(a, b), ba = frechetDistance(b, a);
  ASSERT_GT(ab, 1.0);
  EXPECT_NEAR(ab, ba, 1e-12 * ab);
}

TEST(FrechetTest, AShiftedCopyIsAtTheSquaredShift) {
  // dims 256, the size the distance must handle quickly: the covariances
  // are equal, so only |shift|² remains.
  const int64_t dims = 256, count = 600;
  std::vector<float> x = correlatedSamples(count, dims, 9, 0.0);
  std::vector<float> y(x);
  double shiftNorm2 = 0;
  for (int64_t i = 0; i < dims; ++i) {
    // The float rounding of the shifted samples changes the covariance by
    // about 1e-7, which enters the distance only squared.
    float shift = static_cast<float>((i % 5) - 2) / 8;
    shiftNorm2 += double(shift) * shift;
    for (int64_t s = 0; s < count; ++s)
      y[s * dims + i] += shift;
  }
  GaussianStatistics a = computeStatistics(x.data(), count, dims);
  GaussianStatistics b = computeStatistics(y.data(), count, dims);
  EXPECT_NEAR(frechetDistance(a, b), shiftNorm2, 1e-6 * shiftNorm2);
}

TEST(FrechetTest, RefusesMismatchedFeatures) {
  GaussianStatistics a, b;
  a.dims = 2;
  a.mean = {0, 0};
  a.covariance = {1, 0, 0, 1};
  b.dims = 1;
  b.mean = {0};
  b.covariance = {1};
  EXPECT_THROW(frechetDistance(a, b), Error);
}

} // namespace
