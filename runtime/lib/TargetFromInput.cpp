//===- TargetFromInput.cpp - Autoencoders: the input is the target --------===//

#include "kiln/runtime/TargetFromInput.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

void checkTargetFromInput(const ModelInfo &model) {
  if (model.numInputs() != 1 || model.numOutputs() != 1)
    fail("--target input needs a model with one input and one output; this "
         "one has %d inputs and %d outputs (give each output's targets as "
         "--target NAME=FILE.npy)",
         model.numInputs(), model.numOutputs());
  const InputSpec &input = model.input(0);
  const OutputSpec &output = model.output(0);
  if (input.intValues)
    fail("--target input: the model input %s takes int32 values, which "
         "cannot be float targets",
         input.name.c_str());
  if (!output.floatTargets)
    fail("--target input: the loss of output %s (%s) takes class labels; "
         "an autoencoder needs a loss of float targets (mse, mae, huber, "
         "binary_crossentropy)",
         output.name.c_str(), output.loss.c_str());
  if (output.targetElements != input.elements)
    fail("--target input: the output %s %s has %lld elements but the input "
         "%s %s has %lld",
         output.name.c_str(), formatShape(output.rank, output.shape).c_str(),
         static_cast<long long>(output.targetElements), input.name.c_str(),
         formatShape(input.rank, input.shape).c_str(),
         static_cast<long long>(input.elements));
}

void checkInputTargets(const ModelInfo &model, const Dataset &data, float scale,
                       float offset, const std::string &name) {
  const std::string &loss = model.output(0).loss;
  if (loss != "binary_crossentropy" || data.count == 0)
    return;
  // The extremes of the stored values, then through the affine map (a
  // negative scale swaps them).
  const int64_t total = data.count * data.sampleElements;
  double low, high;
  if (data.floatInputs) {
    const float *values =
        data.mappedFloats ? data.mappedFloats : data.floats.data();
    auto [lo, hi] = std::minmax_element(values, values + total);
    low = *lo;
    high = *hi;
  } else {
    const uint8_t *values =
        data.mappedInputs ? data.mappedInputs : data.inputs.data();
    auto [lo, hi] = std::minmax_element(values, values + total);
    low = *lo;
    high = *hi;
  }
  double a = low * double(scale) + double(offset);
  double b = high * double(scale) + double(offset);
  low = std::min(a, b);
  high = std::max(a, b);
  // One float rounding step of slack: 255 * (1/255) may round above 1.
  if (low < -1e-6 || high > 1.0 + 1e-6 || !std::isfinite(low) ||
      !std::isfinite(high))
    fail("%s: --target input with binary_crossentropy needs targets in "
         "[0, 1], but the inputs (after --normalize) range over [%g, %g]; "
         "for pixels give --normalize scale=0.00392156862745",
         name.c_str(), low, high);
}

} // namespace runtime
} // namespace kiln
