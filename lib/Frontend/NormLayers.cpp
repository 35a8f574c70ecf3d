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
#include "kiln/Frontend/Errors.h"

using namespace ::kiln;
using llvm::SmallVector;
using llvm::SmallVectorImpl;
using mlir::FloatAttr;
using mlir::Location;
using mlir::OpBuilder;
using mlir::Type;
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
                                   Value input,
                                   SmallVectorImpl<Value> *updates) {
  auto epsilon = b.getF32FloatAttr(layer.epsilon);
  // The moving averages follow gamma and beta.
  unsigned moving = unsigned(layer.use_gamma) + unsigned(layer.use_beta);
  Value movingMean = params[moving], movingVariance = params[moving + 1];
  if (!updates) {
    Value value = kd::BatchNormInferenceOp::create(
        b, loc, input.getType(), input, movingMean, movingVariance, epsilon);
    return applyScaleAndCenter(b, loc, layer, params, value);
  }
  Value value = kd::BatchNormOp::create(b, loc, input, epsilon);
  // The same statistics batch_norm normalizes with; kiln.moments has no
  // gradient rule, and only the state results (never differentiated) use
  // it.
  Type stat = movingMean.getType();
  auto moments = kd::MomentsOp::create(b, loc, stat, stat, input);
  // Keras computes 1 - momentum from the Python float the file wrote (0.99
  // gives 0.01f, where 1 - 0.99f would not): the shortest decimal that
  // reads back as the stored f32 recovers it.
  auto keep = b.getF32FloatAttr(layer.momentum);
  double momentum = layer.momentum;
  (void)llvm::StringRef(formatShortest(layer.momentum)).getAsDouble(momentum);
  auto take = b.getF32FloatAttr(static_cast<float>(1.0 - momentum));
  auto average = [&](Value old, Value batch) -> Value {
    Value kept = kd::ScaleOp::create(b, loc, old, keep, FloatAttr());
    Value taken = kd::ScaleOp::create(b, loc, batch, take, FloatAttr());
    return kd::AddOp::create(b, loc, stat, kept, taken);
  };
  updates->push_back(average(movingMean, moments.getMean()));
  updates->push_back(average(movingVariance, moments.getVariance()));
  return applyScaleAndCenter(b, loc, layer, params, value);
}
