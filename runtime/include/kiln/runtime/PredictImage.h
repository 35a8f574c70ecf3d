//===- PredictImage.h - predict --output FILE.png ---------------*- C++ -*-===//
//
// Draws a model's predictions as one PNG grid of images (Png.h): each
// sample's output is a tile (H x W x 1|3, H x W, or a square vector), and
// with --with-inputs each row of inputs (as the model receives them, after
// --normalize) is drawn above the row of their outputs, the originals above
// the reconstructions of an autoencoder.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PREDICTIMAGE_H
#define KILN_RUNTIME_PREDICTIMAGE_H

namespace kiln {
namespace runtime {

class ModelInfo;
class Trainer;
struct Dataset;
struct Options;

/// Checks that the model's output can be drawn (one output, an image
/// shape); called before loading anything, so that the mistake is reported
/// first.
void checkPredictionImage(const ModelInfo &model, const Options &options);

/// Runs predict over `samples` and writes the grid to options.output
/// (atomically), per options.gridColumns, withInputs and pixelRange.
void writePredictionImage(const ModelInfo &model, const Options &options,
                          const Dataset &samples, Trainer &trainer);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_PREDICTIMAGE_H
