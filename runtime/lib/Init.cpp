//===- Init.cpp - Parameter initializers ----------------------------------===//

#include "kiln/runtime/Init.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Random.h"

#include <algorithm>
#include <cmath>

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

void initializeParameter(const KilnParamDesc &param, float *data, int64_t count,
                         Rng &rng) {
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
  default:
    fail("parameter '%s': unknown initializer %d", param.name,
         param.initializer);
  }
}

} // namespace runtime
} // namespace kiln
