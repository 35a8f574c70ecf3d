//===- ModelToKiln.cpp - Build the kiln module of a model -----------------===//
//
// Emits `@forward(params..., %x)` (inference), `@loss(params..., %x, %y
// [, %rng])` (training mode: dropout active, drawing from `%rng` =
// {seed, step}) and `@evaluate(params..., %x, %y)` (inference mode) from the
// same walk over the layers, and records the training configuration and the
// model summary in the `kiln.model` module attribute. Parameters are
// function arguments in layer order (kernel, then bias) carrying
// `kiln.param = {name, initializer[, initializer_args]}`.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/ModelToKiln.h"
#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/Losses.h"

#include "ImageLayers.h"
#include "Initializers.h"
#include "KilnModuleBuilder.h"
#include "LayerEmitters.h"
#include "NormLayers.h"
#include "RecurrentLayers.h"

#include "kiln/Dialect/Kiln/IR/KilnDialect.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cmath>

// `mlir::kiln` (the dialect) and `::kiln` (the frontend) share a name:
// import the MLIR names one by one instead of the whole namespace.
using namespace ::kiln;
using llvm::ArrayRef;
using llvm::cast;
using llvm::SmallVector;
using llvm::StringRef;
using llvm::Twine;
using mlir::Attribute;
using mlir::Diagnostic;
using mlir::DictionaryAttr;
using mlir::FileLineColLoc;
using mlir::FloatAttr;
using mlir::Location;
using mlir::MLIRContext;
using mlir::ModuleOp;
using mlir::NamedAttribute;
using mlir::NameLoc;
using mlir::OpBuilder;
using mlir::OwningOpRef;
using mlir::RankedTensorType;
using mlir::ScopedDiagnosticHandler;
using mlir::ShapedType;
using mlir::Type;
using mlir::Value;
using mlir::ValueRange;
namespace func = mlir::func;
namespace kd = mlir::kiln;

using kiln::detail::KilnModuleBuilder;
using kiln::detail::ParamSpec;

RankedTensorType KilnModuleBuilder::batchType(ArrayRef<int64_t> sampleShape) {
  SmallVector<int64_t> shape = {ShapedType::kDynamic};
  shape.append(sampleShape.begin(), sampleShape.end());
  return RankedTensorType::get(shape, builder.getF32Type());
}

Location KilnModuleBuilder::layerLoc(size_t index) {
  return NameLoc::get(builder.getStringAttr(model.layers[index]->name),
                      fileLoc);
}

void KilnModuleBuilder::collectParams(StringRef prefix) {
  for (auto [index, info] : llvm::enumerate(analysis.layers)) {
    if (info.owner) { // A shared layer uses its owner's parameters.
      firstParam.push_back(firstParam[*info.owner]);
      numParams.push_back(numParams[*info.owner]);
      continue;
    }
    const fb::LayerT &layer = *model.layers[index];
    unsigned begin = params.size();
    // A time-distributed layer's parameters are those of one frame.
    collectLayerParams(layer, getFrameInfo(info));
    firstParam.push_back(begin);
    numParams.push_back(params.size() - begin);
    // A frozen layer's parameters are all frozen; state is never trained.
    for (unsigned i = begin; i < params.size(); ++i) {
      params[i].name = (prefix + params[i].name).str();
      params[i].trainable = layer.trainable && !params[i].state;
      params[i].owner = &layer;
    }
  }
}

void KilnModuleBuilder::collectLayerParams(const fb::LayerT &layer,
                                           const LayerInfo &info) {
  Type f32 = builder.getF32Type();
  auto add = [&](std::string name, std::string initializer,
                 ArrayRef<int64_t> shape) {
    params.push_back({std::move(name), std::move(initializer),
                      RankedTensorType::get(shape, f32)});
  };
  if (info.kind == LayerKind::Bidirectional) {
    BidirectionalHalves halves = getBidirectionalHalves(layer, info);
    for (const fb::LayerT *half : {&halves.forward, &halves.backward})
      for (RecurrentParam &param : getRecurrentParams(*half, halves.info))
        add(std::move(param.name), std::move(param.initializer), param.shape);
    return;
  }
  if (info.kind == LayerKind::SimpleRNN || info.kind == LayerKind::LSTM ||
      info.kind == LayerKind::GRU) {
    for (RecurrentParam &param : getRecurrentParams(layer, info))
      add(std::move(param.name), std::move(param.initializer), param.shape);
    return;
  }
  if (info.kind == LayerKind::LayerNormalization ||
      info.kind == LayerKind::BatchNormalization) {
    for (NormParam &param : getNormParams(layer, info)) {
      add(std::move(param.name), std::move(param.initializer), param.shape);
      params.back().state = param.state;
    }
    return;
  }
  if (info.kind == LayerKind::Embedding) { // Keras's weight name.
    add(layer.name + "/embeddings", layer.embeddings_initializer,
        {layer.input_dim, layer.output_dim});
    return;
  }
  if (info.kind == LayerKind::DepthwiseConv2D ||
      info.kind == LayerKind::SeparableConv2D) {
    // Keras 3 names DepthwiseConv2D's kernel `kernel`, SeparableConv2D's
    // `depthwise_kernel` and `pointwise_kernel`.
    bool separable = info.kind == LayerKind::SeparableConv2D;
    int64_t channels = info.inputShape[2];
    add(layer.name + (separable ? "/depthwise_kernel" : "/kernel"),
        layer.depthwise_initializer,
        {layer.kernel_size[0], layer.kernel_size[1], channels,
         layer.depth_multiplier});
    if (separable)
      add(layer.name + "/pointwise_kernel", layer.pointwise_initializer,
          {1, 1, channels * layer.depth_multiplier, layer.filters});
    if (layer.use_bias)
      add(layer.name + "/bias", layer.bias_initializer,
          {info.outputShape.back()});
    return;
  }
  SmallVector<int64_t> kernel;
  if (info.kind == LayerKind::Dense)
    kernel = {info.inputShape.back(), info.outputShape.back()};
  else if (info.kind == LayerKind::Conv1D) // Keras's [k, in, filters].
    kernel = {layer.kernel_size[0], info.inputShape[1], layer.filters};
  else if (info.kind == LayerKind::Conv2D)
    kernel = {layer.kernel_size[0], layer.kernel_size[1], info.inputShape[2],
              layer.filters};
  else if (info.kind ==
           LayerKind::Conv2DTranspose) // Keras's [kh, kw, out, in].
    kernel = {layer.kernel_size[0], layer.kernel_size[1], layer.filters,
              info.inputShape[2]};
  else
    return;
  add(layer.name + "/kernel", layer.kernel_initializer, kernel);
  if (layer.use_bias)
    add(layer.name + "/bias", layer.bias_initializer,
        {info.outputShape.back()});
}

