//===- Init.h - Parameter initializers --------------------------*- C++ -*-===//
//
// The initializers named in KilnParamDesc, drawn from the runtime's own
// generator so that a seed fixes the initial weights bitwise.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_INIT_H
#define KILN_RUNTIME_INIT_H

#include "kiln/runtime/abi.h"

#include <cstdint>

namespace kiln {
namespace runtime {

class Rng;

/// Fan-in and fan-out of a parameter, as Keras computes them.
struct Fans {
  double fanIn;
  double fanOut;
};

/// Keras's fans: rank 1 uses shape[0] for both; rank 2 is (in, out); higher
/// ranks are convolution kernels (spatial..., in, out) whose receptive field
/// multiplies both fans. Rank 0 counts as 1 and 1.
Fans computeFans(const KilnParamDesc &param);

/// The Glorot-uniform bound sqrt(6 / (fanIn + fanOut)).
float glorotLimit(const KilnParamDesc &param);

/// Keras's Orthogonal initializer (gain 1; initializeParameter applies
/// the gain) drawn from `rng`: the view
/// [count / shape[-1], shape[-1]] gets orthonormal columns when it is tall,
/// orthonormal rows when it is wide. Deterministic for a given generator.
void initializeOrthogonal(const KilnParamDesc &param, float *data,
                          int64_t count, Rng &rng);

/// A unit normal draw truncated to [-2, 2] by redrawing (Keras's
/// truncated normal), from `rng`.
double truncatedNormal(Rng &rng);

/// Fills `data` (the parameter's element count) according to its
/// initializer and its `init_args`. Glorot-uniform draws `-limit + 2 * limit *
/// u` with u from Rng::nextUnitFloat(), one draw per element in row-major
/// order.
void initializeParameter(const KilnParamDesc &param, float *data, int64_t count,
                         Rng &rng);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_INIT_H
