//===- NormOps.cpp - Normalization ops ------------------------------------===//
//
// Verifiers and gradient rules of the ops in KilnNormOps.td, each rule
// directly below its op's verifier.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

/// The constraints layer_norm and layer_norm_grad share.
static LogicalResult verifyRowNormalization(Operation *op, Type type,
                                            float epsilon) {
  auto tensor = cast<RankedTensorType>(type);
  if (tensor.getRank() < 1 || tensor.isDynamicDim(tensor.getRank() - 1))
    return op->emitOpError("expects a static last dimension to normalize "
                           "over, got ")
           << type;
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon))
    return op->emitOpError("expects epsilon > 0, got ") << epsilon;
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  return verifyRowNormalization(*this, getType(),
                                getEpsilon().convertToFloat());
}

LogicalResult LayerNormOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(LayerNormGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getInput(), getEpsilonAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormGradOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormGradOp::verify() {
  return verifyRowNormalization(*this, getType(),
                                getEpsilon().convertToFloat());
}

/// The constraints of the ops normalizing each channel (the last
/// dimension) over the batch.
static LogicalResult verifyChannelNormalization(Operation *op, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  if (tensor.getRank() < 2 || tensor.isDynamicDim(tensor.getRank() - 1))
    return op->emitOpError("expects a batch and a static channel (last) "
                           "dimension, got ")
           << type;
  return success();
}

/// Whether `value` is `tensor<Cxf32>` for the channels of `input`.
static bool isChannelVector(Value value, Type input) {
  auto tensor = cast<RankedTensorType>(input);
  auto type = cast<RankedTensorType>(value.getType());
  return type.getRank() == 1 &&
         type.getDimSize(0) == tensor.getDimSize(tensor.getRank() - 1);
}

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::verify() {
  if (failed(verifyChannelNormalization(*this, getType())))
    return failure();
  return verifyRowNormalization(*this, getType(),
                                getEpsilon().convertToFloat());
}

LogicalResult BatchNormOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(BatchNormGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getInput(), getEpsilonAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormGradOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormGradOp::verify() {
  if (failed(verifyChannelNormalization(*this, getType())))
    return failure();
  return verifyRowNormalization(*this, getType(),
                                getEpsilon().convertToFloat());
}

//===----------------------------------------------------------------------===//
// MomentsOp
//===----------------------------------------------------------------------===//

LogicalResult MomentsOp::verify() {
  Type input = getInput().getType();
  if (failed(verifyChannelNormalization(*this, input)))
    return failure();
  if (!isChannelVector(getMean(), input) ||
      !isChannelVector(getVariance(), input))
    return emitOpError("expects the mean and variance to be vectors of the "
                       "channels of ")
           << input << ", got " << getMean().getType() << " and "
           << getVariance().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormInferenceOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormInferenceOp::verify() {
  Type input = getInput().getType();
  if (failed(verifyChannelNormalization(*this, input)) ||
      failed(
          verifyRowNormalization(*this, input, getEpsilon().convertToFloat())))
    return failure();
  if (!isChannelVector(getMean(), input) ||
      !isChannelVector(getVariance(), input))
    return emitOpError("expects the mean and variance to be vectors of the "
                       "channels of ")
           << input << ", got " << getMean().getType() << " and "
           << getVariance().getType();
  if (getType() != input)
    return emitOpError("expects the result to have the input's type, got ")
           << getType();
  return success();
}

LogicalResult
BatchNormInferenceOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  // dy / sqrt(variance + epsilon): the same normalization of dy with a
  // zero mean.
  auto channels = cast<RankedTensorType>(getMean().getType());
  Value zero = arith::ConstantOp::create(
      b, getLoc(), channels,
      DenseElementsAttr::get(channels, b.getF32FloatAttr(0.0f)));
  operandGrads.push_back(
      BatchNormInferenceOp::create(b, getLoc(), getType(), resultGrads[0], zero,
                                   getVariance(), getEpsilonAttr()));
  operandGrads.push_back(Value());
  operandGrads.push_back(Value());
  return success();
}
