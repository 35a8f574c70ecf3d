//===- Frechet.cpp - Fréchet distance between Gaussian fits ---------------===//

#include "kiln/runtime/Frechet.h"
#include "kiln/runtime/Error.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

namespace kiln {
namespace runtime {

GaussianStatistics computeStatistics(const float *features, int64_t count,
                                     int64_t dims) {
  if (dims < 1)
    fail("Frechet statistics need feature vectors of at least one element");
  if (count < 2)
    fail("Frechet statistics need at least 2 samples, got %lld",
         static_cast<long long>(count));
  const size_t n = static_cast<size_t>(dims);
  GaussianStatistics stats;
  stats.dims = dims;
  stats.mean.assign(n, 0.0);
  // Two passes (the mean, then the centered products) rather than the sum
  // of squares minus the squared mean, which cancels catastrophically for
  // features with a large mean and a small spread.
  for (int64_t s = 0; s < count; ++s) {
    const float *row = features + s * dims;
    for (size_t i = 0; i < n; ++i)
      stats.mean[i] += row[i];
  }
  for (double &m : stats.mean)
    m /= static_cast<double>(count);

  stats.covariance.assign(n * n, 0.0);
  std::vector<double> centered(n);
  for (int64_t s = 0; s < count; ++s) {
    const float *row = features + s * dims;
    for (size_t i = 0; i < n; ++i)
      centered[i] = row[i] - stats.mean[i];
    // The upper triangle only; mirrored below.
    for (size_t i = 0; i < n; ++i) {
      const double ci = centered[i];
      double *out = &stats.covariance[i * n];
      for (size_t j = i; j < n; ++j)
        out[j] += ci * centered[j];
    }
  }
  const double divisor = static_cast<double>(count - 1);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i; j < n; ++j) {
      double value = stats.covariance[i * n + j] / divisor;
      stats.covariance[i * n + j] = value;
      stats.covariance[j * n + i] = value;
    }
  return stats;
}

namespace {

/// Reduces the symmetric n x n matrix `a` (full storage, overwritten) to
/// tridiagonal form T = Qᵀ A Q by Householder reflections: `diag` and `off`
/// receive T's diagonal and subdiagonal. With `z` non-null, z receives Qᵀ
/// (row-major), so that row i of z times A times row j of z is T[i][j].
void tridiagonalize(std::vector<double> &a, size_t n, std::vector<double> &diag,
                    std::vector<double> &off, std::vector<double> *z) {
  if (z) {
    z->assign(n * n, 0.0);
    for (size_t i = 0; i < n; ++i)
      (*z)[i * n + i] = 1.0;
  }
  std::vector<double> v(n), p(n), w(n), u(n);
  for (size_t k = 0; k + 2 < n; ++k) {
    // The reflection H = I - 2 v vᵀ of rows and columns k+1.. that maps
    // column k below the diagonal onto its first entry.
    const size_t m = n - k - 1;
    double tailNorm2 = 0.0;
    for (size_t i = 1; i < m; ++i) {
      double x = a[(k + 1 + i) * n + k];
      tailNorm2 += x * x;
    }
    if (tailNorm2 == 0.0)
      continue; // Already tridiagonal in this column.
    const double x0 = a[(k + 1) * n + k];
    const double norm = std::sqrt(x0 * x0 + tailNorm2);
    // The sign that adds to |x0| instead of cancelling it.
    const double alpha = x0 >= 0 ? -norm : norm;
    v[0] = x0 - alpha;
    for (size_t i = 1; i < m; ++i)
      v[i] = a[(k + 1 + i) * n + k];
    const double vNorm = std::sqrt(v[0] * v[0] + tailNorm2);
    for (size_t i = 0; i < m; ++i)
      v[i] /= vNorm;

    // H B H = B - v wᵀ - w vᵀ for the trailing block B, with p = B v and
    // w = 2 p - 2 (vᵀ p) v.
    double vp = 0.0;
    for (size_t i = 0; i < m; ++i) {
      const double *row = &a[(k + 1 + i) * n + k + 1];
      double sum = 0.0;
      for (size_t j = 0; j < m; ++j)
        sum += row[j] * v[j];
      p[i] = sum;
      vp += v[i] * sum;
    }
    for (size_t i = 0; i < m; ++i)
      w[i] = 2.0 * p[i] - 2.0 * vp * v[i];
    for (size_t i = 0; i < m; ++i) {
      double *row = &a[(k + 1 + i) * n + k + 1];
      const double vi = v[i], wi = w[i];
      for (size_t j = 0; j < m; ++j)
        row[j] -= vi * w[j] + wi * v[j];
    }
    a[(k + 1) * n + k] = alpha;
    a[k * n + k + 1] = alpha;
    for (size_t i = 1; i < m; ++i) {
      a[(k + 1 + i) * n + k] = 0.0;
      a[k * n + k + 1 + i] = 0.0;
    }

    // Qᵀ gains H on the left: rows k+1.. of z become H times them.
    if (z) {
      std::fill(u.begin(), u.end(), 0.0);
      for (size_t i = 0; i < m; ++i) {
        const double *row = &(*z)[(k + 1 + i) * n];
        const double vi = v[i];
        for (size_t j = 0; j < n; ++j)
          u[j] += vi * row[j];
      }
      for (size_t i = 0; i < m; ++i) {
        double *row = &(*z)[(k + 1 + i) * n];
        const double vi2 = 2.0 * v[i];
        for (size_t j = 0; j < n; ++j)
          row[j] -= vi2 * u[j];
      }
    }
  }
  diag.resize(n);
  off.assign(n > 0 ? n - 1 : 0, 0.0);
  for (size_t i = 0; i < n; ++i)
    diag[i] = a[i * n + i];
  for (size_t i = 0; i + 1 < n; ++i)
    off[i] = a[(i + 1) * n + i];
}

/// Diagonalizes the symmetric tridiagonal matrix (diag, off) in place by
/// implicit QR steps with Wilkinson shifts, chasing the bulge down with
/// Givens rotations; every rotation of rows k, k+1 is applied to the rows
/// of `z` too (when non-null), so that they end as the eigenvectors.
void diagonalizeTridiagonal(std::vector<double> &diag, std::vector<double> &off,
                            std::vector<double> *z, size_t n) {
  if (n < 2)
    return;
  // A few steps per eigenvalue suffice (the convergence is cubic); the
  // limit only guards against non-finite input.
  const int64_t maxSteps = 60 * static_cast<int64_t>(n);
  int64_t steps = 0;
  size_t end = n - 1; // The last row of the part not yet diagonal.
  while (end > 0) {
    // Deflate: an off-diagonal entry negligible against its neighbours on
    // the diagonal splits the matrix (relative to them, so that small
    // eigenvalues keep their relative accuracy).
    for (size_t i = 0; i < end; ++i)
      if (std::fabs(off[i]) <=
              DBL_EPSILON * (std::fabs(diag[i]) + std::fabs(diag[i + 1])) ||
          std::fabs(off[i]) < DBL_MIN)
        off[i] = 0.0;
    while (end > 0 && off[end - 1] == 0.0)
      --end;
    if (end == 0)
      break;
    size_t begin = end - 1; // The unreduced block is [begin, end].
    while (begin > 0 && off[begin - 1] != 0.0)
      --begin;
    if (++steps > maxSteps)
      fail("the symmetric eigensolver did not converge (non-finite "
           "covariance?)");

    // Wilkinson's shift: the eigenvalue of the trailing 2x2 block closer
    // to its last diagonal entry.
    const double delta = (diag[end - 1] - diag[end]) / 2.0;
    const double b = off[end - 1];
    const double shift =
        diag[end] -
        b * b / (delta + std::copysign(std::hypot(delta, b), delta));
    double x = diag[begin] - shift;
    double y = off[begin];
    for (size_t k = begin; k < end; ++k) {
      // The rotation of rows k, k+1 that maps (x, y) onto (r, 0): first the
      // shifted first column, then the bulge left by the previous rotation.
      const double r = std::hypot(x, y);
      const double c = r == 0.0 ? 1.0 : x / r;
      const double s = r == 0.0 ? 0.0 : y / r;
      if (k > begin)
        off[k - 1] = r;
      const double a = diag[k], e = off[k], d = diag[k + 1];
      diag[k] = c * c * a + 2.0 * c * s * e + s * s * d;
      diag[k + 1] = s * s * a - 2.0 * c * s * e + c * c * d;
      off[k] = c * s * (d - a) + (c * c - s * s) * e;
      if (k + 1 < end) {
        y = s * off[k + 1]; // The bulge at (k, k+2).
        off[k + 1] *= c;
        x = off[k];
      }
      if (z) {
        double *rowK = &(*z)[k * n];
        double *rowK1 = &(*z)[(k + 1) * n];
        for (size_t j = 0; j < n; ++j) {
          const double zk = rowK[j], zk1 = rowK1[j];
          rowK[j] = c * zk + s * zk1;
          rowK1[j] = c * zk1 - s * zk;
        }
      }
    }
  }
}

} // namespace

SymmetricEigen symmetricEigen(const std::vector<double> &matrix, int64_t n,
                              bool wantVectors) {
  const size_t size = static_cast<size_t>(n);
  if (n < 0 || matrix.size() != size * size)
    fail("symmetricEigen: expected a %lld x %lld matrix",
         static_cast<long long>(n), static_cast<long long>(n));
  // Symmetrize from the lower triangle.
  std::vector<double> a(matrix);
  for (size_t i = 0; i < size; ++i)
    for (size_t j = 0; j < i; ++j)
      a[j * size + i] = a[i * size + j];
  std::vector<double> diag, off, z;
  tridiagonalize(a, size, diag, off, wantVectors ? &z : nullptr);
  diagonalizeTridiagonal(diag, off, wantVectors ? &z : nullptr, size);

  std::vector<size_t> order(size);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return diag[i] < diag[j]; });
  SymmetricEigen result;
  result.values.resize(size);
  for (size_t i = 0; i < size; ++i)
    result.values[i] = diag[order[i]];
  if (wantVectors) {
    result.vectors.resize(size * size);
    for (size_t i = 0; i < size; ++i)
      std::copy_n(&z[order[i] * size], size, &result.vectors[i * size]);
  }
  return result;
}

