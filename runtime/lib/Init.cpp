//===- Init.cpp - Parameter initializers ----------------------------------===//

#include "kiln/runtime/Init.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Random.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln {
namespace runtime {

Fans computeFans(const KilnParamDesc &param) {
  const int64_t *shape = param.shape;
  switch (param.rank) {
  case 0:
    return {1.0, 1.0};
  case 1:
    return {double(shape[0]), double(shape[0])};
  case 2:
    return {double(shape[0]), double(shape[1])};
  default: {
    double receptiveField = 1.0;
    for (int32_t i = 0; i < param.rank - 2; ++i)
      receptiveField *= double(shape[i]);
    return {double(shape[param.rank - 2]) * receptiveField,
            double(shape[param.rank - 1]) * receptiveField};
  }
  }
}

float glorotLimit(const KilnParamDesc &param) {
  Fans fans = computeFans(param);
  return static_cast<float>(std::sqrt(6.0 / (fans.fanIn + fans.fanOut)));
}

/// A standard normal draw (Box-Muller on two unit floats, shifted away
/// from 0 so the logarithm is finite).
static double nextNormal(Rng &rng) {
  double u1 = (double(rng.nextUnitFloat()) + 0x1p-25);
  double u2 = double(rng.nextUnitFloat());
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

void initializeOrthogonal(const KilnParamDesc &param, float *data,
                          int64_t count, Rng &rng) {
  // As Keras: the 2-D view [rows, cols] with cols the last extent; a
  // normal matrix of the taller orientation is orthonormalized column by
  // column (modified Gram-Schmidt, in double, re-orthogonalized once, which
  // equals QR with a positive diagonal of R) and transposed back if needed.
  const int64_t cols = param.rank == 0 ? 1 : param.shape[param.rank - 1];
  const int64_t rows = cols == 0 ? 0 : count / cols;
  const int64_t tall = std::max(rows, cols), narrow = std::min(rows, cols);
  std::vector<double> q(size_t(tall * narrow)); // Column-major: q[j*tall+i].
  for (double &value : q)
    value = nextNormal(rng);
  for (int64_t j = 0; j < narrow; ++j) {
    double *column = &q[size_t(j * tall)];
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t k = 0; k < j; ++k) {
        const double *prev = &q[size_t(k * tall)];
        double dot = 0;
        for (int64_t i = 0; i < tall; ++i)
          dot += prev[i] * column[i];
        for (int64_t i = 0; i < tall; ++i)
          column[i] -= dot * prev[i];
      }
    double norm = 0;
    for (int64_t i = 0; i < tall; ++i)
      norm += column[i] * column[i];
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < tall; ++i)
      column[i] = norm > 0 ? column[i] / norm : 0.0;
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      data[r * cols + c] = float(rows >= cols ? q[size_t(c * tall + r)]
                                              : q[size_t(r * tall + c)]);
}

double truncatedNormal(Rng &rng) {
  // Keras's truncated normal redraws values more than two standard
  // deviations from the mean, rather than clamping them.
  for (;;) {
    double z = nextNormal(rng);
    if (std::abs(z) <= 2.0)
      return z;
  }
}

/// Keras's VarianceScaling: the distribution scaled to variance
/// `scale / fan`.
static void initializeVarianceScaling(const KilnParamDesc &param, float *data,
                                      int64_t count, Rng &rng) {
  const KilnInitArgs &args = param.init_args;
  Fans fans = computeFans(param);
  double fan = args.mode == KILN_FAN_IN    ? fans.fanIn
               : args.mode == KILN_FAN_OUT ? fans.fanOut
                                           : (fans.fanIn + fans.fanOut) / 2.0;
  double variance = double(args.scale) / std::max(1.0, fan);
  switch (args.distribution) {
  case KILN_DISTRIBUTION_UNIFORM: {
    const double limit = std::sqrt(3.0 * variance);
    for (int64_t i = 0; i < count; ++i)
      data[i] = float(-limit + 2.0 * limit * double(rng.nextUnitFloat()));
    return;
  }
  case KILN_DISTRIBUTION_UNTRUNCATED_NORMAL: {
    const double stddev = std::sqrt(variance);
    for (int64_t i = 0; i < count; ++i)
      data[i] = float(stddev * nextNormal(rng));
    return;
  }
  default: {
    // The standard deviation of a unit normal truncated to [-2, 2] is
    // 0.8796...; dividing by it restores the intended variance.
    const double stddev = std::sqrt(variance) / 0.87962566103423978;
    for (int64_t i = 0; i < count; ++i)
      data[i] = float(stddev * truncatedNormal(rng));
    return;
  }
  }
}

void initializeParameter(const KilnParamDesc &param, float *data, int64_t count,
                         Rng &rng) {
  const KilnInitArgs &args = param.init_args;
  switch (param.initializer) {
  case KILN_INIT_ZEROS:
    std::fill(data, data + count, 0.0f);
    return;
  case KILN_INIT_ONES:
    std::fill(data, data + count, 1.0f);
    return;
  case KILN_INIT_GLOROT_UNIFORM: {
    const float limit = glorotLimit(param);
    const float width = 2.0f * limit;
    for (int64_t i = 0; i < count; ++i)
      data[i] = -limit + width * rng.nextUnitFloat();
    return;
  }
  case KILN_INIT_ORTHOGONAL:
    initializeOrthogonal(param, data, count, rng);
    for (int64_t i = 0; i < count; ++i)
      data[i] *= args.gain;
    return;
  case KILN_INIT_UNIT_FORGET_BIAS: {
    std::fill(data, data + count, 0.0f);
    const int64_t units = count / 4;
    std::fill(data + units, data + 2 * units, 1.0f);
    return;
  }
  case KILN_INIT_CONSTANT:
    std::fill(data, data + count, args.value);
    return;
  case KILN_INIT_RANDOM_UNIFORM: {
    const double low = args.minval, width = double(args.maxval) - low;
    for (int64_t i = 0; i < count; ++i)
      data[i] = float(low + width * double(rng.nextUnitFloat()));
    return;
  }
  case KILN_INIT_RANDOM_NORMAL:
    for (int64_t i = 0; i < count; ++i)
      data[i] = float(args.mean + args.stddev * nextNormal(rng));
    return;
  case KILN_INIT_TRUNCATED_NORMAL:
    for (int64_t i = 0; i < count; ++i)
      data[i] = float(args.mean + args.stddev * truncatedNormal(rng));
    return;
  case KILN_INIT_VARIANCE_SCALING:
    initializeVarianceScaling(param, data, count, rng);
    return;
  case KILN_INIT_IDENTITY: {
    if (param.rank != 2)
      fail("parameter '%s': the identity initializer needs a matrix, got "
           "rank %d",
           param.name, param.rank);
    const int64_t cols = param.shape[1];
    for (int64_t i = 0; i < count; ++i)
      data[i] = i / cols == i % cols ? args.gain : 0.0f;
    return;
  }
  case KILN_INIT_DATA:
    std::copy(param.init_data, param.init_data + count, data);
    return;
  default:
    fail("parameter '%s': unknown initializer %d", param.name,
         param.initializer);
  }
}

} // namespace runtime
} // namespace kiln