DictionaryAttr KilnModuleBuilder::buildParamAttr(size_t i, bool forceFrozen) {
  const ParamSpec &param = params[i];
  SmallVector<NamedAttribute> fields = {
      builder.getNamedAttr("name", builder.getStringAttr(param.name)),
      builder.getNamedAttr("initializer",
                           builder.getStringAttr(param.initializer))};
  if (DictionaryAttr args =
          buildParamInitializerArgsAttr(builder, *param.owner, param.name))
    fields.push_back(builder.getNamedAttr("initializer_args", args));
  if (!param.trainable || forceFrozen)
    fields.push_back(
        builder.getNamedAttr("trainable", builder.getBoolAttr(false)));
  if (param.state)
    fields.push_back(builder.getNamedAttr("state", builder.getUnitAttr()));
  return builder.getDictionaryAttr(fields);
}

func::FuncOp KilnModuleBuilder::createFunction(ModuleOp module, StringRef name,
                                               ArrayRef<Type> extraInputs,
                                               ArrayRef<Type> results) {
  SmallVector<Type> inputs;
  for (const ParamSpec &param : params)
    inputs.push_back(param.type);
  for (ArrayRef<int64_t> shape : analysis.inputShapes)
    inputs.push_back(batchType(shape));
  inputs.append(extraInputs.begin(), extraInputs.end());

  builder.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(builder, fileLoc, name,
                                   builder.getFunctionType(inputs, results));
  for (size_t i = 0; i < params.size(); ++i)
    func.setArgAttr(i, "kiln.param", buildParamAttr(i));
  for (auto [k, input] : llvm::enumerate(model.inputs))
    func.setArgAttr(params.size() + k, "kiln.input",
                    builder.getStringAttr(input->name));
  func.addEntryBlock();
  builder.setInsertionPointToStart(&func.getBody().front());
  return func;
}

Value KilnModuleBuilder::emitActivation(ActivationKind kind, Value input,
                                        Location loc) {
  switch (kind) {
  case ActivationKind::Linear:
    return input;
  case ActivationKind::Relu:
    return kd::ReluOp::create(builder, loc, input);
  case ActivationKind::Sigmoid:
    return kd::SigmoidOp::create(builder, loc, input);
  case ActivationKind::Tanh:
    return kd::TanhOp::create(builder, loc, input);
  case ActivationKind::Softmax:
    return kd::SoftmaxOp::create(builder, loc, input);
  case ActivationKind::Relu6:
    return kd::Relu6Op::create(builder, loc, input);
  case ActivationKind::Elu:
    return kd::EluOp::create(builder, loc, input);
  case ActivationKind::Selu:
    return kd::SeluOp::create(builder, loc, input);
  case ActivationKind::Gelu:
    return kd::GeluOp::create(builder, loc, input);
  case ActivationKind::Swish:
    return kd::SwishOp::create(builder, loc, input);
  case ActivationKind::Softplus:
    return kd::SoftplusOp::create(builder, loc, input);
  case ActivationKind::Softsign:
    return kd::SoftsignOp::create(builder, loc, input);
  case ActivationKind::HardSigmoid:
    return kd::HardSigmoidOp::create(builder, loc, input);
  case ActivationKind::LeakyRelu:
    return kd::LeakyReluOp::create(
        builder, loc, input, builder.getF32FloatAttr(leakyReluActivationSlope));
  case ActivationKind::Exponential:
    return kd::ExponentialOp::create(builder, loc, input);
  case ActivationKind::LogSoftmax:
    return kd::LogSoftmaxOp::create(builder, loc, input);
  }
  llvm_unreachable("unknown activation");
}

Value KilnModuleBuilder::emitGlobalPooling(const LayerInfo &info, Value input,
                                           Location loc) {
  SmallVector<int64_t> image(info.inputShape.begin(), info.inputShape.end());
  if (image.size() == 2)
    image.insert(image.begin(), 1);
  if (ArrayRef<int64_t>(image) != ArrayRef<int64_t>(info.inputShape))
    input = kd::ReshapeOp::create(builder, loc, batchType(image), input);
  auto window = builder.getDenseI64ArrayAttr({image[0], image[1]});
  auto padding = kd::PaddingAttr::get(&context, kd::Padding::valid);
  RankedTensorType pooledType = batchType({1, 1, image[2]});
  Value value;
  if (info.kind == LayerKind::GlobalMaxPooling1D ||
      info.kind == LayerKind::GlobalMaxPooling2D)
    value = kd::MaxPool2DOp::create(builder, loc, pooledType, input, window,
                                    window, padding);
  else
    value = kd::AvgPool2DOp::create(builder, loc, pooledType, input, window,
                                    window, padding);
  RankedTensorType resultType = batchType(info.outputShape);
  if (resultType != pooledType)
    value = kd::ReshapeOp::create(builder, loc, resultType, value);
  return value;
}