namespace {

/// c = a b for n x n row-major matrices.
std::vector<double> multiply(const std::vector<double> &a,
                             const std::vector<double> &b, size_t n) {
  std::vector<double> c(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double *out = &c[i * n];
    for (size_t k = 0; k < n; ++k) {
      const double aik = a[i * n + k];
      const double *row = &b[k * n];
      for (size_t j = 0; j < n; ++j)
        out[j] += aik * row[j];
    }
  }
  return c;
}

double trace(const std::vector<double> &m, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i)
    sum += m[i * n + i];
  return sum;
}

} // namespace

double frechetDistance(const GaussianStatistics &a,
                       const GaussianStatistics &b) {
  if (a.dims != b.dims)
    fail("the Frechet distance needs features of one size, got %lld and %lld "
         "elements",
         static_cast<long long>(a.dims), static_cast<long long>(b.dims));
  const size_t n = static_cast<size_t>(a.dims);
  for (const GaussianStatistics *s : {&a, &b})
    if (s->mean.size() != n || s->covariance.size() != n * n)
      fail("Frechet statistics of %zu features hold %zu means and %zu "
           "covariances",
           n, s->mean.size(), s->covariance.size());

  double meanTerm = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = a.mean[i] - b.mean[i];
    meanTerm += d * d;
  }

  // Σa^½ = V diag(√λ) Vᵀ; with the eigenvectors as the rows of E (V = Eᵀ),
  // that is Eᵀ (diag(√λ) E).
  SymmetricEigen eigenA = symmetricEigen(a.covariance, a.dims, true);
  std::vector<double> scaled(eigenA.vectors);
  for (size_t k = 0; k < n; ++k) {
    const double root = std::sqrt(std::max(eigenA.values[k], 0.0));
    for (size_t j = 0; j < n; ++j)
      scaled[k * n + j] *= root;
  }
  std::vector<double> rootA(n * n, 0.0);
  for (size_t k = 0; k < n; ++k)
    for (size_t i = 0; i < n; ++i) {
      const double eki = eigenA.vectors[k * n + i];
      double *out = &rootA[i * n];
      const double *row = &scaled[k * n];
      for (size_t j = 0; j < n; ++j)
        out[j] += eki * row[j];
    }

  // tr((Σa^½ Σb Σa^½)^½) is the sum of the square roots of the eigenvalues
  // of that symmetric positive semi-definite product.
  std::vector<double> product =
      multiply(multiply(rootA, b.covariance, n), rootA, n);
  SymmetricEigen eigenProduct = symmetricEigen(product, a.dims, false);
  double rootTrace = 0.0;
  for (double value : eigenProduct.values)
    rootTrace += std::sqrt(std::max(value, 0.0));

  return meanTerm + trace(a.covariance, n) + trace(b.covariance, n) -
         2.0 * rootTrace;
}

} // namespace runtime
} // namespace kiln
