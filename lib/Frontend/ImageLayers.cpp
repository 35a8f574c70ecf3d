//===- ImageLayers.cpp - Resizing and image augmentation as kiln ops ------===//
//
// Every layer here is a `kiln.image_transform`: a resize is the affine map
// of TensorFlow's half-pixel convention with the `nearest` fill (its
// clamping), a crop an integer translation read with nearest
// interpolation (exact), and the augmentation layers apply the transforms
// `kiln.random_image_transforms` draws. One op, one lowering and one
// gradient rule serve them all.
//
//===----------------------------------------------------------------------===//

#include "ImageLayers.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include "llvm/Support/MathExtras.h"

using namespace ::kiln;
using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::ShapedType;
using mlir::Value;
namespace kd = mlir::kiln;

/// An N×height×width×C tensor type with `like`'s batch and channels.
static RankedTensorType imageType(Value like, int64_t height, int64_t width) {
  auto type = mlir::cast<RankedTensorType>(like.getType());
  return RankedTensorType::get(
      {type.getDimSize(0), height, width, type.getDimSize(3)},
      type.getElementType());
}

/// `input` resampled to height×width through one transform for the batch.
static Value transformAll(OpBuilder &b, Location loc, Value input,
                          int64_t height, int64_t width,
                          ArrayRef<float> transform, StringRef interpolation,
                          StringRef fillMode) {
  auto type = RankedTensorType::get({1, 8}, b.getF32Type());
  Value transforms = mlir::arith::ConstantOp::create(
      b, loc, type, mlir::DenseElementsAttr::get(type, transform));
  return kd::ImageTransformOp::create(
      b, loc, imageType(input, height, width), input, transforms,
      b.getStringAttr(interpolation), b.getStringAttr(fillMode),
      b.getF32FloatAttr(0.0f));
}

Value kiln::emitResize(OpBuilder &b, Location loc, Value input, int64_t height,
                       int64_t width, StringRef interpolation) {
  auto type = mlir::cast<RankedTensorType>(input.getType());
  int64_t inHeight = type.getDimSize(1), inWidth = type.getDimSize(2);
  if (inHeight == height && inWidth == width)
    return input; // The half-pixel map is then the identity.
  // TensorFlow computes the scale in float: in / out.
  float sx = static_cast<float>(inWidth) / static_cast<float>(width);
  float sy = static_cast<float>(inHeight) / static_cast<float>(height);
  SmallVector<float, 8> transform = {
      sx, 0.0f, 0.5f * sx - 0.5f, 0.0f, sy, 0.5f * sy - 0.5f, 0.0f, 0.0f};
  return transformAll(b, loc, input, height, width, transform, interpolation,
                      "nearest");
}

Value kiln::emitResizing(OpBuilder &b, Location loc, const fb::LayerT &layer,
                         const LayerInfo &info, Value input) {
  int64_t height = info.inputShape[0], width = info.inputShape[1];
  if (layer.crop_to_aspect_ratio) {
    // Keras: the largest window of the target's aspect ratio, centered
    // (integer truncation as Keras computes it).
    double targetHeight = static_cast<double>(layer.height);
    double targetWidth = static_cast<double>(layer.width);
    int64_t cropHeight = static_cast<int64_t>(static_cast<double>(width) *
                                              targetHeight / targetWidth);
    cropHeight = std::max<int64_t>(std::min(height, cropHeight), 1);
    int64_t cropWidth = static_cast<int64_t>(static_cast<double>(height) *
                                             targetWidth / targetHeight);
    cropWidth = std::max<int64_t>(std::min(width, cropWidth), 1);
    int64_t top = (height - cropHeight) / 2, left = (width - cropWidth) / 2;
    if (cropHeight != height || cropWidth != width) {
      SmallVector<float, 8> shift = {1.0f, 0.0f, static_cast<float>(left),
                                     0.0f, 1.0f, static_cast<float>(top),
                                     0.0f, 0.0f};
      input = transformAll(b, loc, input, cropHeight, cropWidth, shift,
                           "nearest", "nearest");
    }
  }
  return emitResize(b, loc, input, layer.height, layer.width,
                    layer.interpolation);
}

Value kiln::emitRandomImageLayer(OpBuilder &b, Location loc,
                                 const fb::LayerT &layer, const LayerInfo &info,
                                 Value input, Value rng, int64_t stream) {
  StringRef kind;
  SmallVector<float, 4> ranges;
  std::string interpolation = layer.interpolation;
  std::string fillMode = layer.fill_mode;
  switch (info.kind) {
  case LayerKind::RandomFlip:
    kind = "flip";
    ranges = {layer.mode != "vertical" ? 1.0f : 0.0f,
              layer.mode != "horizontal" ? 1.0f : 0.0f};
    // A flip maps pixels onto pixels: nearest reads them exactly.
    interpolation = "nearest";
    fillMode = "nearest";
    break;
  case LayerKind::RandomRotation: {
    kind = "rotation";
    const float turn = 2.0f * llvm::numbers::pif;
    ranges = {layer.factor[0] * turn, layer.factor[1] * turn};
    break;
  }
  case LayerKind::RandomZoom:
    kind = "zoom";
    // Keras zooms by 1 + factor: positive factors zoom out.
    for (float f : layer.height_factor)
      ranges.push_back(1.0f + f);
    for (float f : layer.width_factor)
      ranges.push_back(1.0f + f);
    break;
  default:
    kind = "translation";
    ranges.append(layer.height_factor.begin(), layer.height_factor.end());
    ranges.append(layer.width_factor.begin(), layer.width_factor.end());
    break;
  }
  auto inputType = mlir::cast<RankedTensorType>(input.getType());
  auto transformsType =
      RankedTensorType::get({inputType.getDimSize(0), 8}, b.getF32Type());
  Value transforms = kd::RandomImageTransformsOp::create(
      b, loc, transformsType, input, rng, b.getStringAttr(kind),
      b.getDenseF32ArrayAttr(ranges), b.getI64IntegerAttr(stream));
  return kd::ImageTransformOp::create(
      b, loc, inputType, input, transforms, b.getStringAttr(interpolation),
      b.getStringAttr(fillMode), b.getF32FloatAttr(layer.fill_value));
}