Value KilnModuleBuilder::emitMargins(const fb::LayerT &layer,
                                     const LayerInfo &info, Value input,
                                     Location loc) {
  SmallVector<int64_t> shape(info.inputShape.begin(), info.inputShape.end());
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t before = layer.margins[2 * axis];
    if (before == 0 && layer.margins[2 * axis + 1] == 0)
      continue;
    shape[axis] = info.outputShape[axis];
    RankedTensorType type = batchType(shape);
    auto dim = builder.getI64IntegerAttr(axis + 1);
    auto offset = builder.getI64IntegerAttr(before);
    if (info.kind == LayerKind::ZeroPadding2D)
      input = kd::SliceGradOp::create(builder, loc, type, input, dim, offset);
    else
      input = kd::SliceOp::create(builder, loc, type, input, dim, offset);
  }
  return input;
}

Value KilnModuleBuilder::emitMerge(const fb::LayerT &layer,
                                   const LayerInfo &info,
                                   ArrayRef<Value> inputs, Location loc) {
  RankedTensorType type = batchType(info.outputShape);
  auto scale = [&](Value x, float factor) -> Value {
    return kd::ScaleOp::create(builder, loc, x, builder.getF32FloatAttr(factor),
                               FloatAttr());
  };
  auto sum = [&](ArrayRef<Value> terms) {
    Value total = terms.front();
    for (Value term : terms.drop_front())
      total = kd::AddOp::create(builder, loc, type, total, term);
    return total;
  };
  switch (info.kind) {
  case LayerKind::Add:
    return sum(inputs);
  case LayerKind::Subtract:
    return kd::AddOp::create(builder, loc, type, inputs[0],
                             scale(inputs[1], -1.0f));
  case LayerKind::Multiply: {
    Value product = inputs.front();
    for (Value factor : inputs.drop_front())
      product = kd::MulOp::create(builder, loc, type, product, factor);
    return product;
  }
  case LayerKind::Average:
    return scale(sum(inputs), 1.0f / static_cast<float>(inputs.size()));
  case LayerKind::Concatenate:
    // The analysis made `axis` positive, counting the batch dimension.
    return kd::ConcatOp::create(builder, loc, type, inputs,
                                builder.getI64IntegerAttr(layer.axis));
  default:
    llvm_unreachable("not a merge layer");
  }
}

Value KilnModuleBuilder::emitConcatenateMask(const fb::LayerT &layer,
                                             ValueRange inputs,
                                             ArrayRef<Value> inputMasks,
                                             Location loc) {
  // An unmasked input counts as all kept: `x != NaN` holds everywhere.
  SmallVector<Value> parts;
  int64_t steps = 0;
  for (auto [input, inputMask] : llvm::zip(inputs, inputMasks)) {
    int64_t extent = cast<RankedTensorType>(input.getType()).getDimSize(1);
    steps += extent;
    parts.push_back(inputMask ? inputMask
                              : kd::AnyNotEqualOp::create(
                                    builder, loc, batchType({extent, 1}), input,
                                    builder.getF32FloatAttr(std::nanf(""))));
  }
  // Along the time axis (1) the masks follow each other; along the
  // features (2) a timestep is kept if any input keeps it.
  if (layer.axis == 1)
    return kd::ConcatOp::create(builder, loc, batchType({steps, 1}), parts,
                                builder.getI64IntegerAttr(1));
  int64_t count = static_cast<int64_t>(parts.size());
  auto stepsType = cast<RankedTensorType>(parts.front().getType());
  Value joined = kd::ConcatOp::create(
      builder, loc, batchType({stepsType.getDimSize(1), count}), parts,
      builder.getI64IntegerAttr(2));
  return kd::AnyNotEqualOp::create(builder, loc, stepsType, joined,
                                   builder.getF32FloatAttr(0.0f));
}

Value KilnModuleBuilder::emitBidirectional(size_t index, Value input,
                                           Value mask, Value rng,
                                           Location loc) {
  const fb::LayerT &layer = *model.layers[index];
  const LayerInfo &info = analysis.layers[index];
  BidirectionalHalves halves = getBidirectionalHalves(layer, info);
  unsigned half = numParams[index] / 2;
  auto args = ValueRange(paramArgs).slice(firstParam[index], 2 * half);
  auto activation = [&](ActivationKind kind, Value x) {
    return emitActivation(kind, x, loc);
  };
  // Each direction is its own Keras layer with its own masks: the backward
  // half's streams are offset past the forward half's.
  Value forward = emitRecurrentLayer(builder, loc, halves.forward, halves.info,
                                     args.take_front(half), input, activation,
                                     {rng, static_cast<int64_t>(index)},
                                     /*flipSequence=*/false, mask);
  // Keras flips the backward half's sequence so that both halves' step t
  // describe input step t.
  Value backward = emitRecurrentLayer(
      builder, loc, halves.backward, halves.info, args.drop_front(half), input,
      activation,
      {rng, static_cast<int64_t>(index) + (static_cast<int64_t>(16) << 32)},
      /*flipSequence=*/true, mask);
  RankedTensorType type = batchType(info.outputShape);
  if (layer.merge_mode == "concat")
    return kd::ConcatOp::create(
        builder, loc, type, ValueRange{forward, backward},
        builder.getI64IntegerAttr(info.outputShape.size()));
  if (layer.merge_mode == "mul")
    return kd::MulOp::create(builder, loc, type, forward, backward);
  Value sum = kd::AddOp::create(builder, loc, type, forward, backward);
  if (layer.merge_mode == "ave")
    return kd::ScaleOp::create(builder, loc, sum, builder.getF32FloatAttr(0.5f),
                               FloatAttr());
  return sum;
}

