//===- Frechet.h - Fréchet distance between Gaussian fits -------*- C++ -*-===//
//
// The Fréchet distance between two sets of feature vectors, each fitted
// with a Gaussian (mean and covariance): the measure of generated samples
// against real ones behind the FID, here in the feature space of any
// compiled model's output (`./model frechet`, docs/cli.md).
//
//   d² = |μa - μb|² + tr(Σa) + tr(Σb) - 2 tr((Σa^½ Σb Σa^½)^½)
//
// Everything is computed in double. The matrix square roots come from the
// runtime's own symmetric eigensolver (Householder tridiagonalization, then
// implicit QR steps with Wilkinson shifts), so the runtime needs no LAPACK.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_FRECHET_H
#define KILN_RUNTIME_FRECHET_H

#include <cstdint>
#include <vector>

namespace kiln {
namespace runtime {

/// The Gaussian fitted to a set of feature vectors.
struct GaussianStatistics {
  int64_t dims = 0;
  /// `dims` values.
  std::vector<double> mean;
  /// dims x dims, row-major, symmetric.
  std::vector<double> covariance;
};

/// Mean and covariance of `count` vectors of `dims` floats each (row-major),
/// accumulated in double; the covariance divides by count - 1, as
/// numpy.cov. Throws an Error when count < 2 or dims < 1.
GaussianStatistics computeStatistics(const float *features, int64_t count,
                                     int64_t dims);

/// The squared Fréchet distance between the Gaussians `a` and `b` (what the
/// FID reports). Eigenvalues made slightly negative by round-off count as
/// zero. Throws an Error when the dimensions differ or the eigensolver does
/// not converge.
double frechetDistance(const GaussianStatistics &a,
                       const GaussianStatistics &b);

/// The eigen decomposition of a symmetric matrix.
struct SymmetricEigen {
  /// The eigenvalues, ascending.
  std::vector<double> values;
  /// Row k is the unit eigenvector of values[k] (n x n, row-major); empty
  /// unless vectors were asked for.
  std::vector<double> vectors;
};

/// Decomposes the symmetric n x n row-major `matrix` (only its lower
/// triangle is read). Throws an Error if the iteration does not converge
/// (it does in a few steps per eigenvalue on any finite input).
SymmetricEigen symmetricEigen(const std::vector<double> &matrix, int64_t n,
                              bool wantVectors);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_FRECHET_H
