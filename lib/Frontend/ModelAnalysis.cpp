//===- ModelAnalysis.cpp - Check a model description, infer shapes --------===//
//
// One walk over the layers in order: each layer's options are checked and
// completed with their defaults, and its output shape is derived from its
// input shape. The walk is iterative; graphs that branch are rejected until
// the IR builder supports them.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/Errors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;
using namespace kiln;

/// Upper bound on the elements of one sample and on a layer's parameters:
/// far above any model Kiln targets, low enough that sizes computed from
/// them (times a batch, in bytes) cannot overflow.
static constexpr int64_t maxElements = int64_t(1) << 40;

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

std::string kiln::toSnakeCase(StringRef className) {
  std::string name;
  for (size_t i = 0, e = className.size(); i < e; ++i) {
    char c = className[i];
    // Break before an upper-case letter that ends a lower-case run
    // ("tU" in GlorotUniform) or starts a capitalized word after an acronym
    // ("SProp" in RMSProp).
    if (i > 0 && isUpper(c) &&
        (isLower(className[i - 1]) ||
         (isUpper(className[i - 1]) && i + 1 < e && isLower(className[i + 1]))))
      name += '_';
    name += toLower(c);
  }
  return name;
}

void kiln::assignDefaultLayerNames(fb::ModelT &model) {
  StringMap<bool> taken;
  for (const auto &layer : model.layers)
    if (layer && !layer->name.empty())
      taken[layer->name] = true;
  // Keras counts per prefix: dense, dense_1, dense_2, ...
  StringMap<unsigned> next;
  for (auto &layer : model.layers) {
    if (!layer || !layer->name.empty())
      continue;
    std::string prefix =
        toSnakeCase(layer->class_name.empty() ? "layer" : layer->class_name);
    unsigned &counter = next[prefix];
    std::string name;
    do {
      name = counter == 0 ? prefix : prefix + "_" + std::to_string(counter);
      ++counter;
    } while (taken.count(name));
    taken[name] = true;
    layer->name = name;
  }
}

//===----------------------------------------------------------------------===//
// Vocabulary
//===----------------------------------------------------------------------===//

static std::optional<LayerKind> parseLayerKind(StringRef name) {
  return StringSwitch<std::optional<LayerKind>>(name)
      .Case("InputLayer", LayerKind::InputLayer)
      .Case("Flatten", LayerKind::Flatten)
      .Case("Dense", LayerKind::Dense)
      .Case("Rescaling", LayerKind::Rescaling)
      .Case("Activation", LayerKind::Activation)
      .Default(std::nullopt);
}

static std::optional<ActivationKind> parseActivation(StringRef name) {
  return StringSwitch<std::optional<ActivationKind>>(name)
      .Case("linear", ActivationKind::Linear)
      .Case("relu", ActivationKind::Relu)
      .Case("sigmoid", ActivationKind::Sigmoid)
      .Case("tanh", ActivationKind::Tanh)
      .Case("softmax", ActivationKind::Softmax)
      .Default(std::nullopt);
}

std::optional<InitializerKind> kiln::parseInitializer(StringRef name) {
  return StringSwitch<std::optional<InitializerKind>>(name)
      .Case("glorot_uniform", InitializerKind::GlorotUniform)
      .Case("zeros", InitializerKind::Zeros)
      .Case("ones", InitializerKind::Ones)
      .Default(std::nullopt);
}

StringRef kiln::getActivationName(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::Linear:
    return "linear";
  case ActivationKind::Relu:
    return "relu";
  case ActivationKind::Sigmoid:
    return "sigmoid";
  case ActivationKind::Tanh:
    return "tanh";
  case ActivationKind::Softmax:
    return "softmax";
  }
  llvm_unreachable("unknown activation");
}

StringRef kiln::getInitializerName(InitializerKind kind) {
  switch (kind) {
  case InitializerKind::GlorotUniform:
    return "glorot_uniform";
  case InitializerKind::Zeros:
    return "zeros";
  case InitializerKind::Ones:
    return "ones";
  }
  llvm_unreachable("unknown initializer");
}

bool kiln::isSupportedLoss(StringRef name) {
  return name == "sparse_categorical_crossentropy";
}
bool kiln::isSupportedOptimizer(StringRef name) {
  return name == "adam" || name == "sgd";
}
bool kiln::isSupportedMetric(StringRef name) {
  return name == "accuracy" || name == "acc" ||
         name == "sparse_categorical_accuracy";
}
StringRef kiln::getSupportedLossesText() {
  return "sparse_categorical_crossentropy";
}
StringRef kiln::getSupportedOptimizersText() { return "adam or sgd"; }
StringRef kiln::getSupportedMetricsText() {
  return "accuracy, acc or sparse_categorical_accuracy";
}

