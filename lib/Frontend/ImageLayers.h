//===- ImageLayers.h - Resizing and image augmentation as kiln ops -*- C++
//-*-===//
//
// Internal to the frontend: Resizing, UpSampling2D with bilinear
// interpolation and the random augmentation layers, all emitted as
// `kiln.image_transform` (a resampling through per-image projective
// transforms).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_IMAGELAYERS_H
#define KILN_LIB_FRONTEND_IMAGELAYERS_H

#include "kiln/Frontend/ModelAnalysis.h"

#include "mlir/IR/Builders.h"

namespace kiln {

/// Resizes NHWC `input` to `height`×`width` as TensorFlow's `resize` with
/// half-pixel centers and no antialiasing: output pixel `x` reads the input
/// at `(x + 0.5) · in / out - 0.5`, clamped to the image.
mlir::Value emitResize(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value input, int64_t height, int64_t width,
                       llvm::StringRef interpolation);

/// Resizing: Keras's centered crop to the output's aspect ratio (with
/// `crop_to_aspect_ratio`), then the resize.
mlir::Value emitResizing(mlir::OpBuilder &b, mlir::Location loc,
                         const fb::LayerT &layer, const LayerInfo &info,
                         mlir::Value input);

/// RandomFlip, RandomRotation, RandomZoom and RandomTranslation in
/// training: `kiln.random_image_transforms` draws one transform per image
/// from `rng` with the layer's `stream`, `kiln.image_transform` applies
/// them.
mlir::Value emitRandomImageLayer(mlir::OpBuilder &b, mlir::Location loc,
                                 const fb::LayerT &layer, const LayerInfo &info,
                                 mlir::Value input, mlir::Value rng,
                                 int64_t stream);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_IMAGELAYERS_H
