//===- PredictImage.cpp - predict --output FILE.png -----------------------===//

#include "kiln/runtime/PredictImage.h"
#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Png.h"
#include "kiln/runtime/Trainer.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

namespace {

/// The model's inputs as it receives them: stored values through
/// --normalize, as BatchBuffers converts them.
std::vector<float> normalizedInputs(const Dataset &samples,
                                    const Options &options) {
  DataView view(samples);
  const int64_t total = samples.count * samples.sampleElements;
  std::vector<float> values(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) {
    float value = view.floats ? view.floats[i] : float(view.inputs[i]);
    if (options.normalizeScale != 1.0f || options.normalizeOffset != 0.0f)
      value = value * options.normalizeScale + options.normalizeOffset;
    values[static_cast<size_t>(i)] = value;
  }
  return values;
}

} // namespace

namespace {

TileShape outputTile(const ModelInfo &model, const Options &options) {
  if (model.numOutputs() != 1)
    fail("--output %s draws one output as images, but the model has %d "
         "outputs: write them as one .npz",
         options.output.c_str(), model.numOutputs());
  const OutputSpec &output = model.output(0);
  return tileShapeOf(
      std::vector<int64_t>(output.shape, output.shape + output.rank),
      "the model output " + output.name);
}

} // namespace

void checkPredictionImage(const ModelInfo &model, const Options &options) {
  outputTile(model, options);
}

void writePredictionImage(const ModelInfo &model, const Options &options,
                          const Dataset &samples, Trainer &trainer) {
  const TileShape tile = outputTile(model, options);
  const OutputSpec &output = model.output(0);
  const PixelRange range = parsePixelRange("--pixel-range", options.pixelRange);
  const int64_t count = samples.count;
  const int64_t tileElements = tile.elements();

  std::vector<float> outputs;
  outputs.reserve(static_cast<size_t>(count * tileElements));
  trainer.predict(
      DataView(samples), [&](const float *const *values, int64_t n) {
        outputs.insert(outputs.end(), values[0], values[0] + n * tileElements);
      });
  std::vector<uint8_t> outputPixels(outputs.size());
  toPixels(outputs.data(), int64_t(outputs.size()), range, outputPixels.data());

  GridLayout layout;
  layout.columns = options.gridColumns;
  if (!options.withInputs) {
    writePng(options.output,
             composeGrid(outputPixels.data(), count, tile, layout));
    return;
  }

  if (model.numInputs() != 1 || samples.sampleElements != tileElements)
    fail("--with-inputs draws each input beside its output, but the input "
         "%s has %lld elements and the output %s %s has %lld",
         model.input(0).name.c_str(),
         static_cast<long long>(samples.sampleElements), output.name.c_str(),
         formatShape(output.rank, output.shape).c_str(),
         static_cast<long long>(tileElements));
  std::vector<float> inputs = normalizedInputs(samples, options);
  std::vector<uint8_t> inputPixels(inputs.size());
  toPixels(inputs.data(), int64_t(inputs.size()), range, inputPixels.data());
  // About a square image: columns ~ sqrt(2 * count) for 2 rows per row of
  // samples.
  int64_t columns = layout.columns;
  if (columns <= 0)
    columns = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(std::sqrt(2.0 * double(count)))));
  columns = std::min(columns, count);
  layout.columns = columns;
  std::vector<uint8_t> tiles =
      interleaveRows(inputPixels.data(), outputPixels.data(), count,
                     tileElements, columns, layout.background);
  writePng(options.output,
           composeGrid(tiles.data(), int64_t(tiles.size()) / tileElements, tile,
                       layout));
}

} // namespace runtime
} // namespace kiln
