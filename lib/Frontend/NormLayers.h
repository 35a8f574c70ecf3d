//===- NormLayers.h - Normalization layers as kiln ops ----------*- C++ -*-===//
//
// Internal to the frontend: the parameters of LayerNormalization and its
// forward computation.
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
};

/// LayerNormalization's parameters: `gamma` (with `use_gamma`), then
/// `beta` (with `use_beta`), each of the normalized axis's extent.
llvm::SmallVector<NormParam> getNormParams(const fb::LayerT &layer,
                                           const LayerInfo &info);

/// Emits LayerNormalization on `input`: `kiln.layer_norm`, then `kiln.mul`
/// by gamma and `kiln.add` of beta, broadcast over the leading dimensions.
/// `params` are the arguments for getNormParams's list.
mlir::Value emitLayerNormalization(mlir::OpBuilder &b, mlir::Location loc,
                                   const fb::LayerT &layer,
                                   mlir::ValueRange params, mlir::Value input);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_NORMLAYERS_H
