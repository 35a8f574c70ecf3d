//===- NormLayers.h - Normalization layers as kiln ops ----------*- C++ -*-===//
//
// Internal to the frontend: the parameters of LayerNormalization and
// BatchNormalization and their forward computations.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_NORMLAYERS_H
#define KILN_LIB_FRONTEND_NORMLAYERS_H

#include "kiln/Frontend/ModelAnalysis.h"

#include "mlir/IR/Builders.h"

#include <string>

namespace kiln {

/// One parameter of a normalization layer, in argument order.
struct NormParam {
  std::string name;
  std::string initializer;
  llvm::SmallVector<int64_t> shape;
  /// BatchNormalization's moving averages: state the training step
  /// replaces, never differentiated nor seen by the optimizer.
  bool state = false;
};

/// The parameters of LayerNormalization or BatchNormalization: `gamma`
/// (with `use_gamma`), then `beta` (with `use_beta`), then for
/// BatchNormalization the state `moving_mean` and `moving_variance`, each
/// of the last axis's extent.
llvm::SmallVector<NormParam> getNormParams(const fb::LayerT &layer,
                                           const LayerInfo &info);

/// Emits LayerNormalization on `input`: `kiln.layer_norm`, then `kiln.mul`
/// by gamma and `kiln.add` of beta, broadcast over the leading dimensions.
/// `params` are the arguments for getNormParams's list.
mlir::Value emitLayerNormalization(mlir::OpBuilder &b, mlir::Location loc,
                                   const fb::LayerT &layer,
                                   mlir::ValueRange params, mlir::Value input);

/// Emits BatchNormalization on `input`: in training (`updates` set)
/// `kiln.batch_norm` with the batch's statistics, in inference
/// `kiln.batch_norm_inference` with the moving averages; then gamma and
/// beta as for LayerNormalization. `params` are the arguments for
/// getNormParams's list. In training, appends to `updates` the new moving
/// mean and variance, `moving * momentum + batch * (1 - momentum)` with
/// the batch's mean and biased variance (`kiln.moments`), as Keras updates
/// them.
mlir::Value emitBatchNormalization(mlir::OpBuilder &b, mlir::Location loc,
                                   const fb::LayerT &layer,
                                   mlir::ValueRange params, mlir::Value input,
                                   llvm::SmallVectorImpl<mlir::Value> *updates);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_NORMLAYERS_H
