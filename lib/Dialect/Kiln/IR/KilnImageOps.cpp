//===- KilnImageOps.cpp - Image resampling and random transforms ----------===//
//
// Verifiers and gradient rules of the ops in KilnImageOps.td, each rule
// directly below its op's verifier.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// An NHWC image batch with static height and width.
static bool isImageBatch(RankedTensorType type) {
  return type.getRank() == 4 && !type.isDynamicDim(1) && !type.isDynamicDim(2);
}

/// Checks what image_transform and its gradient share: the images (`input`
/// read, `output` written by the forward op), the transforms' shape and the
/// resampling options.
static LogicalResult verifyImageTransform(Operation *op, RankedTensorType input,
                                          RankedTensorType output,
                                          RankedTensorType transforms,
                                          StringRef interpolation,
                                          StringRef fillMode, float fillValue) {
  if (!isImageBatch(input) || !isImageBatch(output))
    return op->emitOpError("expects NHWC images with static height and "
                           "width, got ")
           << input << " and " << output;
  if (!extentsAgree(input.getDimSize(0), output.getDimSize(0)) ||
      !extentsAgree(input.getDimSize(3), output.getDimSize(3)))
    return op->emitOpError("expects the same batch and channels in and out, "
                           "got ")
           << input << " and " << output;
  if (transforms.getRank() != 2 || transforms.getDimSize(1) != 8)
    return op->emitOpError("expects transforms of shape Nx8 or 1x8, got ")
           << transforms;
  int64_t rows = transforms.getDimSize(0);
  if (rows != 1 && !extentsAgree(rows, input.getDimSize(0)))
    return op->emitOpError("expects one transform per image or one for all, "
                           "got ")
           << transforms << " for " << input;
  if (interpolation != "bilinear" && interpolation != "nearest")
    return op->emitOpError("expects interpolation bilinear or nearest, got ")
           << interpolation;
  if (fillMode != "constant" && fillMode != "reflect" && fillMode != "wrap" &&
      fillMode != "nearest")
    return op->emitOpError("expects fill_mode constant, reflect, wrap or "
                           "nearest, got ")
           << fillMode;
  if (!std::isfinite(fillValue))
    return op->emitOpError("expects a finite fill_value, got ") << fillValue;
  return success();
}

//===----------------------------------------------------------------------===//
// ImageTransformOp and ImageTransformGradOp
//===----------------------------------------------------------------------===//

LogicalResult ImageTransformOp::verify() {
  return verifyImageTransform(*this, tensorType(getInput()),
                              tensorType(getResult()),
                              tensorType(getTransforms()), getInterpolation(),
                              getFillMode(), getFillValue().convertToFloat());
}

/// The result is linear in the input plus a constant (the fill); the
/// vector-Jacobian product scatters each output gradient back to the pixels
/// its value was read from. The transforms are not differentiated.
LogicalResult
ImageTransformOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(ImageTransformGradOp::create(
      b, getLoc(), getInput().getType(), resultGrads[0], getTransforms(),
      getInterpolationAttr(), getFillModeAttr(), getFillValueAttr()));
  operandGrads.push_back(nullptr);
  return success();
}

LogicalResult ImageTransformGradOp::verify() {
  return verifyImageTransform(*this, tensorType(getResult()),
                              tensorType(getGrad()),
                              tensorType(getTransforms()), getInterpolation(),
                              getFillMode(), getFillValue().convertToFloat());
}

//===----------------------------------------------------------------------===//
// RandomImageTransformsOp
//===----------------------------------------------------------------------===//

LogicalResult RandomImageTransformsOp::verify() {
  auto input = tensorType(getInput());
  auto result = tensorType(getResult());
  if (!isImageBatch(input))
    return emitOpError("expects NHWC images with static height and width, "
                       "got ")
           << input;
  if (result.getRank() != 2 || result.getDimSize(1) != 8 ||
      !extentsAgree(result.getDimSize(0), input.getDimSize(0)))
    return emitOpError("expects one transform of 8 values per image, got ")
           << result << " for " << input;
  if (tensorType(getRng()).getDimSize(0) != 2)
    return emitOpError("expects rng as tensor<2xi64> {seed, step}, got ")
           << getRng().getType();
  ArrayRef<float> ranges = getRanges();
  StringRef kind = getKind();
  bool countOk =
      (kind == "flip" && ranges.size() == 2) ||
      (kind == "rotation" && ranges.size() == 2) ||
      (kind == "zoom" && (ranges.size() == 2 || ranges.size() == 4)) ||
      (kind == "translation" && ranges.size() == 4);
  if (kind != "flip" && kind != "rotation" && kind != "zoom" &&
      kind != "translation")
    return emitOpError("expects kind flip, rotation, zoom or translation, "
                       "got ")
           << kind;
  if (!countOk)
    return emitOpError("expects ranges fitting kind ")
           << kind << ", got " << ranges.size() << " values";
  for (float value : ranges)
    if (!std::isfinite(value))
      return emitOpError("expects finite ranges");
  if (kind == "flip") {
    for (float flag : ranges)
      if (flag != 0.0f && flag != 1.0f)
        return emitOpError("expects flip flags 0 or 1, got ") << flag;
    return success();
  }
  for (size_t i = 0; i + 1 < ranges.size(); i += 2)
    if (ranges[i] > ranges[i + 1])
      return emitOpError("expects each range as [lo, hi] with lo <= hi, got [")
             << ranges[i] << ", " << ranges[i + 1] << "]";
  return success();
}
