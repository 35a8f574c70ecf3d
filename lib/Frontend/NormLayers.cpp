//===- NormLayers.cpp - Normalization layers as kiln ops ------------------===//
//
// The normalization itself is one kiln op with its own gradient rule; the
// learned scale and offset are ordinary broadcast products and sums, whose
// rules give gamma's and beta's gradients.
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
  return params;
}

Value kiln::emitLayerNormalization(OpBuilder &b, Location loc,
                                   const fb::LayerT &layer, ValueRange params,
                                   Value input) {
  Value value =
      kd::LayerNormOp::create(b, loc, input, b.getF32FloatAttr(layer.epsilon));
  unsigned next = 0;
  if (layer.use_gamma)
    value = kd::MulOp::create(b, loc, value.getType(), value, params[next++]);
  if (layer.use_beta)
    value = kd::AddOp::create(b, loc, value.getType(), value, params[next++]);
  return value;
}