SmallVector<Value, 1> KilnModuleBuilder::emitLayers(ValueRange params,
                                                    ValueRange inputs,
                                                    Value rng, bool training) {
  paramArgs.assign(params.begin(), params.end());
  inputArgs.assign(inputs.begin(), inputs.end());
  activityTerms.clear();
  // The output of every layer emitted so far, by index, and the Keras mask
  // it carries ([batch, timesteps, 1] of 1.0/0.0; null for none).
  SmallVector<Value> outputs, masks;
  outputs.reserve(analysis.layers.size());
  masks.reserve(analysis.layers.size());
  for (auto [index, layerInfo] : llvm::enumerate(analysis.layers)) {
    const fb::LayerT &layer = *model.layers[index];
    Location loc = layerLoc(index);
    // A time-distributed layer is emitted on its frames: the batch of
    // [timesteps, s...] samples folded into a batch of s... samples.
    LayerInfo info = getFrameInfo(layerInfo);
    RankedTensorType resultType = batchType(info.outputShape);
    SmallVector<Value, 2> inputs;
    for (int64_t input : info.inputs)
      inputs.push_back(input < 0 ? inputArgs[modelInputIndex(input)]
                                 : outputs[input]);
    // The mask arriving with the inputs: the element-wise merges combine
    // theirs with a logical and (a product of 0/1 values); Concatenate
    // joins them below.
    Value mask;
    SmallVector<Value, 2> inputMasks;
    for (int64_t input : info.inputs) {
      Value inputMask = input < 0 ? Value() : masks[input];
      inputMasks.push_back(inputMask);
      if (inputMask && mask && info.kind != LayerKind::Concatenate)
        mask = kd::MulOp::create(builder, loc, mask.getType(), mask, inputMask);
      else if (inputMask && !mask)
        mask = inputMask;
    }
    // Most layers read one input: they transform `value` in place.
    Value value = inputs.front();
    if (info.timesteps != 0)
      value = kd::BatchReshapeOp::create(builder, loc,
                                         batchType(info.inputShape), value);
    switch (info.kind) {
    case LayerKind::InputLayer:
      break;
    case LayerKind::Rescaling: {
      FloatAttr offset = layer.offset == 0.0f
                             ? FloatAttr()
                             : builder.getF32FloatAttr(layer.offset);
      value = kd::ScaleOp::create(builder, loc, value,
                                  builder.getF32FloatAttr(layer.scale), offset);
      break;
    }
    case LayerKind::Flatten:
      if (info.inputShape != info.outputShape)
        value = kd::ReshapeOp::create(builder, loc, resultType, value);
      break;
    case LayerKind::Dense: {
      unsigned first = firstParam[index];
      if (info.inputShape.size() > 1) {
        value = emitDenseOnRows(builder, loc, layer, info, param(first),
                                layer.use_bias ? param(first + 1) : Value(),
                                value, [&](ActivationKind kind, Value x) {
                                  return emitActivation(kind, x, loc);
                                });
        break;
      }
      value =
          kd::MatmulOp::create(builder, loc, resultType, value, param(first));
      if (layer.use_bias)
        value = kd::AddOp::create(builder, loc, resultType, value,
                                  param(first + 1));
      value = emitActivation(info.activation, value, loc);
      break;
    }
    case LayerKind::Activation:
      value = emitActivation(info.activation, value, loc);
      break;
    case LayerKind::Conv2D: {
      unsigned first = firstParam[index];
      auto padding =
          layer.padding == "same" ? kd::Padding::same : kd::Padding::valid;
      value = kd::Conv2DOp::create(
          builder, loc, resultType, value, param(first),
          builder.getDenseI64ArrayAttr(layer.strides),
          builder.getDenseI64ArrayAttr(layer.dilation_rate),
          kd::PaddingAttr::get(&context, padding));
      if (layer.use_bias)
        value = kd::AddOp::create(builder, loc, resultType, value,
                                  param(first + 1));
      value = emitActivation(info.activation, value, loc);
      break;
    }
    case LayerKind::Conv2DTranspose:
    case LayerKind::DepthwiseConv2D:
    case LayerKind::SeparableConv2D: {
      unsigned first = firstParam[index];
      value = emitConvLayer(
          builder, loc, layer, info,
          ValueRange(paramArgs).slice(first, numParams[index]), value);
      value = emitActivation(info.activation, value, loc);
      break;
    }
    case LayerKind::MaxPooling2D:
    case LayerKind::AveragePooling2D: {
      auto padding = kd::PaddingAttr::get(&context, layer.padding == "same"
                                                        ? kd::Padding::same
                                                        : kd::Padding::valid);
      auto poolSize = builder.getDenseI64ArrayAttr(layer.pool_size);
      auto strides = builder.getDenseI64ArrayAttr(layer.strides);
      if (info.kind == LayerKind::MaxPooling2D)
        value = kd::MaxPool2DOp::create(builder, loc, resultType, value,
                                        poolSize, strides, padding);
      else
        value = kd::AvgPool2DOp::create(builder, loc, resultType, value,
                                        poolSize, strides, padding);
      break;
    }
    case LayerKind::GlobalAveragePooling1D:
    case LayerKind::GlobalAveragePooling2D:
    case LayerKind::GlobalMaxPooling1D:
    case LayerKind::GlobalMaxPooling2D:
      // Keras averages a masked sequence over its kept timesteps.
      if (mask && info.kind == LayerKind::GlobalAveragePooling1D) {
        value = kd::MaskedMeanOp::create(
            builder, loc, batchType({info.outputShape.back()}), value, mask);
        if (info.outputShape.size() > 1)
          value = kd::ReshapeOp::create(builder, loc, resultType, value);
        break;
      }
      value = emitGlobalPooling(info, value, loc);
      break;
    case LayerKind::ZeroPadding2D:
    case LayerKind::Cropping2D:
      value = emitMargins(layer, info, value, loc);
      break;
    case LayerKind::Dropout:
      // Inference passes the input through unchanged, as Keras does. Each
      // dropout layer draws its own stream: its index in the layer list.
      if (rng && layer.rate > 0.0f)
        value = kd::DropoutOp::create(builder, loc, value, rng,
                                      builder.getF32FloatAttr(layer.rate),
                                      builder.getI64IntegerAttr(index));
      break;
    case LayerKind::Reshape:
      if (info.inputShape != info.outputShape)
        value = kd::ReshapeOp::create(builder, loc, resultType, value);
      break;
    case LayerKind::SimpleRNN:
    case LayerKind::LSTM:
    case LayerKind::GRU: {
      unsigned first = firstParam[index];
      unsigned count = numParams[index];
      // Masks in training only; the stream is the layer's index, as for
      // Dropout (a second call of a shared layer draws its own masks).
      value = emitRecurrentLayer(
          builder, loc, layer, info, ValueRange(paramArgs).slice(first, count),
          value,
          [&](ActivationKind kind, Value x) {
            return emitActivation(kind, x, loc);
          },
          {rng, static_cast<int64_t>(index)},
          /*flipSequence=*/false, mask);
      break;
    }
    case LayerKind::Add:
    case LayerKind::Subtract:
    case LayerKind::Multiply:
    case LayerKind::Average:
    case LayerKind::Concatenate:
      value = emitMerge(layer, info, inputs, loc);
      if (mask && info.kind == LayerKind::Concatenate)
        mask = emitConcatenateMask(layer, inputs, inputMasks, loc);
      break;
    case LayerKind::Bidirectional:
      value = emitBidirectional(index, value, mask, rng, loc);
      break;
    case LayerKind::ReLU:
    case LayerKind::LeakyReLU:
    case LayerKind::ELU:
    case LayerKind::Softmax:
      value = emitActivationLayer(builder, loc, layer, info, value,
                                  [&](ActivationKind kind, Value x) {
                                    return emitActivation(kind, x, loc);
                                  });
      break;
    case LayerKind::Permute:
      value = emitPermute(builder, loc, layer, info, value);
      break;
    case LayerKind::Conv1D: {
      unsigned first = firstParam[index];
      value = emitConv1D(builder, loc, layer, info, param(first),
                         layer.use_bias ? param(first + 1) : Value(), value,
                         [&](ActivationKind kind, Value x) {
                           return emitActivation(kind, x, loc);
                         });
      break;
    }
    case LayerKind::LayerNormalization: {
      unsigned first = firstParam[index];
      value = emitLayerNormalization(
          builder, loc, layer,
          ValueRange(paramArgs).slice(first, getNormParams(layer, info).size()),
          value);
      break;
    }
    case LayerKind::BatchNormalization: {
      unsigned first = firstParam[index];
      SmallVector<NormParam> norm = getNormParams(layer, info);
      SmallVector<Value> args(ValueRange(paramArgs).slice(first, norm.size()));
      // A shared layer's calls update the moving averages one after the
      // other, as Keras's assignments do: a later call in training starts
      // from the earlier call's new values (it normalizes with the batch's
      // statistics, so only its update reads them).
      if (training)
        for (unsigned i = 0; i < norm.size(); ++i)
          if (Value earlier =
                  norm[i].state ? stateUpdates.lookup(first + i) : Value())
            args[i] = earlier;
      SmallVector<Value> updates;
      value = emitBatchNormalization(builder, loc, layer, args, value,
                                     training ? &updates : nullptr);
      for (unsigned i = 0, next = 0; i < norm.size(); ++i)
        if (norm[i].state && training)
          stateUpdates[first + i] = updates[next++];
      break;
    }
    case LayerKind::MaxPooling1D:
    case LayerKind::AveragePooling1D:
      value = emitPooling1D(builder, loc, layer, info, value);
      break;
    case LayerKind::UpSampling2D:
      value = emitUpSampling2D(builder, loc, layer, info, value);
      break;
    case LayerKind::Embedding:
      // mask_zero: a timestep is kept where its index is not 0 (the index
      // viewed with a last axis of one element).
      if (layer.mask_zero) {
        auto steps = batchType({info.inputShape[0], 1});
        mask = kd::AnyNotEqualOp::create(
            builder, loc, steps,
            kd::ReshapeOp::create(builder, loc, steps, value),
            builder.getF32FloatAttr(0.0f));
      }
      value = kd::EmbeddingOp::create(builder, loc, resultType, value,
                                      param(firstParam[index]));
      break;
    case LayerKind::SpatialDropout1D:
    case LayerKind::SpatialDropout2D:
      // Like Dropout: inference passes the input through; the stream is the
      // layer's index.
      if (rng && layer.rate > 0.0f)
        value =
            emitSpatialDropout(builder, loc, layer, info, value, rng, index);
      break;
    case LayerKind::Resizing:
      value = emitResizing(builder, loc, layer, info, value);
      break;
    case LayerKind::RandomFlip:
    case LayerKind::RandomRotation:
    case LayerKind::RandomZoom:
    case LayerKind::RandomTranslation:
      // Augmentation is active in training only, like Dropout; the stream
      // is the layer's index.
      if (rng)
        value =
            emitRandomImageLayer(builder, loc, layer, info, value, rng, index);
      break;
    case LayerKind::Masking: {
      // Keras multiplies the input by the mask: masked timesteps become 0.
      auto steps = batchType({info.inputShape[0], 1});
      auto attr = builder.getF32FloatAttr(layer.mask_value);
      mask = kd::AnyNotEqualOp::create(builder, loc, steps, value, attr);
      value = kd::MulOp::create(
          builder, loc, resultType, value,
          kd::AnyNotEqualOp::create(builder, loc, resultType, value, attr));
      break;
    }
    }
    if (info.timesteps != 0)
      value = kd::BatchReshapeOp::create(
          builder, loc, batchType(layerInfo.outputShape), value);
    outputs.push_back(value);
    // The analysis decided which outputs carry a mask (and refused masks
    // that would reach a layer not consuming or passing them).
    masks.push_back(layerInfo.masked ? mask : Value());
    assert((!layerInfo.masked || mask) && "a masked output without a mask");
    if (layer.activity_l1 > 0.0f || layer.activity_l2 > 0.0f)
      activityTerms.push_back({value, index});
  }
  SmallVector<Value, 1> results;
  for (size_t layer : analysis.outputLayers)
    results.push_back(outputs[layer]);
  return results;
}

