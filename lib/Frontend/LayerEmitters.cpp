//===- LayerEmitters.cpp - Further Keras layers as kiln ops ---------------===//
//
// The 1-D layers reuse the 2-D window ops on a `[1, steps, channels]` view
// of each sample, so they inherit the convolution and pooling lowerings
// (im2col on the tuned matmul) and gradient rules; the views are
// `kiln.reshape`s (samples) and a `kiln.batch_reshape` (the kernel), whose
// gradients are the inverse views.
//
//===----------------------------------------------------------------------===//

#include "LayerEmitters.h"
#include "ImageLayers.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace ::kiln;
using llvm::ArrayRef;
using llvm::SmallVector;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::ShapedType;
using mlir::Value;
namespace kd = mlir::kiln;

/// The type of a batch of samples of `sampleShape`.
static RankedTensorType batchType(OpBuilder &b, ArrayRef<int64_t> sampleShape) {
  SmallVector<int64_t> shape = {ShapedType::kDynamic};
  shape.append(sampleShape.begin(), sampleShape.end());
  return RankedTensorType::get(shape, b.getF32Type());
}

static kd::PaddingAttr paddingAttr(OpBuilder &b, llvm::StringRef padding) {
  return kd::PaddingAttr::get(b.getContext(), padding == "same"
                                                  ? kd::Padding::same
                                                  : kd::Padding::valid);
}

/// Softmax over the sample axes `axes` (sorted, batch-counted) jointly:
/// those axes are transposed behind the others and merged into one last
/// axis, the last-axis softmax normalizes it, and the inverse views restore
/// the layout. Transpose and reshape have exact gradient rules, so the
/// gradient is the last-axis softmax's, viewed back.
static Value emitSoftmaxOnAxes(OpBuilder &b, Location loc,
                               const LayerInfo &info, ArrayRef<int64_t> axes,
                               Value input) {
  ArrayRef<int64_t> shape = info.inputShape;
  SmallVector<int64_t> permutation = {0}, moved, merged;
  int64_t size = 1;
  for (int64_t axis = 1, rank = shape.size(); axis <= rank; ++axis)
    if (!llvm::is_contained(axes, axis)) {
      permutation.push_back(axis);
      moved.push_back(shape[axis - 1]);
    }
  merged = moved;
  for (int64_t axis : axes) {
    permutation.push_back(axis);
    moved.push_back(shape[axis - 1]);
    size *= shape[axis - 1];
  }
  merged.push_back(size);
  bool identity =
      llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size()));
  Value value = input;
  if (!identity)
    value = kd::TransposeOp::create(b, loc, batchType(b, moved), value,
                                    b.getDenseI64ArrayAttr(permutation));
  if (axes.size() > 1)
    value = kd::ReshapeOp::create(b, loc, batchType(b, merged), value);
  value = kd::SoftmaxOp::create(b, loc, value);
  if (axes.size() > 1)
    value = kd::ReshapeOp::create(b, loc, batchType(b, moved), value);
  if (identity)
    return value;
  SmallVector<int64_t> inverse(permutation.size());
  for (auto [i, axis] : llvm::enumerate(permutation))
    inverse[axis] = i;
  return kd::TransposeOp::create(b, loc, batchType(b, shape), value,
                                 b.getDenseI64ArrayAttr(inverse));
}

Value kiln::emitActivationLayer(OpBuilder &b, Location loc,
                                const fb::LayerT &layer, const LayerInfo &info,
                                Value input, ActivationEmitter activation) {
  if (info.kind == LayerKind::Softmax && !layer.axes.empty())
    return emitSoftmaxOnAxes(b, loc, info, layer.axes, input);
  if (info.kind == LayerKind::ReLU && layer.max_value &&
      *layer.max_value != 6.0f)
    return kd::ClippedReluOp::create(b, loc, input,
                                     b.getF32FloatAttr(*layer.max_value));
  switch (info.activation) {
  case ActivationKind::LeakyRelu:
    return kd::LeakyReluOp::create(b, loc, input,
                                   b.getF32FloatAttr(*layer.negative_slope));
  case ActivationKind::Elu:
    return kd::EluOp::create(b, loc, input, b.getF32FloatAttr(*layer.alpha));
  default:
    return activation(info.activation, input);
  }
}

Value kiln::emitDenseOnRows(OpBuilder &b, Location loc, const fb::LayerT &layer,
                            const LayerInfo &info, Value kernel, Value bias,
                            Value input, ActivationEmitter activation) {
  int64_t features = info.inputShape.back();
  int64_t units = info.outputShape.back();
  Value rows =
      kd::BatchReshapeOp::create(b, loc, batchType(b, {features}), input);
  RankedTensorType rowsType = batchType(b, {units});
  Value value = kd::MatmulOp::create(b, loc, rowsType, rows, kernel);
  if (bias)
    value = kd::AddOp::create(b, loc, rowsType, value, bias);
  value = activation(info.activation, value);
  return kd::BatchReshapeOp::create(b, loc, batchType(b, info.outputShape),
                                    value);
}

Value kiln::emitPermute(OpBuilder &b, Location loc, const fb::LayerT &layer,
                        const LayerInfo &info, Value input) {
  // Keras's dims are 1-based over the sample axes; the batch stays axis 0.
  SmallVector<int64_t> permutation = {0};
  permutation.append(layer.dims.begin(), layer.dims.end());
  return kd::TransposeOp::create(b, loc, batchType(b, info.outputShape), input,
                                 b.getDenseI64ArrayAttr(permutation));
}

