//===- NormLayers.cpp - Normalization layers as kiln ops ------------------===//
//
// The normalization itself is one kiln op with its own gradient rule (for
// BatchNormalization, one per mode: the batch's statistics in training, the
// moving averages in inference); the learned scale and offset are ordinary
// broadcast products and sums, whose rules give gamma's and beta's gradients.
//
//===----------------------------------------------------------------------===//

#include "NormLayers.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

using namespace ::kiln;
using llvm::SmallVector;
using mlir::Location;
using mlir::OpBuilder;
using mlir::Value;
using mlir::ValueRange;
namespace kd = mlir::kiln;

SmallVector<NormParam> kiln::getNormParams(const fb::LayerT &layer,
                                           const LayerInfo &info) {
  SmallVector<NormParam> params;
  int64_t width = info.outputShape.back();
  if (layer.use_gamma)
    params.push_back({layer.name + "/gamma", layer.gamma_initializer, {width}});
  if (layer.use_beta)
    params.push_back({layer.name + "/beta", layer.beta_initializer, {width}});
  if (layer.class_name == "BatchNormalization") {
    params.push_back({layer.name + "/moving_mean",
                      layer.moving_mean_initializer,
                      {width},
                      /*state=*/true});
    params.push_back({layer.name + "/moving_variance",
                      layer.moving_variance_initializer,
                      {width},
                      /*state=*/true});
  }
  return params;
}

/// Multiplies by gamma and adds beta, the first of `params` as the layer
/// has them.
static Value applyScaleAndCenter(OpBuilder &b, Location loc,
                                 const fb::LayerT &layer, ValueRange params,
                                 Value value) {
  unsigned next = 0;
  if (layer.use_gamma)
    value = kd::MulOp::create(b, loc, value.getType(), value, params[next++]);
  if (layer.use_beta)
    value = kd::AddOp::create(b, loc, value.getType(), value, params[next++]);
  return value;
}

Value kiln::emitLayerNormalization(OpBuilder &b, Location loc,
                                   const fb::LayerT &layer, ValueRange params,
                                   Value input) {
  Value value =
      kd::LayerNormOp::create(b, loc, input, b.getF32FloatAttr(layer.epsilon));
  return applyScaleAndCenter(b, loc, layer, params, value);
}

Value kiln::emitBatchNormalization(OpBuilder &b, Location loc,
                                   const fb::LayerT &layer, ValueRange params,
                                   Value input, bool training) {
  auto epsilon = b.getF32FloatAttr(layer.epsilon);
  Value value;
  if (training) {
    value = kd::BatchNormOp::create(b, loc, input, epsilon);
  } else {
    // The moving averages follow gamma and beta.
    unsigned moving = unsigned(layer.use_gamma) + unsigned(layer.use_beta);
    value = kd::BatchNormInferenceOp::create(b, loc, input.getType(), input,
                                             params[moving], params[moving + 1],
                                             epsilon);
  }
  return applyScaleAndCenter(b, loc, layer, params, value);
}