void KilnModuleBuilder::buildForward(ModuleOp module) {
  SmallVector<Type> results;
  for (ArrayRef<int64_t> shape : analysis.outputShapes)
    results.push_back(batchType(shape));
  func::FuncOp func = createFunction(module, "forward", {}, results);
  func::ReturnOp::create(
      builder, fileLoc,
      emitLayers(
          func.getArguments().take_front(params.size()),
          func.getArguments().slice(params.size(), analysis.inputShapes.size()),
          Value(), /*training=*/false));
}

void KilnModuleBuilder::buildLoss(ModuleOp module, bool training) {
  size_t numOutputs = analysis.outputShapes.size();
  SmallVector<fb::TrainingT, 1> configs;
  for (size_t k = 0; k < numOutputs; ++k)
    configs.push_back(getOutputTraining(model, k));
  std::vector<std::string> metricNames = getReportedMetricNames(model);
  Type scalar = RankedTensorType::get({}, builder.getF32Type());
  SmallVector<Type> results(1 + metricNames.size(), scalar);
  // Per output: class indices, or float targets of the output's shape.
  SmallVector<Type> extraInputs;
  for (auto [config, shape] : llvm::zip(configs, analysis.outputShapes))
    extraInputs.push_back(usesDenseTargets(config.loss)
                              ? batchType(shape)
                              : RankedTensorType::get({ShapedType::kDynamic},
                                                      builder.getI32Type()));
  // In training, the new value of every state parameter follows the
  // metrics (kiln-autodiff passes them through after the gradients).
  if (training)
    for (const ParamSpec &param : params)
      if (param.state)
        results.push_back(param.type);
  bool withRng = training && hasRandomLayers(analysis.layers);
  if (withRng)
    extraInputs.push_back(RankedTensorType::get({2}, builder.getI64Type()));
  func::FuncOp func = createFunction(module, training ? "loss" : "evaluate",
                                     extraInputs, results);
  unsigned firstLabel = params.size() + analysis.inputShapes.size();
  SmallVector<Value, 1> labels;
  for (size_t k = 0; k < numOutputs; ++k) {
    // One output's labels are "y", as before several outputs existed.
    std::string name =
        numOutputs == 1 ? "y" : model.training->outputs[k]->output;
    func.setArgAttr(firstLabel + k, "kiln.label", builder.getStringAttr(name));
    labels.push_back(func.getArgument(firstLabel + k));
  }
  Value rng;
  if (withRng) {
    func.setArgAttr(firstLabel + numOutputs, "kiln.rng", builder.getUnitAttr());
    rng = func.getArgument(firstLabel + numOutputs);
  }

  SmallVector<Value, 1> outputs = emitLayers(
      func.getArguments().take_front(params.size()),
      func.getArguments().slice(params.size(), analysis.inputShapes.size()),
      rng, training);
  // The total loss is Σ weight_k · loss_k (Keras's loss_weights); with
  // several outputs each output's loss is reported too.
  SmallVector<Value, 1> outputLosses;
  Value total;
  for (size_t k = 0; k < numOutputs; ++k) {
    Location loc = NameLoc::get(
        builder.getStringAttr(configs[k].loss),
        numOutputs == 1 ? fileLoc : layerLoc(analysis.outputLayers[k]));
    Value loss = emitLoss(builder, loc, configs[k], outputs[k], labels[k]);
    outputLosses.push_back(loss);
    float weight = getOutputLossWeight(model, k);
    if (weight != 1.0f)
      loss = kd::ScaleOp::create(builder, loc, scalar, loss,
                                 builder.getF32FloatAttr(weight), FloatAttr());
    total = total ? kd::AddOp::create(builder, loc, scalar, total, loss) : loss;
  }
  SmallVector<Value> values = {addRegularization(total)};
  if (numOutputs > 1)
    values.append(outputLosses.begin(), outputLosses.end());
  for (size_t k = 0; k < numOutputs; ++k)
    for (const std::string &metric : configs[k].metrics)
      values.push_back(emitMetric(
          builder, NameLoc::get(builder.getStringAttr(metric), fileLoc),
          configs[k], metric, outputs[k], labels[k]));
  if (training)
    for (auto [index, param] : llvm::enumerate(params)) {
      if (!param.state)
        continue;
      func.setResultAttr(values.size(), "kiln.state_update",
                         builder.getI64IntegerAttr(index));
      values.push_back(stateUpdates.lookup(index));
    }
  func::ReturnOp::create(builder, fileLoc, values);
}