Value kiln::emitConv1D(OpBuilder &b, Location loc, const fb::LayerT &layer,
                       const LayerInfo &info, Value kernel, Value bias,
                       Value input, ActivationEmitter activation) {
  int64_t steps = info.inputShape[0], channels = info.inputShape[1];
  int64_t size = layer.kernel_size[0], dilation = layer.dilation_rate[0];
  Value image =
      kd::ReshapeOp::create(b, loc, batchType(b, {1, steps, channels}), input);
  llvm::StringRef padding = layer.padding;
  if (padding == "causal") {
    // Zeros before the steps only, so output t reads inputs <= t.
    int64_t pad = (size - 1) * dilation;
    if (pad > 0)
      image = kd::SliceGradOp::create(
          b, loc, batchType(b, {1, steps + pad, channels}), image,
          b.getI64IntegerAttr(2), b.getI64IntegerAttr(pad));
    padding = "valid";
  }
  auto kernelType = mlir::cast<RankedTensorType>(kernel.getType());
  SmallVector<int64_t> kernel2D = {1};
  llvm::append_range(kernel2D, kernelType.getShape());
  Value kernelView = kd::BatchReshapeOp::create(
      b, loc, RankedTensorType::get(kernel2D, b.getF32Type()), kernel);
  int64_t outSteps = info.outputShape[0], filters = info.outputShape[1];
  Value value = kd::Conv2DOp::create(
      b, loc, batchType(b, {1, outSteps, filters}), image, kernelView,
      b.getDenseI64ArrayAttr({1, layer.strides[0]}),
      b.getDenseI64ArrayAttr({1, dilation}), paddingAttr(b, padding));
  RankedTensorType resultType = batchType(b, info.outputShape);
  value = kd::ReshapeOp::create(b, loc, resultType, value);
  if (bias)
    value = kd::AddOp::create(b, loc, resultType, value, bias);
  return activation(info.activation, value);
}

Value kiln::emitPooling1D(OpBuilder &b, Location loc, const fb::LayerT &layer,
                          const LayerInfo &info, Value input) {
  int64_t steps = info.inputShape[0], channels = info.inputShape[1];
  Value image =
      kd::ReshapeOp::create(b, loc, batchType(b, {1, steps, channels}), input);
  RankedTensorType pooledType =
      batchType(b, {1, info.outputShape[0], channels});
  auto poolSize = b.getDenseI64ArrayAttr({1, layer.pool_size[0]});
  auto strides = b.getDenseI64ArrayAttr({1, layer.strides[0]});
  Value value;
  if (info.kind == LayerKind::MaxPooling1D)
    value = kd::MaxPool2DOp::create(b, loc, pooledType, image, poolSize,
                                    strides, paddingAttr(b, layer.padding));
  else
    value = kd::AvgPool2DOp::create(b, loc, pooledType, image, poolSize,
                                    strides, paddingAttr(b, layer.padding));
  return kd::ReshapeOp::create(b, loc, batchType(b, info.outputShape), value);
}

Value kiln::emitUpSampling2D(OpBuilder &b, Location loc,
                             const fb::LayerT &layer, const LayerInfo &info,
                             Value input) {
  if (layer.interpolation == "bilinear")
    return emitResize(b, loc, input, info.outputShape[0], info.outputShape[1],
                      "bilinear");
  return kd::UpSample2DOp::create(b, loc, batchType(b, info.outputShape), input,
                                  b.getDenseI64ArrayAttr(layer.size));
}

Value kiln::emitSpatialDropout(OpBuilder &b, Location loc,
                               const fb::LayerT &layer, const LayerInfo &info,
                               Value input, Value rng, int64_t stream) {
  // Every axis but the batch and the channels (the last) shares the mask.
  SmallVector<int64_t> spatial;
  for (int64_t axis = 1, e = info.inputShape.size(); axis < e; ++axis)
    spatial.push_back(axis);
  return kd::DropoutOp::create(
      b, loc, input, rng, b.getF32FloatAttr(layer.rate),
      b.getI64IntegerAttr(stream), b.getDenseI64ArrayAttr(spatial));
}

Value kiln::emitConvLayer(OpBuilder &b, Location loc, const fb::LayerT &layer,
                          const LayerInfo &info, mlir::ValueRange params,
                          Value input) {
  auto strides = b.getDenseI64ArrayAttr(layer.strides);
  auto dilations = b.getDenseI64ArrayAttr(layer.dilation_rate);
  kd::PaddingAttr padding = paddingAttr(b, layer.padding);
  RankedTensorType resultType = batchType(b, info.outputShape);
  Value value;
  unsigned bias = 1;
  if (info.kind == LayerKind::Conv2DTranspose) {
    SmallVector<int64_t> outputPadding(layer.output_padding.begin(),
                                       layer.output_padding.end());
    if (outputPadding.empty())
      for (int i = 0; i < 2; ++i)
        outputPadding.push_back(kd::defaultTransposeOutputPadding(
            layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i],
            padding.getValue()));
    value = kd::Conv2DTransposeOp::create(
        b, loc, resultType, input, params[0], strides, dilations, padding,
        b.getDenseI64ArrayAttr(outputPadding));
  } else {
    SmallVector<int64_t> depthwiseShape(info.outputShape);
    depthwiseShape.back() = info.inputShape[2] * layer.depth_multiplier;
    value = kd::DepthwiseConv2DOp::create(b, loc, batchType(b, depthwiseShape),
                                          input, params[0], strides, dilations,
                                          padding);
    if (info.kind == LayerKind::SeparableConv2D) {
      // The pointwise step: a 1×1 convolution, stride 1, no padding.
      value = kd::Conv2DOp::create(
          b, loc, resultType, value, params[1], b.getDenseI64ArrayAttr({1, 1}),
          b.getDenseI64ArrayAttr({1, 1}), paddingAttr(b, "valid"));
      bias = 2;
    }
  }
  if (layer.use_bias)
    value = kd::AddOp::create(b, loc, resultType, value, params[bias]);
  return value;
}
