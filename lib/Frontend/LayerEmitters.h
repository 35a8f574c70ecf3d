//===- LayerEmitters.h - Further Keras layers as kiln ops -------*- C++ -*-===//
//
// Internal to the frontend: the IR of the layers that are compositions of
// kiln ops (Dense on samples of any rank, Conv1D and the 1-D pooling
// layers on images of height 1) or activations with options (ReLU,
// LeakyReLU, ELU, Softmax), and Permute.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_LAYEREMITTERS_H
#define KILN_LIB_FRONTEND_LAYEREMITTERS_H

#include "kiln/Frontend/ModelAnalysis.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace kiln {

/// Emits an activation op of the kind given.
using ActivationEmitter =
    llvm::function_ref<mlir::Value(ActivationKind, mlir::Value)>;

/// ReLU, LeakyReLU, ELU and Softmax: the activation the analysis chose,
/// with the layer's slope or alpha; Softmax over other axes than the last
/// alone (`axes`) through transposes and reshapes around the last-axis op.
mlir::Value emitActivationLayer(mlir::OpBuilder &b, mlir::Location loc,
                                const fb::LayerT &layer, const LayerInfo &info,
                                mlir::Value input,
                                ActivationEmitter activation);

/// Dense on samples of rank > 1: the leading sample axes are folded into
/// the batch rows of one matmul (`kiln.batch_reshape`), so bias and
/// activation fuse as for a vector input, then unfolded again.
mlir::Value emitDenseOnRows(mlir::OpBuilder &b, mlir::Location loc,
                            const fb::LayerT &layer, const LayerInfo &info,
                            mlir::Value kernel, mlir::Value bias,
                            mlir::Value input, ActivationEmitter activation);

/// Permute: a `kiln.transpose` keeping the batch first.
mlir::Value emitPermute(mlir::OpBuilder &b, mlir::Location loc,
                        const fb::LayerT &layer, const LayerInfo &info,
                        mlir::Value input);

/// Conv1D as a Conv2D on `[1, steps, channels]` images with the Keras
/// kernel `[k, in, filters]` viewed as `[1, k, in, filters]`; causal
/// padding places the steps after `(k - 1) · dilation` zeros first.
mlir::Value emitConv1D(mlir::OpBuilder &b, mlir::Location loc,
                       const fb::LayerT &layer, const LayerInfo &info,
                       mlir::Value kernel, mlir::Value bias, mlir::Value input,
                       ActivationEmitter activation);

/// MaxPooling1D and AveragePooling1D as 2-D pooling of height 1.
mlir::Value emitPooling1D(mlir::OpBuilder &b, mlir::Location loc,
                          const fb::LayerT &layer, const LayerInfo &info,
                          mlir::Value input);

/// UpSampling2D: `kiln.upsample2d` (nearest neighbour).
mlir::Value emitUpSampling2D(mlir::OpBuilder &b, mlir::Location loc,
                             const fb::LayerT &layer, const LayerInfo &info,
                             mlir::Value input);

/// SpatialDropout1D/2D in training: a `kiln.dropout` whose mask is shared
/// along the spatial axes, drawn from `rng` with the layer's `stream`.
mlir::Value emitSpatialDropout(mlir::OpBuilder &b, mlir::Location loc,
                               const fb::LayerT &layer, const LayerInfo &info,
                               mlir::Value input, mlir::Value rng,
                               int64_t stream);

/// Conv2DTranspose (`kiln.conv2d_transpose`, Keras's unset output_padding
/// resolved), DepthwiseConv2D (`kiln.depthwise_conv2d`) and SeparableConv2D
/// (the depthwise step, then a 1×1 `kiln.conv2d` with the pointwise
/// kernel), each plus its bias; `params` are the layer's parameters in
/// order. The activation is the caller's.
mlir::Value emitConvLayer(mlir::OpBuilder &b, mlir::Location loc,
                          const fb::LayerT &layer, const LayerInfo &info,
                          mlir::ValueRange params, mlir::Value input);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_LAYEREMITTERS_H