Value KilnModuleBuilder::addRegularization(Value loss) {
  auto scalar = RankedTensorType::get({}, builder.getF32Type());
  // Σ|w| = N · mean|w - 0| and Σw² = N · mean (w - 0)², with the existing
  // loss ops and their gradient rules; the zeros are a constant, inactive.
  auto addPenalty = [&](Location loc, Value weight, float l1, float l2) {
    if (l1 <= 0.0f && l2 <= 0.0f)
      return;
    auto type = mlir::cast<RankedTensorType>(weight.getType());
    auto zeros = mlir::arith::ConstantOp::create(
        builder, loc,
        mlir::DenseElementsAttr::get(type, builder.getF32FloatAttr(0)));
    float count = static_cast<float>(type.getNumElements());
    auto addTerm = [&](Value mean, float factor) {
      Value term = kd::ScaleOp::create(builder, loc, scalar, mean,
                                       builder.getF32FloatAttr(factor * count),
                                       FloatAttr());
      loss = kd::AddOp::create(builder, loc, scalar, loss, term);
    };
    if (l1 > 0.0f)
      addTerm(
          kd::MeanAbsoluteErrorOp::create(builder, loc, scalar, weight, zeros),
          l1);
    if (l2 > 0.0f)
      addTerm(
          kd::MeanSquaredErrorOp::create(builder, loc, scalar, weight, zeros),
          l2);
  };
  // Activity regularizers: Keras divides the penalty of the batch's outputs
  // by the batch size, so Σ|y| / n = E · mean|y| with E elements per
  // sample. The target is y scaled by 0 (zeros of y's dynamic shape); its
  // gradient contribution is multiplied by that 0.
  for (auto [value, index] : activityTerms) {
    const fb::LayerT &layer = *model.layers[index];
    Location loc = NameLoc::get(
        builder.getStringAttr(layer.name + "/activity_regularizer"), fileLoc);
    auto type = mlir::cast<RankedTensorType>(value.getType());
    float count = 1.0f;
    for (int64_t extent : type.getShape().drop_front())
      count *= static_cast<float>(extent);
    Value zeros = kd::ScaleOp::create(
        builder, loc, value, builder.getF32FloatAttr(0.0f), FloatAttr());
    auto addTerm = [&](Value mean, float factor) {
      Value term = kd::ScaleOp::create(builder, loc, scalar, mean,
                                       builder.getF32FloatAttr(factor * count),
                                       FloatAttr());
      loss = kd::AddOp::create(builder, loc, scalar, loss, term);
    };
    if (layer.activity_l1 > 0.0f)
      addTerm(
          kd::MeanAbsoluteErrorOp::create(builder, loc, scalar, value, zeros),
          layer.activity_l1);
    if (layer.activity_l2 > 0.0f)
      addTerm(
          kd::MeanSquaredErrorOp::create(builder, loc, scalar, value, zeros),
          layer.activity_l2);
  }
  for (auto [index, info] : llvm::enumerate(analysis.layers)) {
    // A shared layer's parameters are penalized once, with its owner.
    if (info.owner)
      continue;
    const fb::LayerT &layer = *model.layers[index];
    Location loc = NameLoc::get(
        builder.getStringAttr(layer.name + "/regularizer"), fileLoc);
    unsigned first = firstParam[index];
    if (info.kind == LayerKind::DepthwiseConv2D ||
        info.kind == LayerKind::SeparableConv2D) {
      bool separable = info.kind == LayerKind::SeparableConv2D;
      addPenalty(loc, param(first), layer.depthwise_l1, layer.depthwise_l2);
      if (separable)
        addPenalty(loc, param(first + 1), layer.pointwise_l1,
                   layer.pointwise_l2);
      if (layer.use_bias)
        addPenalty(loc, param(first + (separable ? 2 : 1)), layer.bias_l1,
                   layer.bias_l2);
      continue;
    }
    if (info.kind != LayerKind::Dense && info.kind != LayerKind::Conv2D &&
        info.kind != LayerKind::Conv1D &&
        info.kind != LayerKind::Conv2DTranspose)
      continue;
    addPenalty(loc, param(first), layer.kernel_l1, layer.kernel_l2);
    if (layer.use_bias)
      addPenalty(loc, param(first + 1), layer.bias_l1, layer.bias_l2);
  }
  return loss;
}