static constexpr StringLiteral supportedLayersText =
    "InputLayer, Flatten, Dense, Rescaling or Activation";
static constexpr StringLiteral supportedActivationsText =
    "linear, relu, sigmoid, tanh or softmax";
static constexpr StringLiteral supportedInitializersText =
    "glorot_uniform, zeros or ones";

/// Prints a shape as `[28, 28]`.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  raw_string_ostream os(text);
  interleaveComma(shape, os);
  os << "]";
  return text;
}

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

namespace {
class ModelAnalyzer {
public:
  ModelAnalyzer(fb::ModelT &model, StringRef file) : model(model), file(file) {}

  Expected<ModelAnalysis> run();

private:
  Error layerError(size_t index, const Twine &message) const {
    return makeFrontendError(file, layerPlace(index, model.layers[index]->name),
                             message);
  }
  Error fieldError(const Twine &field, const Twine &message) const {
    return makeFrontendError(file, field, message);
  }

  Error analyzeInput(ModelAnalysis &result);
  Error checkLayerNames();
  Error analyzeLayer(size_t index, ArrayRef<int64_t> inputShape,
                     LayerInfo &info);
  Error analyzeDense(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error resolveActivation(size_t index, std::string &name,
                          ActivationKind &kind);
  Error resolveInitializer(size_t index, StringRef option, std::string &name,
                           StringRef fallback);
  Error analyzeTraining(const ModelAnalysis &result);
  Error analyzeOptimizer(fb::OptimizerT &optimizer);

  fb::ModelT &model;
  StringRef file;
};
} // namespace

Error ModelAnalyzer::analyzeInput(ModelAnalysis &result) {
  if (model.inputs.empty())
    return fieldError("inputs", "expected one model input (name, shape, "
                                "dtype), got none");
  if (model.inputs.size() > 1)
    return fieldError("inputs", "models with " + Twine(model.inputs.size()) +
                                    " inputs are not supported yet; expected "
                                    "one input");
  if (!model.inputs[0])
    return fieldError("inputs[0]", "expected an input, got null");
  fb::InputT &input = *model.inputs[0];
  if (input.name.empty()) {
    bool inputLayerFirst = !model.layers.empty() && model.layers[0] &&
                           model.layers[0]->class_name == "InputLayer";
    input.name = inputLayerFirst ? model.layers[0]->name : "input";
  }
  if (input.shape.empty())
    return fieldError("inputs[0].shape",
                      "expected the shape of one sample without the batch "
                      "dimension, e.g. [28, 28]; got []");
  int64_t elements = 1;
  for (auto [i, extent] : enumerate(input.shape)) {
    if (extent < 1 || extent > maxElements)
      return fieldError("inputs[0].shape[" + Twine(i) + "]",
                        "expected a positive extent, got " + Twine(extent));
    std::optional<int64_t> product = checkedMul(elements, extent);
    if (!product || *product > maxElements)
      return fieldError("inputs[0].shape",
                        "input shape " + formatShape(input.shape) +
                            " has too many elements per sample");
    elements = *product;
  }
  if (input.dtype < fb::DType_MIN || input.dtype > fb::DType_MAX)
    return fieldError("inputs[0].dtype",
                      "unknown dtype value " + Twine(int(input.dtype)));
  if (input.dtype != fb::DType_float32)
    return fieldError("inputs[0].dtype",
                      "input dtype '" + Twine(fb::EnumNameDType(input.dtype)) +
                          "' is not supported yet; expected float32");
  result.inputShape.assign(input.shape.begin(), input.shape.end());
  return Error::success();
}

Error ModelAnalyzer::checkLayerNames() {
  StringRef inputName = model.inputs[0]->name;
  StringMap<size_t> seen;
  for (auto [index, layer] : enumerate(model.layers)) {
    auto [it, inserted] = seen.try_emplace(layer->name, index);
    if (!inserted)
      return layerError(index, "duplicate layer name '" + layer->name +
                                   "' (also layers[" + Twine(it->second) +
                                   "])");
    if (layer->name == inputName && layer->class_name != "InputLayer")
      return layerError(index, "layer name '" + layer->name +
                                   "' is also the name of the model input");
  }
  return Error::success();
}

Error ModelAnalyzer::resolveActivation(size_t index, std::string &name,
                                       ActivationKind &kind) {
  if (name.empty())
    name = "linear";
  std::optional<ActivationKind> parsed = parseActivation(name);
  if (!parsed)
    return layerError(index, "unsupported activation '" + name +
                                 "'; expected " + supportedActivationsText);
  kind = *parsed;
  return Error::success();
}

Error ModelAnalyzer::resolveInitializer(size_t index, StringRef option,
                                        std::string &name, StringRef fallback) {
  if (name.empty())
    name = fallback.str();
  if (!parseInitializer(name))
    return layerError(index, "unsupported " + option + " '" + name +
                                 "'; expected " + supportedInitializersText);
  return Error::success();
}

Error ModelAnalyzer::analyzeDense(size_t index, fb::LayerT &layer,
                                  LayerInfo &info) {
  if (info.inputShape.size() != 1)
    return layerError(index, "Dense on an input of shape " +
                                 formatShape(info.inputShape) +
                                 " per sample is not supported yet; add a "
                                 "Flatten layer before it");
  if (layer.units < 1 || layer.units > maxElements)
    return layerError(index, "expected units to be a positive integer, got " +
                                 Twine(layer.units));
  if (Error err = resolveActivation(index, layer.activation, info.activation))
    return err;
  if (Error err =
          resolveInitializer(index, "kernel_initializer",
                             layer.kernel_initializer, "glorot_uniform"))
    return err;
  if (Error err = resolveInitializer(index, "bias_initializer",
                                     layer.bias_initializer, "zeros"))
    return err;

  std::optional<int64_t> weights = checkedMul(info.inputShape[0], layer.units);
  std::optional<int64_t> params =
      weights ? checkedAdd(*weights, layer.use_bias ? layer.units : 0)
              : std::nullopt;
  if (!params || *params > maxElements)
    return layerError(index, "too many parameters (" +
                                 Twine(info.inputShape[0]) + " x " +
                                 Twine(layer.units) + ")");
  info.paramCount = *params;
  info.outputShape = {layer.units};
  return Error::success();
}

Error ModelAnalyzer::analyzeLayer(size_t index, ArrayRef<int64_t> inputShape,
                                  LayerInfo &info) {
  fb::LayerT &layer = *model.layers[index];
  info.inputShape.assign(inputShape.begin(), inputShape.end());
  info.outputShape.assign(inputShape.begin(), inputShape.end());
  switch (info.kind) {
  case LayerKind::InputLayer:
    if (index != 0)
      return layerError(index, "an InputLayer must be the first layer of a "
                               "sequential model");
    if (layer.name != model.inputs[0]->name)
      return layerError(index, "InputLayer '" + layer.name +
                                   "' does not name the model input '" +
                                   model.inputs[0]->name + "'");
    return Error::success();
  case LayerKind::Flatten: {
    int64_t elements = 1;
    for (int64_t extent : inputShape)
      elements *= extent; // Bounded by analyzeInput and the layers.
    info.outputShape = {elements};
    return Error::success();
  }
  case LayerKind::Dense:
    return analyzeDense(index, layer, info);
  case LayerKind::Rescaling:
    if (!std::isfinite(layer.scale) || !std::isfinite(layer.offset))
      return layerError(index, "expected a finite scale and offset");
    return Error::success();
  case LayerKind::Activation:
    if (layer.activation.empty())
      return layerError(index, "an Activation layer needs an activation; "
                               "expected " +
                                   Twine(supportedActivationsText));
    return resolveActivation(index, layer.activation, info.activation);
  }
  llvm_unreachable("unknown layer kind");
}

Error ModelAnalyzer::analyzeOptimizer(fb::OptimizerT &optimizer) {
  if (optimizer.name.empty())
    optimizer.name = "adam";
  if (!isSupportedOptimizer(optimizer.name))
    return fieldError("training.optimizer.name",
                      "unsupported optimizer '" + optimizer.name +
                          "'; expected " + getSupportedOptimizersText());
  // Keras's defaults. Adam's moment hyperparameters are filled in for SGD
  // too, so that the description is explicit whichever optimizer reads it.
  if (!optimizer.learning_rate)
    optimizer.learning_rate = optimizer.name == "sgd" ? 0.01f : 0.001f;
  if (!optimizer.beta_1)
    optimizer.beta_1 = 0.9f;
  if (!optimizer.beta_2)
    optimizer.beta_2 = 0.999f;
  if (!optimizer.epsilon)
    optimizer.epsilon = 1e-7f;

  float learningRate = *optimizer.learning_rate;
  if (!std::isfinite(learningRate) || learningRate <= 0)
    return fieldError("training.optimizer.learning_rate",
                      "expected a positive number, got " +
                          formatShortest(learningRate));
  for (auto [field, value] :
       {std::pair<StringRef, float>{"beta_1", *optimizer.beta_1},
        {"beta_2", *optimizer.beta_2}})
    if (!(value >= 0 && value < 1))
      return fieldError("training.optimizer." + field,
                        "expected a number in [0, 1), got " +
                            formatShortest(value));
  float epsilon = *optimizer.epsilon;
  if (!std::isfinite(epsilon) || epsilon <= 0)
    return fieldError("training.optimizer.epsilon",
                      "expected a positive number, got " +
                          formatShortest(epsilon));
  return Error::success();
}

Error ModelAnalyzer::analyzeTraining(const ModelAnalysis &result) {
  if (!model.training) {
    // No training table at all: the documented defaults, metrics included.
    model.training = std::make_unique<fb::TrainingT>();
    model.training->metrics = {"accuracy"};
  }
  fb::TrainingT &training = *model.training;
  if (!training.optimizer)
    training.optimizer = std::make_unique<fb::OptimizerT>();
  if (Error err = analyzeOptimizer(*training.optimizer))
    return err;

  if (training.loss.empty())
    training.loss = "sparse_categorical_crossentropy";
  if (!isSupportedLoss(training.loss))
    return fieldError("training.loss", "unsupported loss '" + training.loss +
                                           "'; expected " +
                                           getSupportedLossesText());
  if (result.outputShape.size() != 1)
    return fieldError("training.loss",
                      training.loss +
                          " expects the model to output a vector of class "
                          "scores per sample, got shape " +
                          formatShape(result.outputShape));

  StringMap<size_t> seen;
  for (auto [i, metric] : enumerate(training.metrics)) {
    if (!isSupportedMetric(metric))
      return fieldError("training.metrics[" + Twine(i) + "]",
                        "unsupported metric '" + metric + "'; expected " +
                            getSupportedMetricsText());
    if (!seen.try_emplace(metric, i).second)
      return fieldError("training.metrics[" + Twine(i) + "]",
                        "duplicate metric '" + metric + "'");
  }
  if (training.epochs < 1)
    return fieldError("training.epochs", "expected a positive integer, got " +
                                             Twine(training.epochs));
  if (training.batch_size < 1)
    return fieldError("training.batch_size",
                      "expected a positive integer, got " +
                          Twine(training.batch_size));
  return Error::success();
}

Expected<ModelAnalysis> ModelAnalyzer::run() {
  if (model.name.empty())
    model.name = "model";
  if (model.layers.empty())
    return fieldError("layers", "expected at least one layer, got none");
  for (auto [index, layer] : enumerate(model.layers))
    if (!layer)
      return fieldError("layers[" + Twine(index) + "]",
                        "expected a layer, got null");
  assignDefaultLayerNames(model);

  ModelAnalysis result;
  if (Error err = analyzeInput(result))
    return std::move(err);
  if (Error err = checkLayerNames())
    return std::move(err);

  // Walk the chain: each layer reads the output of the one before it (the
  // first reads the model input).
  SmallVector<int64_t> shape(result.inputShape);
  std::string producer = model.inputs[0]->name;
  bool computes = false;
  for (auto [index, layer] : enumerate(model.layers)) {
    std::optional<LayerKind> kind = parseLayerKind(layer->class_name);
    if (!kind) {
      std::string what =
          layer->class_name.empty()
              ? std::string("missing class_name")
              : "unsupported layer class '" + layer->class_name + "'";
      return layerError(index, what + "; expected " + supportedLayersText);
    }
    bool sequential = layer->inbound.empty() || (layer->inbound.size() == 1 &&
                                                 layer->inbound[0] == producer);
    if (*kind == LayerKind::InputLayer)
      sequential = layer->inbound.empty();
    if (!sequential)
      return layerError(index, "only sequential models are supported for now: "
                               "expected inbound to be empty or [\"" +
                                   producer + "\"]");
    LayerInfo info;
    info.kind = *kind;
    if (Error err = analyzeLayer(index, shape, info))
      return std::move(err);
    shape = info.outputShape;
    producer = layer->name;
    computes |= *kind != LayerKind::InputLayer;
    result.totalParams += info.paramCount; // Each is at most 2^40.
    result.layers.push_back(std::move(info));
  }
  if (!computes)
    return fieldError("layers", "expected at least one layer after the "
                                "InputLayer");
  result.outputShape = shape;

  if (Error err = analyzeTraining(result))
    return std::move(err);
  return result;
}

Expected<ModelAnalysis> kiln::analyzeModel(fb::ModelT &model, StringRef file) {
  return ModelAnalyzer(model, file).run();
}