DictionaryAttr
KilnModuleBuilder::buildOptimizerAttr(const fb::OptimizerT &optimizer) {
  auto named = [&](StringRef name, Attribute value) {
    return builder.getNamedAttr(name, value);
  };
  auto f32 = [&](float value) { return builder.getF32FloatAttr(value); };
  SmallVector<NamedAttribute> fields = {
      named("name", builder.getStringAttr(optimizer.name)),
      named("learning_rate", f32(*optimizer.learning_rate)),
      named("beta_1", f32(*optimizer.beta_1)),
      named("beta_2", f32(*optimizer.beta_2)),
      named("epsilon", f32(*optimizer.epsilon))};
  // Options that are off stay out, so that the attribute (and the model's
  // fingerprint) names only what changes the arithmetic.
  for (auto [key, value] :
       {std::pair<StringRef, flatbuffers::Optional<float>>{"momentum",
                                                           optimizer.momentum},
        {"rho", optimizer.rho},
        {"initial_accumulator_value", optimizer.initial_accumulator_value},
        {"weight_decay", optimizer.weight_decay},
        {"clipnorm", optimizer.clipnorm},
        {"clipvalue", optimizer.clipvalue},
        {"global_clipnorm", optimizer.global_clipnorm}})
    if (value && (*value != 0 || key == "rho"))
      fields.push_back(named(key, f32(*value)));
  for (auto [key, value] :
       {std::pair<StringRef, bool>{"nesterov", optimizer.nesterov},
        {"amsgrad", optimizer.amsgrad},
        {"centered", optimizer.centered}})
    if (value)
      fields.push_back(named(key, builder.getBoolAttr(true)));

  if (const fb::LearningRateScheduleT *schedule =
          optimizer.learning_rate_schedule.get()) {
    SmallVector<NamedAttribute> entries = {
        named("class_name", builder.getStringAttr(schedule->class_name))};
    if (schedule->class_name == "PiecewiseConstantDecay") {
      entries.push_back(named(
          "boundaries", builder.getDenseI64ArrayAttr(schedule->boundaries)));
      entries.push_back(
          named("values", builder.getDenseF32ArrayAttr(schedule->values)));
    } else {
      entries.push_back(named(
          "decay_steps", builder.getI64IntegerAttr(schedule->decay_steps)));
    }
    if (schedule->class_name == "ExponentialDecay") {
      entries.push_back(named("decay_rate", f32(*schedule->decay_rate)));
      entries.push_back(
          named("staircase", builder.getBoolAttr(schedule->staircase)));
    }
    if (schedule->class_name == "CosineDecay") {
      entries.push_back(named("alpha", f32(schedule->alpha)));
      if (schedule->warmup_target) {
        entries.push_back(
            named("warmup_target", f32(*schedule->warmup_target)));
        entries.push_back(named(
            "warmup_steps", builder.getI64IntegerAttr(schedule->warmup_steps)));
      }
    }
    fields.push_back(
        named("learning_rate_schedule", builder.getDictionaryAttr(entries)));
  }
  return builder.getDictionaryAttr(fields);
}

mlir::ArrayAttr KilnModuleBuilder::buildLayersAttr(StringRef prefix) {
  auto named = [&](StringRef name, Attribute value) {
    return builder.getNamedAttr(name, value);
  };
  SmallVector<Attribute> layers;
  for (auto [index, info] : llvm::enumerate(analysis.layers)) {
    if (info.kind == LayerKind::InputLayer)
      continue;
    const fb::LayerT &layer = *model.layers[index];
    SmallVector<int64_t> shape = {-1};
    shape.append(info.outputShape.begin(), info.outputShape.end());
    std::string inbound;
    for (int64_t input : info.inputs) {
      if (!inbound.empty())
        inbound += ", ";
      inbound += prefix;
      inbound += input < 0 ? model.inputs[modelInputIndex(input)]->name
                           : model.layers[input]->name;
    }
    layers.push_back(builder.getDictionaryAttr(
        {named("name", builder.getStringAttr(prefix + Twine(layer.name))),
         named("class_name", builder.getStringAttr(layer.class_name)),
         named("output_shape", builder.getDenseI64ArrayAttr(shape)),
         named("param_count", builder.getI64IntegerAttr(info.paramCount)),
         named("inbound", builder.getStringAttr(inbound))}));
  }
  return builder.getArrayAttr(layers);
}

DictionaryAttr KilnModuleBuilder::buildModelAttr() {
  const fb::TrainingT &training = *model.training;
  const fb::OptimizerT &optimizer = *training.optimizer;
  auto named = [&](StringRef name, Attribute value) {
    return builder.getNamedAttr(name, value);
  };

  SmallVector<Attribute> metrics;
  for (const std::string &metric : getReportedMetricNames(model))
    metrics.push_back(builder.getStringAttr(metric));

  SmallVector<NamedAttribute> fields = {
      named("name", builder.getStringAttr(model.name)),
      named("loss", builder.getStringAttr(training.loss)),
      named("metrics", builder.getArrayAttr(metrics)),
      named("epochs", builder.getI64IntegerAttr(training.epochs)),
      named("batch_size", builder.getI64IntegerAttr(training.batch_size)),
      named("optimizer", buildOptimizerAttr(optimizer)),
      named("input_shape",
            builder.getDenseI64ArrayAttr(analysis.inputShapes.front())),
      named("output_shape",
            builder.getDenseI64ArrayAttr(analysis.outputShapes.front())),
      named("layers", buildLayersAttr())};
  // The inputs' names, and each output's name, loss and weight (the shapes
  // are the functions' own).
  {
    SmallVector<Attribute> inputs, outputs;
    for (const auto &input : model.inputs)
      inputs.push_back(builder.getStringAttr(input->name));
    for (size_t k = 0; k < analysis.outputShapes.size(); ++k) {
      fb::TrainingT config = getOutputTraining(model, k);
      SmallVector<NamedAttribute> entry = {
          named("name", builder.getStringAttr(
                            model.layers[analysis.outputLayers[k]]->name)),
          named("loss", builder.getStringAttr(config.loss)),
          named("weight",
                builder.getF32FloatAttr(getOutputLossWeight(model, k)))};
      if (config.from_logits)
        entry.push_back(named("from_logits", builder.getBoolAttr(true)));
      outputs.push_back(builder.getDictionaryAttr(entry));
    }
    fields.push_back(named("inputs", builder.getArrayAttr(inputs)));
    fields.push_back(named("outputs", builder.getArrayAttr(outputs)));
  }
  if (training.from_logits)
    fields.push_back(named("from_logits", builder.getBoolAttr(true)));
  return builder.getDictionaryAttr(fields);
}

llvm::Expected<OwningOpRef<ModuleOp>> KilnModuleBuilder::build() {
  context.getOrLoadDialect<kd::KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  context.getOrLoadDialect<mlir::arith::ArithDialect>();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr("kiln.model", buildModelAttr());
  collectParams();
  buildForward(*module);
  buildLoss(*module, /*training=*/true);
  buildLoss(*module, /*training=*/false);

  // The analysis guarantees valid IR; a failure here is a frontend bug,
  // reported rather than handed on.
  std::string message;
  {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return mlir::success();
    });
    if (mlir::succeeded(mlir::verify(*module)))
      return std::move(module);
  }
  return makeFrontendError(file, "kiln module",
                           "internal error: the module built for the model "
                           "does not verify: " +
                               message);
}

llvm::Expected<OwningOpRef<ModuleOp>>
kiln::buildKilnModule(const fb::ModelT &model, const ModelAnalysis &analysis,
                      MLIRContext &context, StringRef file) {
  return KilnModuleBuilder(model, analysis, context, file).build();
}
