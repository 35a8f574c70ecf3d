//===- ModelAnalysis.cpp - Check a model description, infer shapes --------===//
//
// One walk over the layers in order: each layer's options are checked and
// completed with their defaults, and its output shape is derived from its
// input shape. The walk is iterative; graphs that branch are rejected until
// the IR builder supports them.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/Losses.h"
#include "kiln/Frontend/Errors.h"

#include "Initializers.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

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
      .Case("Conv2D", LayerKind::Conv2D)
      .Case("MaxPooling2D", LayerKind::MaxPooling2D)
      .Case("AveragePooling2D", LayerKind::AveragePooling2D)
      .Case("GlobalAveragePooling1D", LayerKind::GlobalAveragePooling1D)
      .Case("GlobalAveragePooling2D", LayerKind::GlobalAveragePooling2D)
      .Case("GlobalMaxPooling1D", LayerKind::GlobalMaxPooling1D)
      .Case("GlobalMaxPooling2D", LayerKind::GlobalMaxPooling2D)
      .Case("ZeroPadding2D", LayerKind::ZeroPadding2D)
      .Case("Cropping2D", LayerKind::Cropping2D)
      .Case("Dropout", LayerKind::Dropout)
      .Case("Reshape", LayerKind::Reshape)
      .Case("SimpleRNN", LayerKind::SimpleRNN)
      .Case("LSTM", LayerKind::LSTM)
      .Case("GRU", LayerKind::GRU)
      .Case("Add", LayerKind::Add)
      .Case("Subtract", LayerKind::Subtract)
      .Case("Multiply", LayerKind::Multiply)
      .Case("Average", LayerKind::Average)
      .Case("Concatenate", LayerKind::Concatenate)
      .Case("Bidirectional", LayerKind::Bidirectional)
      .Case("ReLU", LayerKind::ReLU)
      .Case("LeakyReLU", LayerKind::LeakyReLU)
      .Case("ELU", LayerKind::ELU)
      .Case("Softmax", LayerKind::Softmax)
      .Case("Permute", LayerKind::Permute)
      .Case("Conv1D", LayerKind::Conv1D)
      .Case("MaxPooling1D", LayerKind::MaxPooling1D)
      .Case("AveragePooling1D", LayerKind::AveragePooling1D)
      .Case("UpSampling2D", LayerKind::UpSampling2D)
      .Case("SpatialDropout1D", LayerKind::SpatialDropout1D)
      .Case("SpatialDropout2D", LayerKind::SpatialDropout2D)
      .Case("LayerNormalization", LayerKind::LayerNormalization)
      .Case("Embedding", LayerKind::Embedding)
      .Case("BatchNormalization", LayerKind::BatchNormalization)
      .Case("Resizing", LayerKind::Resizing)
      .Case("RandomFlip", LayerKind::RandomFlip)
      .Case("RandomRotation", LayerKind::RandomRotation)
      .Case("RandomZoom", LayerKind::RandomZoom)
      .Case("RandomTranslation", LayerKind::RandomTranslation)
      .Case("Conv2DTranspose", LayerKind::Conv2DTranspose)
      .Case("DepthwiseConv2D", LayerKind::DepthwiseConv2D)
      .Case("SeparableConv2D", LayerKind::SeparableConv2D)
      .Case("Masking", LayerKind::Masking)
      .Default(std::nullopt);
}

bool kiln::isMergeLayer(LayerKind kind) {
  return kind == LayerKind::Add || kind == LayerKind::Subtract ||
         kind == LayerKind::Multiply || kind == LayerKind::Average ||
         kind == LayerKind::Concatenate;
}

static std::optional<ActivationKind> parseActivation(StringRef name) {
  return StringSwitch<std::optional<ActivationKind>>(name)
      .Case("linear", ActivationKind::Linear)
      .Case("relu", ActivationKind::Relu)
      .Case("sigmoid", ActivationKind::Sigmoid)
      .Case("tanh", ActivationKind::Tanh)
      .Case("softmax", ActivationKind::Softmax)
      .Case("relu6", ActivationKind::Relu6)
      .Case("elu", ActivationKind::Elu)
      .Case("selu", ActivationKind::Selu)
      .Case("gelu", ActivationKind::Gelu)
      .Cases("swish", "silu", ActivationKind::Swish)
      .Case("softplus", ActivationKind::Softplus)
      .Case("softsign", ActivationKind::Softsign)
      .Case("hard_sigmoid", ActivationKind::HardSigmoid)
      .Case("leaky_relu", ActivationKind::LeakyRelu)
      .Case("exponential", ActivationKind::Exponential)
      .Case("log_softmax", ActivationKind::LogSoftmax)
      .Default(std::nullopt);
}

std::optional<InitializerKind> kiln::parseInitializer(StringRef name) {
  return StringSwitch<std::optional<InitializerKind>>(name)
      .Case("glorot_uniform", InitializerKind::GlorotUniform)
      .Case("zeros", InitializerKind::Zeros)
      .Case("ones", InitializerKind::Ones)
      .Case("orthogonal", InitializerKind::Orthogonal)
      .Case("glorot_normal", InitializerKind::GlorotNormal)
      .Case("he_uniform", InitializerKind::HeUniform)
      .Case("he_normal", InitializerKind::HeNormal)
      .Case("lecun_uniform", InitializerKind::LecunUniform)
      .Case("lecun_normal", InitializerKind::LecunNormal)
      .Case("random_uniform", InitializerKind::RandomUniform)
      .Case("random_normal", InitializerKind::RandomNormal)
      .Case("truncated_normal", InitializerKind::TruncatedNormal)
      .Case("variance_scaling", InitializerKind::VarianceScaling)
      .Case("constant", InitializerKind::Constant)
      .Case("identity", InitializerKind::Identity)
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
  case ActivationKind::Relu6:
    return "relu6";
  case ActivationKind::Elu:
    return "elu";
  case ActivationKind::Selu:
    return "selu";
  case ActivationKind::Gelu:
    return "gelu";
  case ActivationKind::Swish:
    return "swish";
  case ActivationKind::Softplus:
    return "softplus";
  case ActivationKind::Softsign:
    return "softsign";
  case ActivationKind::HardSigmoid:
    return "hard_sigmoid";
  case ActivationKind::LeakyRelu:
    return "leaky_relu";
  case ActivationKind::Exponential:
    return "exponential";
  case ActivationKind::LogSoftmax:
    return "log_softmax";
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
  case InitializerKind::Orthogonal:
    return "orthogonal";
  case InitializerKind::GlorotNormal:
    return "glorot_normal";
  case InitializerKind::HeUniform:
    return "he_uniform";
  case InitializerKind::HeNormal:
    return "he_normal";
  case InitializerKind::LecunUniform:
    return "lecun_uniform";
  case InitializerKind::LecunNormal:
    return "lecun_normal";
  case InitializerKind::RandomUniform:
    return "random_uniform";
  case InitializerKind::RandomNormal:
    return "random_normal";
  case InitializerKind::TruncatedNormal:
    return "truncated_normal";
  case InitializerKind::VarianceScaling:
    return "variance_scaling";
  case InitializerKind::Constant:
    return "constant";
  case InitializerKind::Identity:
    return "identity";
  }
  llvm_unreachable("unknown initializer");
}

bool kiln::isSupportedLoss(StringRef name) {
  return canonicalLossName(name) == name.str();
}
bool kiln::isSupportedOptimizer(StringRef name) {
  return llvm::is_contained({"adam", "sgd", "adamw", "rmsprop", "adagrad",
                             "adadelta", "adamax", "nadam"},
                            name);
}
bool kiln::isSupportedMetric(StringRef name) { return isKnownMetric(name); }
StringRef kiln::getSupportedLossesText() { return getLossNamesText(); }
StringRef kiln::getSupportedOptimizersText() {
  return "adam, sgd, adamw, rmsprop, adagrad, adadelta, adamax or nadam";
}
StringRef kiln::getSupportedMetricsText() { return getMetricNamesText(); }

static constexpr StringLiteral supportedLayersText =
    "InputLayer, Flatten, Dense, Rescaling, Activation, Conv2D, "
    "MaxPooling2D, AveragePooling2D, GlobalAveragePooling1D, "
    "GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, "
    "ZeroPadding2D, Cropping2D, Dropout, Reshape, SimpleRNN, LSTM, GRU, "
    "ReLU, LeakyReLU, ELU, Softmax, Permute, Conv1D, MaxPooling1D, "
    "AveragePooling1D, UpSampling2D, SpatialDropout1D, SpatialDropout2D, "
    "Add, Subtract, Multiply, Average, Concatenate, Bidirectional, "
    "LayerNormalization, BatchNormalization, Embedding, Resizing, "
    "RandomFlip, RandomRotation, RandomZoom, RandomTranslation, "
    "Conv2DTranspose, DepthwiseConv2D, SeparableConv2D or Masking";
static constexpr StringLiteral supportedActivationsText =
    "linear, relu, sigmoid, tanh, softmax, relu6, elu, selu, gelu, swish, "
    "silu, softplus, softsign, hard_sigmoid, leaky_relu, exponential or "
    "log_softmax";
static constexpr StringLiteral supportedInitializersText =
    "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, "
    "lecun_normal, orthogonal, random_uniform, random_normal, "
    "truncated_normal, variance_scaling, zeros, ones, constant or identity";

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
  Error analyzeLayer(size_t index, ArrayRef<SmallVector<int64_t>> inputShapes,
                     LayerInfo &info);
  /// Analyzes a `time_distributed` layer on one frame of its input (the
  /// input without its leading time axis) and prefixes the timesteps to
  /// its output.
  Error analyzeTimeDistributed(size_t index,
                               ArrayRef<SmallVector<int64_t>> inputShapes,
                               LayerInfo &info);
  /// Finds the producers of layer `index` (its `inbound`, or the layer
  /// before it) in `producers` and checks their number.
  Error resolveInputs(size_t index, const StringMap<int64_t> &producers,
                      int64_t previous, LayerInfo &info);
  /// Resolves `shares` to the owning layer and gives the layer the owner's
  /// options.
  Error resolveOwner(size_t index, const StringMap<int64_t> &producers,
                     const std::vector<LayerInfo> &infos, LayerInfo &info);
  /// Checks that every layer contributes to a model output.
  Error checkEveryLayerFeeds(const ModelAnalysis &result);
  Error analyzeMerge(size_t index, fb::LayerT &layer,
                     ArrayRef<SmallVector<int64_t>> inputShapes,
                     LayerInfo &info);
  Error analyzeDense(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeConv2D(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzePooling(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeGlobalPooling(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeMargins(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// Checks the regularizer factors of a Dense or Conv2D layer.
  Error checkRegularizers(size_t index, const fb::LayerT &layer) const;
  Error analyzeReshape(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeRecurrent(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// Bidirectional: the wrapped recurrent layer twice and the merge.
  Error analyzeBidirectional(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// ReLU, LeakyReLU, ELU and Softmax: an activation with options.
  Error analyzeActivationLayer(size_t index, fb::LayerT &layer,
                               LayerInfo &info);
  Error analyzePermute(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeConv1D(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzePooling1D(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeUpSampling2D(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// SpatialDropout1D and SpatialDropout2D.
  Error analyzeSpatialDropout(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeEmbedding(size_t index, fb::LayerT &layer, LayerInfo &info);
  Error analyzeResizing(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// RandomFlip, RandomRotation, RandomZoom and RandomTranslation.
  Error analyzeRandomImageLayer(size_t index, fb::LayerT &layer,
                                LayerInfo &info);
  /// Checks (and defaults) the interpolation of an image layer.
  Error checkInterpolation(size_t index, fb::LayerT &layer, StringRef fallback);
  /// The window options Conv2D, Conv2DTranspose, DepthwiseConv2D and
  /// SeparableConv2D share: image input, kernel_size, strides,
  /// dilation_rate, padding.
  Error checkConvWindow(size_t index, fb::LayerT &layer, const LayerInfo &info);
  Error analyzeConv2DTranspose(size_t index, fb::LayerT &layer,
                               LayerInfo &info);
  /// DepthwiseConv2D and SeparableConv2D.
  Error analyzeDepthwiseConv(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// Checks (and defaults) a one-element window option of a 1-D layer.
  Error checkSingle(size_t index, StringRef option,
                    std::vector<int64_t> &values, ArrayRef<int64_t> fallback);
  /// LayerNormalization and BatchNormalization.
  Error analyzeNormalization(size_t index, fb::LayerT &layer, LayerInfo &info);
  /// Checks (and defaults) a pair of positive window options.
  Error checkPair(size_t index, StringRef option, std::vector<int64_t> &values,
                  ArrayRef<int64_t> fallback);
  /// The output extents of a window over the [H, W, C] input of `info`.
  Error windowOutput(size_t index, const fb::LayerT &layer,
                     ArrayRef<int64_t> window, ArrayRef<int64_t> dilation,
                     int64_t channels, LayerInfo &info);
  Error resolveActivation(size_t index, std::string &name,
                          ActivationKind &kind);
  Error resolveInitializer(size_t index, StringRef option, std::string &name,
                           StringRef fallback);
  /// Checks the initializer's rank requirement and its arguments.
  Error checkInitializer(size_t index, StringRef option, InitializerKind kind);
  /// Rejects initializer arguments for options the layer did not resolve.
  Error checkInitializerArgsUsed(size_t index);
  /// Decides whether the layer's output carries a Keras mask, and refuses a
  /// mask reaching a layer that cannot consume or pass it.
  Error propagateMask(size_t index, const std::vector<LayerInfo> &infos,
                      LayerInfo &info);
  Error analyzeTraining(const ModelAnalysis &result);
  /// Checks `training.outputs` against the model outputs: folds an entry of
  /// a single-output model into the training fields; for several outputs,
  /// fills in one entry per output, in output order.
  Error resolveOutputTraining(const ModelAnalysis &result);
  Error analyzeOptimizer(fb::OptimizerT &optimizer);
  Error analyzeSchedule(fb::OptimizerT &optimizer);

  fb::ModelT &model;
  StringRef file;
  /// The initializer options the current layer resolved.
  std::vector<std::string> initializerOptions;
  /// For each layer analyzed, the Masking or Embedding layer whose mask
  /// its output carries (-1: none).
  std::vector<int64_t> maskOrigins;
};
} // namespace

Error ModelAnalyzer::analyzeInput(ModelAnalysis &result) {
  if (model.inputs.empty())
    return fieldError("inputs", "expected at least one model input (name, "
                                "shape, dtype), got none");
  StringMap<size_t> seen;
  for (auto [k, entry] : enumerate(model.inputs)) {
    std::string field = ("inputs[" + Twine(k) + "]").str();
    if (!entry)
      return fieldError(field, "expected an input, got null");
    fb::InputT &input = *entry;
    if (input.name.empty()) {
      // The one input of a sequential model is named after its InputLayer.
      bool inputLayerFirst = model.inputs.size() == 1 &&
                             !model.layers.empty() && model.layers[0] &&
                             model.layers[0]->class_name == "InputLayer";
      if (inputLayerFirst)
        input.name = model.layers[0]->name;
      else
        input.name = k == 0 ? "input" : ("input_" + Twine(k)).str();
    }
    if (auto [it, inserted] = seen.try_emplace(input.name, k); !inserted)
      return fieldError(field + ".name", "duplicate input name '" + input.name +
                                             "' (also inputs[" +
                                             Twine(it->second) + "])");
    if (input.shape.empty())
      return fieldError(field + ".shape",
                        "expected the shape of one sample without the batch "
                        "dimension, e.g. [28, 28]; got []");
    int64_t elements = 1;
    for (auto [i, extent] : enumerate(input.shape)) {
      if (extent < 1 || extent > maxElements)
        return fieldError(field + ".shape[" + Twine(i) + "]",
                          "expected a positive extent, got " + Twine(extent));
      std::optional<int64_t> product = checkedMul(elements, extent);
      if (!product || *product > maxElements)
        return fieldError(field + ".shape",
                          "input shape " + formatShape(input.shape) +
                              " has too many elements per sample");
      elements = *product;
    }
    if (input.dtype < fb::DType_MIN || input.dtype > fb::DType_MAX)
      return fieldError(field + ".dtype",
                        "unknown dtype value " + Twine(int(input.dtype)));
    // uint8 and int32 data (pixels, token indices) is fed to the compiled
    // model as float32, which holds every such value below 2^24 exactly.
    result.inputShapes.emplace_back(input.shape.begin(), input.shape.end());
  }
  return Error::success();
}

Error ModelAnalyzer::checkLayerNames() {
  StringMap<size_t> seen;
  for (auto [index, layer] : enumerate(model.layers)) {
    auto [it, inserted] = seen.try_emplace(layer->name, index);
    if (!inserted)
      return layerError(index, "duplicate layer name '" + layer->name +
                                   "' (also layers[" + Twine(it->second) +
                                   "])");
    StringRef name = layer->name;
    if (layer->class_name != "InputLayer" &&
        llvm::any_of(model.inputs,
                     [&](const auto &input) { return input->name == name; }))
      return layerError(index, "layer name '" + layer->name +
                                   "' is also the name of a model input");
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
  std::optional<InitializerKind> kind = parseInitializer(name);
  if (!kind)
    return layerError(index, "unsupported " + option + " '" + name +
                                 "'; expected " + supportedInitializersText);
  return checkInitializer(index, option, *kind);
}

Error ModelAnalyzer::checkInitializer(size_t index, StringRef option,
                                      InitializerKind kind) {
  fb::LayerT &layer = *model.layers[index];
  initializerOptions.push_back(option.str());
  // Keras builds these from a matrix: refuse what it would refuse, for
  // vectors (biases, gamma, beta) and, for identity, convolution kernels.
  bool kernel =
      option == "kernel_initializer" || option == "recurrent_initializer" ||
      option == "depthwise_initializer" || option == "pointwise_initializer";
  bool matrix = kernel && option != "depthwise_initializer" &&
                option != "pointwise_initializer" &&
                layer.class_name != "Conv2D" &&
                layer.class_name != "Conv2DTranspose";
  if ((kind == InitializerKind::Identity && !matrix) ||
      (kind == InitializerKind::Orthogonal && !kernel))
    return layerError(index, option + " " + getInitializerName(kind) +
                                 " needs a " +
                                 (kind == InitializerKind::Identity
                                      ? "2-D parameter"
                                      : "parameter of rank 2 or more"));
  std::string message = resolveInitializerArgs(layer, option, kind);
  if (!message.empty())
    return layerError(index, message);
  return Error::success();
}

Error ModelAnalyzer::checkInitializerArgsUsed(size_t index) {
  // Arguments for an initializer the layer does not have would be ignored.
  std::vector<std::string> used = std::move(initializerOptions);
  initializerOptions.clear();
  std::vector<StringRef> seen;
  for (const auto &args : model.layers[index]->initializer_args) {
    StringRef option = args ? StringRef(args->option) : StringRef();
    if (!llvm::is_contained(used, option))
      return layerError(index, "initializer_args for '" + option +
                                   "', which is not an initializer option of "
                                   "this layer");
    if (llvm::is_contained(seen, option))
      return layerError(index, "more than one initializer_args entry for '" +
                                   option + "'");
    seen.push_back(option);
  }
  return Error::success();
}

Error ModelAnalyzer::analyzeNormalization(size_t index, fb::LayerT &layer,
                                          LayerInfo &info) {
  // Keras normalizes over (LayerNormalization) or per entry of (Batch-
  // Normalization) the axes it is given; Kiln supports the last one.
  int64_t last = int64_t(info.inputShape.size());
  if (layer.axis != -1 && layer.axis != last)
    return layerError(index, "axis " + Twine(layer.axis) +
                                 " is not supported; expected -1 (the last "
                                 "axis, " +
                                 Twine(last) + ")");
  layer.axis = -1;
  if (!(layer.epsilon > 0.0f) || !std::isfinite(layer.epsilon))
    return layerError(index, "expected epsilon > 0, got " +
                                 formatShortest(layer.epsilon));
  if (layer.use_gamma)
    if (Error err = resolveInitializer(index, "gamma_initializer",
                                       layer.gamma_initializer, "ones"))
      return err;
  if (layer.use_beta)
    if (Error err = resolveInitializer(index, "beta_initializer",
                                       layer.beta_initializer, "zeros"))
      return err;
  int64_t perChannel = int64_t(layer.use_gamma) + layer.use_beta;
  if (info.kind == LayerKind::BatchNormalization) {
    if (!(layer.momentum >= 0.0f && layer.momentum <= 1.0f))
      return layerError(index, "expected momentum in [0, 1], got " +
                                   formatShortest(layer.momentum));
    if (Error err = resolveInitializer(index, "moving_mean_initializer",
                                       layer.moving_mean_initializer, "zeros"))
      return err;
    if (Error err =
            resolveInitializer(index, "moving_variance_initializer",
                               layer.moving_variance_initializer, "ones"))
      return err;
    perChannel += 2; // The moving mean and variance.
  }
  info.paramCount = info.inputShape.back() * perChannel;
  return Error::success();
}

Error ModelAnalyzer::analyzeDense(size_t index, fb::LayerT &layer,
                                  LayerInfo &info) {
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

  // Keras applies Dense to the last axis of samples of any rank.
  int64_t features = info.inputShape.back();
  std::optional<int64_t> weights = checkedMul(features, layer.units);
  std::optional<int64_t> params =
      weights ? checkedAdd(*weights, layer.use_bias ? layer.units : 0)
              : std::nullopt;
  if (!params || *params > maxElements)
    return layerError(index, "too many parameters (" + Twine(features) + " x " +
                                 Twine(layer.units) + ")");
  info.paramCount = *params;
  info.outputShape.back() = layer.units;
  int64_t elements = 1;
  for (int64_t extent : info.outputShape)
    elements = checkedMul(elements, extent).value_or(maxElements + 1);
  if (elements > maxElements)
    return layerError(index, "the output has too many elements per sample");
  return Error::success();
}

bool kiln::hasRandomLayers(const std::vector<LayerInfo> &layers) {
  return llvm::any_of(layers, [](const LayerInfo &info) {
    return info.kind == LayerKind::Dropout ||
           info.kind == LayerKind::SpatialDropout1D ||
           info.kind == LayerKind::SpatialDropout2D ||
           info.kind == LayerKind::RandomFlip ||
           info.kind == LayerKind::RandomRotation ||
           info.kind == LayerKind::RandomZoom ||
           info.kind == LayerKind::RandomTranslation || info.recurrentDropout;
  });
}

Error ModelAnalyzer::checkPair(size_t index, StringRef option,
                               std::vector<int64_t> &values,
                               ArrayRef<int64_t> fallback) {
  if (values.empty())
    values.assign(fallback.begin(), fallback.end());
  if (values.size() != 2 || values[0] < 1 || values[1] < 1 ||
      values[0] > maxElements || values[1] > maxElements)
    return layerError(index, "expected " + option +
                                 " to be two positive integers (height, "
                                 "width), got " +
                                 formatShape(values));
  return Error::success();
}

/// TensorFlow's output extent of a window: `valid` reads whole windows,
/// `same` gives ceil(input / stride). Zero when the window does not fit.
static int64_t windowExtent(int64_t input, int64_t window, int64_t stride,
                            int64_t dilation, bool same) {
  if (same)
    return (input + stride - 1) / stride;
  int64_t span = (window - 1) * dilation + 1;
  return input < span ? 0 : (input - span) / stride + 1;
}

Error ModelAnalyzer::windowOutput(size_t index, const fb::LayerT &layer,
                                  ArrayRef<int64_t> window,
                                  ArrayRef<int64_t> dilation, int64_t channels,
                                  LayerInfo &info) {
  bool same = layer.padding == "same";
  SmallVector<int64_t> shape;
  for (int i = 0; i < 2; ++i) {
    int64_t extent = windowExtent(info.inputShape[i], window[i],
                                  layer.strides[i], dilation[i], same);
    if (extent < 1)
      return layerError(index, "the window " + formatShape(window) +
                                   " does not fit the input of shape " +
                                   formatShape(info.inputShape) +
                                   " with padding 'valid'");
    shape.push_back(extent);
  }
  shape.push_back(channels);
  info.outputShape = shape;
  return Error::success();
}

/// Conv2D and pooling read images: one [height, width, channels] sample.
static bool isImageShape(ArrayRef<int64_t> shape) { return shape.size() == 3; }

Error ModelAnalyzer::analyzeConv2D(size_t index, fb::LayerT &layer,
                                   LayerInfo &info) {
  if (Error err = checkConvWindow(index, layer, info))
    return err;
  if (layer.filters < 1 || layer.filters > maxElements)
    return layerError(index, "expected filters to be a positive integer, "
                             "got " +
                                 Twine(layer.filters));
  if (Error err = resolveActivation(index, layer.activation, info.activation))
    return err;
  if (Error err =
          resolveInitializer(index, "kernel_initializer",
                             layer.kernel_initializer, "glorot_uniform"))
    return err;
  if (Error err = resolveInitializer(index, "bias_initializer",
                                     layer.bias_initializer, "zeros"))
    return err;

  int64_t weights = 1;
  for (int64_t factor : {layer.kernel_size[0], layer.kernel_size[1],
                         info.inputShape[2], layer.filters}) {
    std::optional<int64_t> product = checkedMul(weights, factor);
    if (!product || *product > maxElements)
      return layerError(index, "too many parameters");
    weights = *product;
  }
  info.paramCount = weights + (layer.use_bias ? layer.filters : 0);
  return windowOutput(index, layer, layer.kernel_size, layer.dilation_rate,
                      layer.filters, info);
}

Error ModelAnalyzer::analyzePooling(size_t index, fb::LayerT &layer,
                                    LayerInfo &info) {
  if (!isImageShape(info.inputShape))
    return layerError(index, layer.class_name +
                                 " expects inputs of shape [height, width, "
                                 "channels] per sample, got " +
                                 formatShape(info.inputShape));
  if (Error err = checkPair(index, "pool_size", layer.pool_size, {2, 2}))
    return err;
  if (Error err = checkPair(index, "strides", layer.strides, layer.pool_size))
    return err;
  if (layer.padding.empty())
    layer.padding = "valid";
  if (layer.padding != "valid" && layer.padding != "same")
    return layerError(index, "unsupported padding '" + layer.padding +
                                 "'; expected valid or same");
  return windowOutput(index, layer, layer.pool_size, {1, 1}, info.inputShape[2],
                      info);
}

/// Global pooling reduces the spatial axes of [height, width, channels]
/// (2-D) or the steps of [steps, channels] (1-D) samples to [channels], or
/// to [1, 1, channels] / [1, channels] when `target_shape` keeps them.
Error ModelAnalyzer::analyzeGlobalPooling(size_t index, fb::LayerT &layer,
                                          LayerInfo &info) {
  bool is2D = info.kind == LayerKind::GlobalAveragePooling2D ||
              info.kind == LayerKind::GlobalMaxPooling2D;
  size_t rank = is2D ? 3 : 2;
  if (info.inputShape.size() != rank)
    return layerError(
        index, layer.class_name + " expects inputs of shape " +
                   (is2D ? "[height, width, channels]" : "[steps, channels]") +
                   " per sample, got " + formatShape(info.inputShape));
  int64_t channels = info.inputShape.back();
  if (layer.target_shape.empty()) {
    info.outputShape = {channels};
    return Error::success();
  }
  SmallVector<int64_t> kept(rank - 1, 1);
  kept.push_back(channels);
  bool valid = layer.target_shape.size() == rank;
  for (size_t i = 0; valid && i < rank; ++i)
    valid = layer.target_shape[i] == kept[i] ||
            (i + 1 == rank && layer.target_shape[i] == -1);
  if (!valid)
    return layerError(index, "expected target_shape to be absent (the pooled "
                             "axes are dropped) or " +
                                 formatShape(kept) + " (keepdims), got " +
                                 formatShape(layer.target_shape));
  layer.target_shape.assign(kept.begin(), kept.end());
  info.outputShape = kept;
  return Error::success();
}

Error ModelAnalyzer::checkRegularizers(size_t index,
                                       const fb::LayerT &layer) const {
  for (auto [name, factor] :
       {std::pair<StringRef, float>{"kernel_l1", layer.kernel_l1},
        {"kernel_l2", layer.kernel_l2},
        {"bias_l1", layer.bias_l1},
        {"bias_l2", layer.bias_l2},
        {"depthwise_l1", layer.depthwise_l1},
        {"depthwise_l2", layer.depthwise_l2},
        {"pointwise_l1", layer.pointwise_l1},
        {"pointwise_l2", layer.pointwise_l2}})
    if (!std::isfinite(factor) || factor < 0)
      return layerError(index, "expected " + name +
                                   " to be a non-negative factor, got " +
                                   formatShortest(factor));
  return Error::success();
}

/// ZeroPadding2D adds and Cropping2D removes rows and columns of an image:
/// `margins` = [top, bottom, left, right].
Error ModelAnalyzer::analyzeMargins(size_t index, fb::LayerT &layer,
                                    LayerInfo &info) {
  bool crop = info.kind == LayerKind::Cropping2D;
  if (!isImageShape(info.inputShape))
    return layerError(index, layer.class_name +
                                 " expects inputs of shape [height, width, "
                                 "channels] per sample, got " +
                                 formatShape(info.inputShape));
  if (layer.margins.empty())
    layer.margins.assign(4, crop ? 0 : 1);
  if (layer.margins.size() != 4)
    return layerError(index, "expected margins [top, bottom, left, right], "
                             "got " +
                                 formatShape(layer.margins));
  for (int64_t margin : layer.margins)
    if (margin < 0 || margin > maxElements)
      return layerError(index, "expected non-negative margins, got " +
                                   formatShape(layer.margins));
  info.outputShape = info.inputShape;
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t change = layer.margins[2 * axis] + layer.margins[2 * axis + 1];
    int64_t extent =
        crop ? info.inputShape[axis] - change : info.inputShape[axis] + change;
    if (extent < 1 || extent > maxElements)
      return layerError(index, "margins " + formatShape(layer.margins) +
                                   (crop ? " crop away" : " pad") +
                                   " the input " +
                                   formatShape(info.inputShape) +
                                   (crop ? " entirely" : " too much"));
    info.outputShape[axis] = extent;
  }
  return Error::success();
}

Error ModelAnalyzer::analyzeReshape(size_t index, fb::LayerT &layer,
                                    LayerInfo &info) {
  int64_t elements = 1;
  for (int64_t extent : info.inputShape)
    elements *= extent;
  if (layer.target_shape.empty())
    return layerError(index, "a Reshape layer needs a target_shape");
  int64_t known = 1;
  std::optional<size_t> inferred;
  for (auto [i, extent] : enumerate(layer.target_shape)) {
    if (extent == -1 && !inferred) {
      inferred = i;
      continue;
    }
    if (extent < 1 || extent > maxElements)
      return layerError(index, "expected target_shape to hold positive "
                               "extents (one may be -1), got " +
                                   formatShape(layer.target_shape));
    std::optional<int64_t> product = checkedMul(known, extent);
    if (!product || *product > maxElements)
      return layerError(index, "target_shape has too many elements");
    known = *product;
  }
  if (inferred) {
    if (elements % known != 0)
      return layerError(index, "cannot reshape " + Twine(elements) +
                                   " elements per sample into " +
                                   formatShape(layer.target_shape));
    layer.target_shape[*inferred] = elements / known;
    known = elements;
  }
  if (known != elements)
    return layerError(index, "cannot reshape a sample of shape " +
                                 formatShape(info.inputShape) + " into " +
                                 formatShape(layer.target_shape) +
                                 ": the element counts differ");
  info.outputShape.assign(layer.target_shape.begin(), layer.target_shape.end());
  return Error::success();
}

/// SimpleRNN, LSTM and GRU read a [timesteps, features] sequence.
Error ModelAnalyzer::analyzeRecurrent(size_t index, fb::LayerT &layer,
                                      LayerInfo &info) {
  if (info.inputShape.size() != 2)
    return layerError(index, layer.class_name +
                                 " expects inputs of shape [timesteps, "
                                 "features] per sample, got " +
                                 formatShape(info.inputShape));
  if (layer.units < 1 || layer.units > maxElements)
    return layerError(index, "expected units to be a positive integer, got " +
                                 Twine(layer.units));
  if (layer.activation.empty())
    layer.activation = "tanh";
  if (Error err = resolveActivation(index, layer.activation, info.activation))
    return err;
  if (info.kind != LayerKind::SimpleRNN) {
    if (layer.recurrent_activation.empty())
      layer.recurrent_activation = "sigmoid";
    if (Error err = resolveActivation(index, layer.recurrent_activation,
                                      info.recurrentActivation))
      return err;
  }
  for (ActivationKind kind : {info.activation, info.recurrentActivation})
    if (kind == ActivationKind::Softmax || kind == ActivationKind::LogSoftmax)
      return layerError(index, getActivationName(kind) +
                                   " is not supported as a recurrent "
                                   "layer's activation");
  if (Error err =
          resolveInitializer(index, "kernel_initializer",
                             layer.kernel_initializer, "glorot_uniform"))
    return err;
  if (Error err = resolveInitializer(index, "recurrent_initializer",
                                     layer.recurrent_initializer, "orthogonal"))
    return err;
  if (Error err = resolveInitializer(index, "bias_initializer",
                                     layer.bias_initializer, "zeros"))
    return err;
  bool lstm = info.kind == LayerKind::LSTM;
  if (lstm && layer.use_bias && layer.unit_forget_bias &&
      layer.bias_initializer != "zeros" && layer.bias_initializer != "ones")
    return layerError(index, "unit_forget_bias with bias_initializer '" +
                                 layer.bias_initializer +
                                 "' is not supported; expected zeros or ones");

  int64_t gates = lstm ? 4 : info.kind == LayerKind::GRU ? 3 : 1;
  int64_t features = info.inputShape[1], units = layer.units;
  // Both products stay far below 2^63: units and features are < 2^40.
  int64_t weights = (features + units) * gates * units;
  int64_t biases = layer.use_bias ? gates * units : 0;
  if (info.kind == LayerKind::GRU && layer.reset_after)
    biases *= 2;
  if (units > (int64_t(1) << 20) || weights + biases > maxElements)
    return layerError(index, "too many parameters");
  for (auto [name, rate] :
       {std::pair<StringRef, float>{"dropout", layer.dropout},
        {"recurrent_dropout", layer.recurrent_dropout}})
    if (!(rate >= 0.0f && rate < 1.0f))
      return layerError(index, "expected " + name + " in [0, 1), got " +
                                   formatShortest(rate));
  if (layer.implementation != 1 && layer.implementation != 2)
    return layerError(index, "expected implementation 1 or 2, got " +
                                 Twine(layer.implementation));
  info.recurrentDropout =
      layer.dropout > 0.0f || layer.recurrent_dropout > 0.0f;
  info.paramCount = weights + biases;
  if (layer.return_sequences)
    info.outputShape = {info.inputShape[0], units};
  else
    info.outputShape = {units};
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Activation layers, Permute, Conv1D and 1-D pooling
//===----------------------------------------------------------------------===//

Error ModelAnalyzer::analyzeActivationLayer(size_t index, fb::LayerT &layer,
                                            LayerInfo &info) {
  auto nonNegative = [&](StringRef option, float value) -> Error {
    if (!std::isfinite(value) || value < 0)
      return layerError(index, "expected " + option +
                                   " to be a non-negative number, got " +
                                   formatShortest(value));
    return Error::success();
  };
  switch (info.kind) {
  case LayerKind::ReLU: {
    // Keras: x >= max_value ? max_value : x >= threshold ? x
    //        : negative_slope * (x - threshold). Kiln implements the
    // combinations that are relu, relu6, a clipped relu and leaky_relu.
    if (!layer.negative_slope)
      layer.negative_slope = 0.0f;
    float slope = *layer.negative_slope;
    if (Error err = nonNegative("negative_slope", slope))
      return err;
    if (layer.threshold != 0.0f)
      return layerError(index, "ReLU with threshold " +
                                   formatShortest(layer.threshold) +
                                   " is not supported yet; expected 0");
    if (layer.max_value) {
      float max = *layer.max_value;
      if (Error err = nonNegative("max_value", max))
        return err;
      if (slope != 0.0f)
        return layerError(index, "ReLU with max_value " + formatShortest(max) +
                                     " and a negative_slope is not supported "
                                     "yet; expected one of them");
      // Relu6, or a clipped relu the layer emitter builds from max_value.
      info.activation = ActivationKind::Relu6;
    } else {
      info.activation =
          slope == 0.0f ? ActivationKind::Relu : ActivationKind::LeakyRelu;
    }
    return Error::success();
  }
  case LayerKind::LeakyReLU:
    if (!layer.negative_slope)
      layer.negative_slope = leakyReluLayerSlope;
    info.activation = ActivationKind::LeakyRelu;
    return nonNegative("negative_slope", *layer.negative_slope);
  case LayerKind::ELU:
    if (!layer.alpha)
      layer.alpha = 1.0f;
    info.activation = ActivationKind::Elu;
    return nonNegative("alpha", *layer.alpha);
  case LayerKind::Softmax: {
    // Keras counts the batch as axis 0: the sample axes of rank r are
    // 1..r, or -r..-1. The normalized axes end up sorted and positive in
    // `axes` (the last alone as `axis` -1, the plain softmax).
    int64_t rank = info.inputShape.size();
    SmallVector<int64_t> axes(layer.axes.begin(), layer.axes.end());
    if (axes.empty())
      axes.push_back(layer.axis);
    for (int64_t &axis : axes) {
      int64_t given = axis;
      if (axis < 0)
        axis += rank + 1;
      if (axis < 1 || axis > rank)
        return layerError(index, "Softmax axis " + Twine(given) +
                                     " is not a sample axis of inputs of "
                                     "shape " +
                                     formatShape(info.inputShape) +
                                     "; expected 1.." + Twine(rank) + " or -" +
                                     Twine(rank) +
                                     "..-1 (axis "
                                     "0 is the batch)");
    }
    llvm::sort(axes);
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
      return layerError(index, "Softmax lists an axis twice");
    layer.axis = -1;
    layer.axes.clear();
    if (axes.size() > 1 || axes.front() != rank)
      layer.axes.assign(axes.begin(), axes.end());
    info.activation = ActivationKind::Softmax;
    return Error::success();
  }
  default:
    llvm_unreachable("not an activation layer");
  }
}

Error ModelAnalyzer::analyzePermute(size_t index, fb::LayerT &layer,
                                    LayerInfo &info) {
  size_t rank = info.inputShape.size();
  SmallVector<bool> seen(rank + 1, false);
  bool valid = layer.dims.size() == rank;
  for (int64_t dim : layer.dims) {
    valid =
        valid && dim >= 1 && dim <= static_cast<int64_t>(rank) && !seen[dim];
    if (valid)
      seen[dim] = true;
  }
  if (!valid)
    return layerError(index, "expected dims to be a permutation of 1.." +
                                 Twine(rank) +
                                 " (the sample axes, 1-based), "
                                 "got " +
                                 formatShape(layer.dims));
  for (size_t k = 0; k < rank; ++k)
    info.outputShape[k] = info.inputShape[layer.dims[k] - 1];
  return Error::success();
}

Error ModelAnalyzer::checkSingle(size_t index, StringRef option,
                                 std::vector<int64_t> &values,
                                 ArrayRef<int64_t> fallback) {
  if (values.empty())
    values.assign(fallback.begin(), fallback.end());
  if (values.size() != 1 || values[0] < 1 || values[0] > maxElements)
    return layerError(index, "expected " + option +
                                 " to be one positive integer, got " +
                                 formatShape(values));
  return Error::success();
}

/// Conv1D reads [steps, channels] samples; the IR builder runs it as a
/// Conv2D on an image of height 1, so the checks and extents are Conv2D's.
Error ModelAnalyzer::analyzeConv1D(size_t index, fb::LayerT &layer,
                                   LayerInfo &info) {
  if (info.inputShape.size() != 2)
    return layerError(index, "Conv1D expects inputs of shape [steps, "
                             "channels] per sample, got " +
                                 formatShape(info.inputShape));
  if (layer.filters < 1 || layer.filters > maxElements)
    return layerError(index, "expected filters to be a positive integer, "
                             "got " +
                                 Twine(layer.filters));
  if (Error err = checkSingle(index, "kernel_size", layer.kernel_size, {}))
    return err;
  if (Error err = checkSingle(index, "strides", layer.strides, {1}))
    return err;
  if (Error err = checkSingle(index, "dilation_rate", layer.dilation_rate, {1}))
    return err;
  if (layer.padding.empty())
    layer.padding = "valid";
  if (layer.padding != "valid" && layer.padding != "same" &&
      layer.padding != "causal")
    return layerError(index, "unsupported padding '" + layer.padding +
                                 "'; expected valid, same or causal");
  int64_t kernel = layer.kernel_size[0], stride = layer.strides[0];
  int64_t dilation = layer.dilation_rate[0];
  if (stride > 1 && dilation > 1)
    return layerError(index, "strides > 1 together with dilation_rate > 1 "
                             "are not supported (Keras refuses them too)");
  if (Error err = resolveActivation(index, layer.activation, info.activation))
    return err;
  if (Error err =
          resolveInitializer(index, "kernel_initializer",
                             layer.kernel_initializer, "glorot_uniform"))
    return err;
  if (Error err = resolveInitializer(index, "bias_initializer",
                                     layer.bias_initializer, "zeros"))
    return err;
  int64_t weights = 1;
  for (int64_t factor : {kernel, info.inputShape[1], layer.filters}) {
    std::optional<int64_t> product = checkedMul(weights, factor);
    if (!product || *product > maxElements)
      return layerError(index, "too many parameters");
    weights = *product;
  }
  info.paramCount = weights + (layer.use_bias ? layer.filters : 0);
  // Causal padding puts (kernel - 1) · dilation zeros before the steps and
  // then reads whole windows: ceil(steps / stride) outputs, like `same`.
  int64_t steps = info.inputShape[0];
  bool same = layer.padding != "valid";
  int64_t extent = windowExtent(steps, kernel, stride, dilation, same);
  if (extent < 1)
    return layerError(index, "the window [" + Twine(kernel) +
                                 "] does not fit the input of shape " +
                                 formatShape(info.inputShape) +
                                 " with padding 'valid'");
  info.outputShape = {extent, layer.filters};
  return Error::success();
}

Error ModelAnalyzer::analyzePooling1D(size_t index, fb::LayerT &layer,
                                      LayerInfo &info) {
  if (info.inputShape.size() != 2)
    return layerError(index, layer.class_name +
                                 " expects inputs of shape [steps, channels] "
                                 "per sample, got " +
                                 formatShape(info.inputShape));
  if (Error err = checkSingle(index, "pool_size", layer.pool_size, {2}))
    return err;
  if (Error err = checkSingle(index, "strides", layer.strides, layer.pool_size))
    return err;
  if (layer.padding.empty())
    layer.padding = "valid";
  if (layer.padding != "valid" && layer.padding != "same")
    return layerError(index, "unsupported padding '" + layer.padding +
                                 "'; expected valid or same");
  int64_t extent = windowExtent(info.inputShape[0], layer.pool_size[0],
                                layer.strides[0], 1, layer.padding == "same");
  if (extent < 1)
    return layerError(index, "the window " + formatShape(layer.pool_size) +
                                 " does not fit the input of shape " +
                                 formatShape(info.inputShape) +
                                 " with padding 'valid'");
  info.outputShape = {extent, info.inputShape[1]};
  return Error::success();
}

Error ModelAnalyzer::analyzeUpSampling2D(size_t index, fb::LayerT &layer,
                                         LayerInfo &info) {
  if (!isImageShape(info.inputShape))
    return layerError(index, "UpSampling2D expects inputs of shape [height, "
                             "width, channels] per sample, got " +
                                 formatShape(info.inputShape));
  if (Error err = checkPair(index, "size", layer.size, {2, 2}))
    return err;
  if (Error err = checkInterpolation(index, layer, "nearest"))
    return err;
  for (int axis = 0; axis < 2; ++axis) {
    std::optional<int64_t> extent =
        checkedMul(info.inputShape[axis], layer.size[axis]);
    if (!extent || *extent > maxElements)
      return layerError(index, "the upsampled image is too large");
    info.outputShape[axis] = *extent;
  }
  return Error::success();
}

Error ModelAnalyzer::checkInterpolation(size_t index, fb::LayerT &layer,
                                        StringRef fallback) {
  if (layer.interpolation.empty())
    layer.interpolation = fallback.str();
  if (layer.interpolation != "nearest" && layer.interpolation != "bilinear")
    return layerError(index, layer.class_name + " with interpolation '" +
                                 layer.interpolation +
                                 "' is not supported; expected bilinear or "
                                 "nearest");
  return Error::success();
}

Error ModelAnalyzer::analyzeResizing(size_t index, fb::LayerT &layer,
                                     LayerInfo &info) {
  if (!isImageShape(info.inputShape))
    return layerError(index, "Resizing expects inputs of shape [height, width, "
                             "channels] per sample, got " +
                                 formatShape(info.inputShape));
  if (layer.height < 1 || layer.width < 1 || layer.height > maxElements ||
      layer.width > maxElements)
    return layerError(index, "Resizing expects height and width >= 1, got " +
                                 std::to_string(layer.height) + " and " +
                                 std::to_string(layer.width));
  if (Error err = checkInterpolation(index, layer, "bilinear"))
    return err;
  std::optional<int64_t> pixels = checkedMul(layer.height, layer.width);
  if (!pixels || !checkedMul(*pixels, info.inputShape[2]) ||
      *checkedMul(*pixels, info.inputShape[2]) > maxElements)
    return layerError(index, "the resized image is too large");
  info.outputShape = {layer.height, layer.width, info.inputShape[2]};
  return Error::success();
}

/// Keras's factors: [lower, upper] pairs, defaults of the fill and the
/// interpolation; the output has the input's shape.
Error ModelAnalyzer::analyzeRandomImageLayer(size_t index, fb::LayerT &layer,
                                             LayerInfo &info) {
  StringRef className = layer.class_name;
  if (!isImageShape(info.inputShape))
    return layerError(index, className +
                                 " expects inputs of shape [height, "
                                 "width, channels] per sample, got " +
                                 formatShape(info.inputShape));
  auto checkRange = [&](StringRef option, const std::vector<float> &range,
                        bool required, float bound) -> Error {
    if (range.empty() && !required)
      return Error::success();
    if (range.size() != 2 || !std::isfinite(range[0]) ||
        !std::isfinite(range[1]) || range[0] > range[1] || range[0] < -bound ||
        range[1] > bound)
      return layerError(
          index, className + " expects " + option +
                     " as [lower, upper] with lower <= upper" +
                     (std::isinf(bound) ? std::string() : ", each in [-1, 1]"));
    return Error::success();
  };
  const float unbounded = std::numeric_limits<float>::infinity();
  switch (info.kind) {
  case LayerKind::RandomFlip:
    if (layer.mode.empty())
      layer.mode = "horizontal_and_vertical";
    if (layer.mode != "horizontal" && layer.mode != "vertical" &&
        layer.mode != "horizontal_and_vertical")
      return layerError(index, "RandomFlip with mode '" + layer.mode +
                                   "' is not supported; expected horizontal, "
                                   "vertical or horizontal_and_vertical");
    return Error::success();
  case LayerKind::RandomRotation:
    if (Error err = checkRange("factor", layer.factor, true, unbounded))
      return err;
    break;
  case LayerKind::RandomZoom:
    if (Error err = checkRange("height_factor", layer.height_factor, true, 1))
      return err;
    if (Error err = checkRange("width_factor", layer.width_factor, false, 1))
      return err;
    break;
  default:
    if (Error err = checkRange("height_factor", layer.height_factor, true, 1))
      return err;
    if (Error err = checkRange("width_factor", layer.width_factor, true, 1))
      return err;
    break;
  }
  if (Error err = checkInterpolation(index, layer, "bilinear"))
    return err;
  if (layer.fill_mode.empty())
    layer.fill_mode = "reflect";
  if (layer.fill_mode != "reflect" && layer.fill_mode != "wrap" &&
      layer.fill_mode != "constant" && layer.fill_mode != "nearest")
    return layerError(index, className + " with fill_mode '" + layer.fill_mode +
                                 "' is not supported; expected reflect, "
                                 "wrap, constant or nearest");
  if (!std::isfinite(layer.fill_value))
    return layerError(index, "expected a finite fill_value, got " +
                                 formatShortest(layer.fill_value));
  return Error::success();
}

/// The mask drops whole channels: one draw per sample and channel, shared
/// by the steps (1-D) or the pixels (2-D).
Error ModelAnalyzer::analyzeSpatialDropout(size_t index, fb::LayerT &layer,
                                           LayerInfo &info) {
  size_t rank = info.kind == LayerKind::SpatialDropout1D ? 2 : 3;
  if (info.inputShape.size() != rank)
    return layerError(
        index,
        layer.class_name + " expects inputs of shape " +
            (rank == 2 ? "[steps, channels]" : "[height, width, channels]") +
            " per sample, got " + formatShape(info.inputShape));
  if (!(layer.rate >= 0.0f && layer.rate < 1.0f))
    return layerError(index, "expected rate in [0, 1), got " +
                                 formatShortest(layer.rate));
  return Error::success();
}

/// Embedding maps every element of the sample (a float row index) to a
/// row of the [input_dim, output_dim] table.
Error ModelAnalyzer::analyzeEmbedding(size_t index, fb::LayerT &layer,
                                      LayerInfo &info) {
  // Indices arrive as float32, exact for every integer up to 2^24.
  constexpr int64_t maxRows = int64_t(1) << 24;
  if (layer.input_dim < 1 || layer.input_dim > maxRows)
    return layerError(index, "expected input_dim to be an integer in [1, " +
                                 Twine(maxRows) +
                                 "] (indices are float32), "
                                 "got " +
                                 Twine(layer.input_dim));
  if (layer.output_dim < 1 || layer.output_dim > maxElements)
    return layerError(index,
                      "expected output_dim to be a positive integer, got " +
                          Twine(layer.output_dim));
  if (Error err =
          resolveInitializer(index, "embeddings_initializer",
                             layer.embeddings_initializer, "random_uniform"))
    return err;
  std::optional<int64_t> params = checkedMul(layer.input_dim, layer.output_dim);
  if (!params || *params > maxElements)
    return layerError(index, "too many parameters");
  info.paramCount = *params;
  int64_t elements = layer.output_dim;
  for (int64_t extent : info.inputShape)
    elements = checkedMul(elements, extent).value_or(maxElements + 1);
  if (elements > maxElements)
    return layerError(index, "the output has too many elements per sample");
  if (layer.mask_zero && info.inputShape.size() != 1)
    return layerError(index, "mask_zero needs samples of [timesteps] "
                             "indices; got input shape " +
                                 formatShape(info.inputShape));
  info.outputShape.push_back(layer.output_dim);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
//===----------------------------------------------------------------------===//

Error ModelAnalyzer::checkConvWindow(size_t index, fb::LayerT &layer,
                                     const LayerInfo &info) {
  if (!isImageShape(info.inputShape))
    return layerError(index, layer.class_name +
                                 " expects inputs of shape [height, width, "
                                 "channels] per sample, got " +
                                 formatShape(info.inputShape) +
                                 "; give the input a channel dimension "
                                 "(e.g. [28, 28, 1]) or add a Reshape layer");
  if (Error err = checkPair(index, "kernel_size", layer.kernel_size, {}))
    return err;
  if (Error err = checkPair(index, "strides", layer.strides, {1, 1}))
    return err;
  if (Error err =
          checkPair(index, "dilation_rate", layer.dilation_rate, {1, 1}))
    return err;
  if (layer.padding.empty())
    layer.padding = "valid";
  if (layer.padding != "valid" && layer.padding != "same")
    return layerError(index, "unsupported padding '" + layer.padding +
                                 "'; expected valid or same");
  if ((layer.strides[0] > 1 || layer.strides[1] > 1) &&
      (layer.dilation_rate[0] > 1 || layer.dilation_rate[1] > 1))
    return layerError(index, "strides > 1 together with dilation_rate > 1 "
                             "are not supported (Keras refuses them too)");
  return Error::success();
}

/// Keras 3's output extent of a transposed convolution (its
/// compute_conv_transpose_output_shape): `outputPadding` < 0 stands for
/// None.
static int64_t transposeExtent(int64_t input, int64_t window, int64_t stride,
                               int64_t dilation, bool same,
                               int64_t outputPadding) {
  int64_t span = (window - 1) * dilation + 1;
  if (!same)
    return (input - 1) * stride + span +
           (outputPadding < 0 ? std::max(span, stride) - span : outputPadding);
  if (outputPadding < 0)
    return input * stride;
  return (input - 1) * stride + span % 2 + outputPadding;
}

Error ModelAnalyzer::analyzeConv2DTranspose(size_t index, fb::LayerT &layer,
                                            LayerInfo &info) {
  if (Error err = checkConvWindow(index, layer, info))
    return err;
  if (layer.filters < 1 || layer.filters > maxElements)
    return layerError(index, "expected filters to be a positive integer, "
                             "got " +
                                 Twine(layer.filters));
  if (!layer.output_padding.empty()) {
    if (layer.output_padding.size() != 2)
      return layerError(index, "expected output_padding to be two integers "
                               "(height, width), got " +
                                   formatShape(layer.output_padding));
    for (int i = 0; i < 2; ++i)
      if (layer.output_padding[i] < 0 ||
          layer.output_padding[i] >= layer.strides[i])
        return layerError(index, "expected output_padding " +
                                     formatShape(layer.output_padding) +
                                     " to be >= 0 and < strides " +
                                     formatShape(layer.strides) +
                                     " (Keras refuses it otherwise)");
  }
  if (Error err = resolveActivation(index, layer.activation, info.activation))
    return err;
  if (Error err =
          resolveInitializer(index, "kernel_initializer",
                             layer.kernel_initializer, "glorot_uniform"))
    return err;
  if (Error err = resolveInitializer(index, "bias_initializer",
                                     layer.bias_initializer, "zeros"))
    return err;
  int64_t weights = 1;
  for (int64_t factor : {layer.kernel_size[0], layer.kernel_size[1],
                         layer.filters, info.inputShape[2]}) {
    std::optional<int64_t> product = checkedMul(weights, factor);
    if (!product || *product > maxElements)
      return layerError(index, "too many parameters");
    weights = *product;
  }
  info.paramCount = weights + (layer.use_bias ? layer.filters : 0);
  SmallVector<int64_t> shape;
  int64_t elements = layer.filters;
  for (int i = 0; i < 2; ++i) {
    int64_t extent = transposeExtent(
        info.inputShape[i], layer.kernel_size[i], layer.strides[i],
        layer.dilation_rate[i], layer.padding == "same",
        layer.output_padding.empty() ? -1 : layer.output_padding[i]);
    shape.push_back(extent);
    elements = checkedMul(elements, extent).value_or(maxElements + 1);
  }
  if (elements > maxElements)
    return layerError(index, "the output has too many elements per sample");
  shape.push_back(layer.filters);
  info.outputShape = shape;
  return Error::success();
}

Error ModelAnalyzer::analyzeDepthwiseConv(size_t index, fb::LayerT &layer,
                                          LayerInfo &info) {
  bool separable = info.kind == LayerKind::SeparableConv2D;
  if (Error err = checkConvWindow(index, layer, info))
    return err;
  if (layer.depth_multiplier < 1 || layer.depth_multiplier > maxElements)
    return layerError(index, "expected depth_multiplier to be a positive "
                             "integer, got " +
                                 Twine(layer.depth_multiplier));
  if (separable && (layer.filters < 1 || layer.filters > maxElements))
    return layerError(index, "expected filters to be a positive integer, "
                             "got " +
                                 Twine(layer.filters));
  if (!separable && layer.filters != 0)
    return layerError(index, "DepthwiseConv2D has no filters option (its "
                             "output has channels x depth_multiplier "
                             "channels)");
  if (Error err = resolveActivation(index, layer.activation, info.activation))
    return err;
  if (Error err =
          resolveInitializer(index, "depthwise_initializer",
                             layer.depthwise_initializer, "glorot_uniform"))
    return err;
  if (separable)
    if (Error err =
            resolveInitializer(index, "pointwise_initializer",
                               layer.pointwise_initializer, "glorot_uniform"))
      return err;
  if (Error err = resolveInitializer(index, "bias_initializer",
                                     layer.bias_initializer, "zeros"))
    return err;
  std::optional<int64_t> depthwiseChannels =
      checkedMul(info.inputShape[2], layer.depth_multiplier);
  std::optional<int64_t> depthwiseWeights =
      depthwiseChannels
          ? checkedMul(*depthwiseChannels,
                       layer.kernel_size[0] * layer.kernel_size[1])
          : std::nullopt;
  std::optional<int64_t> pointwiseWeights =
      depthwiseChannels ? checkedMul(*depthwiseChannels,
                                     separable ? layer.filters : int64_t(0))
                        : std::nullopt;
  if (!depthwiseWeights || !pointwiseWeights ||
      *depthwiseWeights > maxElements || *pointwiseWeights > maxElements)
    return layerError(index, "too many parameters");
  int64_t channels = separable ? layer.filters : *depthwiseChannels;
  info.paramCount =
      *depthwiseWeights + *pointwiseWeights + (layer.use_bias ? channels : 0);
  return windowOutput(index, layer, layer.kernel_size, layer.dilation_rate,
                      channels, info);
}

Error ModelAnalyzer::analyzeLayer(size_t index,
                                  ArrayRef<SmallVector<int64_t>> inputShapes,
                                  LayerInfo &info) {
  fb::LayerT &layer = *model.layers[index];
  if (layer.time_distributed && info.timesteps == 0)
    return analyzeTimeDistributed(index, inputShapes, info);
  ArrayRef<int64_t> inputShape = inputShapes.front();
  info.inputShape.assign(inputShape.begin(), inputShape.end());
  info.outputShape.assign(inputShape.begin(), inputShape.end());
  bool depthwise = info.kind == LayerKind::DepthwiseConv2D ||
                   info.kind == LayerKind::SeparableConv2D;
  bool kernelLayer =
      info.kind == LayerKind::Dense || info.kind == LayerKind::Conv2D ||
      info.kind == LayerKind::Conv1D || info.kind == LayerKind::Conv2DTranspose;
  if (((!kernelLayer && !depthwise) &&
       (layer.bias_l1 != 0.0f || layer.bias_l2 != 0.0f)) ||
      (!kernelLayer && (layer.kernel_l1 != 0.0f || layer.kernel_l2 != 0.0f)) ||
      (!depthwise &&
       (layer.depthwise_l1 != 0.0f || layer.depthwise_l2 != 0.0f)) ||
      (info.kind != LayerKind::SeparableConv2D &&
       (layer.pointwise_l1 != 0.0f || layer.pointwise_l2 != 0.0f)))
    return layerError(index, "weight regularizers are supported on Dense, "
                             "Conv1D, Conv2D, Conv2DTranspose, "
                             "DepthwiseConv2D and SeparableConv2D layers "
                             "only, each on its own weights");
  bool recurrent =
      info.kind == LayerKind::SimpleRNN || info.kind == LayerKind::LSTM ||
      info.kind == LayerKind::GRU || info.kind == LayerKind::Bidirectional;
  if (!recurrent && (layer.dropout != 0.0f || layer.recurrent_dropout != 0.0f))
    return layerError(index, "dropout and recurrent_dropout apply to "
                             "SimpleRNN, LSTM, GRU and Bidirectional only");
  if (!recurrent && layer.zero_output_for_mask)
    return layerError(index, "zero_output_for_mask applies to SimpleRNN, "
                             "LSTM, GRU and Bidirectional only");
  if (info.kind != LayerKind::Embedding && layer.mask_zero)
    return layerError(index, "mask_zero applies to Embedding only");
  if (info.kind != LayerKind::Masking && layer.mask_value != 0.0f)
    return layerError(index, "mask_value applies to Masking only");
  for (auto [name, factor] :
       {std::pair<StringRef, float>{"activity_l1", layer.activity_l1},
        {"activity_l2", layer.activity_l2}})
    if (!std::isfinite(factor) || factor < 0)
      return layerError(index, "expected " + name +
                                   " to be a non-negative factor, got " +
                                   formatShortest(factor));
  switch (info.kind) {
  case LayerKind::InputLayer:
    if (index != 0 && llvm::all_of(model.layers, [](const auto &other) {
          return other->inbound.empty();
        }))
      return layerError(index, "an InputLayer must be the first layer of a "
                               "sequential model");
    if (!layer.inbound.empty())
      return layerError(index, "an InputLayer reads the model input; "
                               "expected no inbound");
    // resolveInputs found the model input of the same name.
    return Error::success();
  case LayerKind::Flatten: {
    int64_t elements = 1;
    for (int64_t extent : inputShape)
      elements *= extent; // Bounded by analyzeInput and the layers.
    info.outputShape = {elements};
    return Error::success();
  }
  case LayerKind::Dense:
    if (Error err = checkRegularizers(index, layer))
      return err;
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
  case LayerKind::Conv2D:
    if (Error err = checkRegularizers(index, layer))
      return err;
    return analyzeConv2D(index, layer, info);
  case LayerKind::MaxPooling2D:
  case LayerKind::AveragePooling2D:
    return analyzePooling(index, layer, info);
  case LayerKind::GlobalAveragePooling1D:
  case LayerKind::GlobalAveragePooling2D:
  case LayerKind::GlobalMaxPooling1D:
  case LayerKind::GlobalMaxPooling2D:
    return analyzeGlobalPooling(index, layer, info);
  case LayerKind::ZeroPadding2D:
  case LayerKind::Cropping2D:
    return analyzeMargins(index, layer, info);
  case LayerKind::Dropout:
    if (!(layer.rate >= 0.0f && layer.rate < 1.0f))
      return layerError(index, "expected rate in [0, 1), got " +
                                   formatShortest(layer.rate));
    return Error::success();
  case LayerKind::Reshape:
    return analyzeReshape(index, layer, info);
  case LayerKind::SimpleRNN:
  case LayerKind::LSTM:
  case LayerKind::GRU:
    return analyzeRecurrent(index, layer, info);
  case LayerKind::Add:
  case LayerKind::Subtract:
  case LayerKind::Multiply:
  case LayerKind::Average:
  case LayerKind::Concatenate:
    return analyzeMerge(index, layer, inputShapes, info);
  case LayerKind::Bidirectional:
    return analyzeBidirectional(index, layer, info);
  case LayerKind::ReLU:
  case LayerKind::LeakyReLU:
  case LayerKind::ELU:
  case LayerKind::Softmax:
    return analyzeActivationLayer(index, layer, info);
  case LayerKind::Permute:
    return analyzePermute(index, layer, info);
  case LayerKind::Conv1D:
    if (Error err = checkRegularizers(index, layer))
      return err;
    return analyzeConv1D(index, layer, info);
  case LayerKind::MaxPooling1D:
  case LayerKind::AveragePooling1D:
    return analyzePooling1D(index, layer, info);
  case LayerKind::UpSampling2D:
    return analyzeUpSampling2D(index, layer, info);
  case LayerKind::SpatialDropout1D:
  case LayerKind::SpatialDropout2D:
    return analyzeSpatialDropout(index, layer, info);
  case LayerKind::LayerNormalization:
  case LayerKind::BatchNormalization:
    return analyzeNormalization(index, layer, info);
  case LayerKind::Embedding:
    return analyzeEmbedding(index, layer, info);
  case LayerKind::Resizing:
    return analyzeResizing(index, layer, info);
  case LayerKind::RandomFlip:
  case LayerKind::RandomRotation:
  case LayerKind::RandomZoom:
  case LayerKind::RandomTranslation:
    return analyzeRandomImageLayer(index, layer, info);
  case LayerKind::Conv2DTranspose:
    if (Error err = checkRegularizers(index, layer))
      return err;
    return analyzeConv2DTranspose(index, layer, info);
  case LayerKind::DepthwiseConv2D:
  case LayerKind::SeparableConv2D:
    if (Error err = checkRegularizers(index, layer))
      return err;
    return analyzeDepthwiseConv(index, layer, info);
  case LayerKind::Masking:
    if (inputShape.size() != 2)
      return layerError(index, "Masking needs samples of [timesteps, "
                               "features]; got input shape " +
                                   formatShape(inputShape));
    return Error::success();
  }
  llvm_unreachable("unknown layer kind");
}

Error ModelAnalyzer::propagateMask(size_t index,
                                   const std::vector<LayerInfo> &infos,
                                   LayerInfo &info) {
  const fb::LayerT &layer = *model.layers[index];
  int64_t origin = -1;
  for (int64_t input : info.inputs)
    if (input >= 0 && infos[input].masked && origin < 0)
      origin = maskOrigins[input];
  auto produce = [&](int64_t from) {
    info.masked = from >= 0;
    maskOrigins.push_back(from);
    return Error::success();
  };
  // Layers that compute a mask of their own (Keras's compute_mask ignores
  // a mask arriving at them).
  if (info.kind == LayerKind::Masking || info.kind == LayerKind::Embedding) {
    if (info.timesteps != 0 &&
        (info.kind == LayerKind::Masking || layer.mask_zero))
      return layerError(index, "a mask computed inside TimeDistributed is "
                               "not supported");
    if (info.kind == LayerKind::Masking || layer.mask_zero)
      return produce(static_cast<int64_t>(index));
    if (origin >= 0)
      return layerError(index, "Embedding cannot consume the mask of '" +
                                   model.layers[origin]->name + "'");
    return produce(-1);
  }
  if (origin < 0)
    return produce(-1);
  switch (info.kind) {
  // Keras 3 layers with supports_masking that pass the mask on unchanged
  // (the merges combine their inputs' masks with a logical and).
  case LayerKind::Dense:
  case LayerKind::Activation:
  case LayerKind::Dropout:
  case LayerKind::ReLU:
  case LayerKind::LeakyReLU:
  case LayerKind::ELU:
  case LayerKind::LayerNormalization:
  case LayerKind::Add:
  case LayerKind::Subtract:
  case LayerKind::Multiply:
  case LayerKind::Average:
    if (info.timesteps == 0 && info.outputShape.size() < 2)
      break;
    return produce(origin);
  // Keras 3 joins the inputs' masks (an unmasked input's all kept) along
  // the axis and keeps a timestep where any joined entry is kept: along
  // the features the logical or, along the time axis the masks in turn.
  case LayerKind::Concatenate:
    if (info.timesteps != 0 || info.inputShape.size() != 2)
      break;
    return produce(origin);
  // GlobalAveragePooling1D averages the kept timesteps (the mask ends).
  case LayerKind::GlobalAveragePooling1D:
    if (info.timesteps != 0)
      break;
    return produce(-1);
  // The recurrent layers skip the masked timesteps; a returned sequence
  // carries the mask on, a last state ends it.
  case LayerKind::SimpleRNN:
  case LayerKind::LSTM:
  case LayerKind::GRU:
  case LayerKind::Bidirectional:
    if (info.timesteps != 0)
      break;
    return produce(layer.return_sequences ? origin : -1);
  default:
    // TimeDistributed passes the mask of the timesteps on, around frame
    // layers that take no mask of their own.
    if (info.timesteps != 0 && info.kind != LayerKind::Softmax &&
        info.kind != LayerKind::GlobalAveragePooling1D)
      return produce(origin);
    break;
  }
  return layerError(index, layer.class_name + " cannot consume the mask of '" +
                               model.layers[origin]->name +
                               "'; masks pass through Dense, Activation, "
                               "Dropout, ReLU, LeakyReLU, ELU, "
                               "LayerNormalization, TimeDistributed and the "
                               "merges into SimpleRNN, LSTM, "
                               "GRU, Bidirectional or "
                               "GlobalAveragePooling1D");
}

Error ModelAnalyzer::analyzeTimeDistributed(
    size_t index, ArrayRef<SmallVector<int64_t>> inputShapes, LayerInfo &info) {
  switch (info.kind) {
  case LayerKind::InputLayer:
  case LayerKind::Add:
  case LayerKind::Subtract:
  case LayerKind::Multiply:
  case LayerKind::Average:
  case LayerKind::Concatenate:
  case LayerKind::Bidirectional:
  // Keras 3 normalizes each timestep's batch on its own (and updates the
  // moving averages once per timestep), Keras 2 the folded batch.
  case LayerKind::BatchNormalization:
    return layerError(index, "TimeDistributed around " +
                                 model.layers[index]->class_name +
                                 " is not supported");
  default:
    break;
  }
  ArrayRef<int64_t> inputShape = inputShapes.front();
  if (inputShape.size() < 2)
    return layerError(index, "TimeDistributed needs an input of [timesteps, "
                             "...] with at least one axis per frame; got "
                             "input shape " +
                                 formatShape(inputShape));
  // The layer's options and shapes are those of one frame; the timesteps
  // are only a prefix of its input and output.
  info.timesteps = inputShape.front();
  SmallVector<int64_t> frame(inputShape.drop_front());
  if (Error err = analyzeLayer(index, {frame}, info))
    return err;
  info.inputShape.assign(inputShape.begin(), inputShape.end());
  info.outputShape.insert(info.outputShape.begin(), info.timesteps);
  int64_t elements = 1;
  for (int64_t extent : info.outputShape)
    elements = checkedMul(elements, extent).value_or(maxElements + 1);
  if (elements > maxElements)
    return layerError(index, "output shape " + formatShape(info.outputShape) +
                                 " has too many elements");
  return Error::success();
}

LayerInfo kiln::getFrameInfo(const LayerInfo &info) {
  LayerInfo frame = info;
  if (info.timesteps != 0) {
    frame.inputShape.erase(frame.inputShape.begin());
    frame.outputShape.erase(frame.outputShape.begin());
  }
  return frame;
}

Error ModelAnalyzer::analyzeBidirectional(size_t index, fb::LayerT &layer,
                                          LayerInfo &info) {
  std::optional<LayerKind> wrapped = parseLayerKind(layer.wrapped_class);
  if (!wrapped || (*wrapped != LayerKind::SimpleRNN &&
                   *wrapped != LayerKind::LSTM && *wrapped != LayerKind::GRU))
    return layerError(index, "Bidirectional wraps a SimpleRNN, LSTM or GRU; "
                             "got wrapped_class '" +
                                 layer.wrapped_class + "'");
  if (layer.merge_mode.empty())
    layer.merge_mode = "concat";
  if (layer.merge_mode != "concat" && layer.merge_mode != "sum" &&
      layer.merge_mode != "mul" && layer.merge_mode != "ave")
    return layerError(index, "unsupported merge_mode '" + layer.merge_mode +
                                 "'; expected concat, sum, mul or ave");
  // Both directions are the wrapped layer with these options.
  LayerInfo inner = info;
  inner.kind = *wrapped;
  if (Error err = analyzeRecurrent(index, layer, inner))
    return err;
  info.wrappedKind = *wrapped;
  info.activation = inner.activation;
  info.recurrentActivation = inner.recurrentActivation;
  info.outputShape = inner.outputShape;
  if (layer.merge_mode == "concat")
    info.outputShape.back() *= 2;
  info.paramCount = 2 * inner.paramCount;
  info.recurrentDropout = inner.recurrentDropout;
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

Error ModelAnalyzer::analyzeMerge(size_t index, fb::LayerT &layer,
                                  ArrayRef<SmallVector<int64_t>> inputShapes,
                                  LayerInfo &info) {
  ArrayRef<int64_t> first = inputShapes.front();
  auto describeInput = [&](size_t i) -> std::string {
    return ("input " + Twine(i) + " ('" + layer.inbound[i] + "')").str();
  };
  if (info.kind != LayerKind::Concatenate) {
    // Kiln does not broadcast merges: Keras models merge equal shapes in
    // practice, and a silent broadcast would hide a wiring mistake.
    for (size_t i = 1; i < inputShapes.size(); ++i)
      if (ArrayRef<int64_t>(inputShapes[i]) != first)
        return layerError(index,
                          "cannot merge " + describeInput(i) + " of shape " +
                              formatShape(inputShapes[i]) + " with " +
                              describeInput(0) + " of shape " +
                              formatShape(first) + "; expected equal shapes");
    return Error::success();
  }

  // Keras counts the batch dimension as axis 0.
  int64_t rank = static_cast<int64_t>(first.size()) + 1;
  int64_t axis = layer.axis < 0 ? layer.axis + rank : layer.axis;
  if (axis < 1 || axis >= rank)
    return layerError(index,
                      "axis " + Twine(layer.axis) +
                          " is out of range for inputs of rank " + Twine(rank) +
                          " (with the batch dimension); expected 1 to " +
                          Twine(rank - 1) + " or -1 to " + Twine(1 - rank));
  layer.axis = axis;
  int64_t dim = axis - 1;
  int64_t extent = 0;
  for (auto [i, shape] : enumerate(inputShapes)) {
    bool agrees = static_cast<int64_t>(shape.size()) + 1 == rank;
    for (int64_t d = 0; agrees && d < rank - 1; ++d)
      agrees = d == dim || shape[d] == first[d];
    if (!agrees)
      return layerError(
          index, "cannot concatenate " + describeInput(i) + " of shape " +
                     formatShape(shape) + " with " + describeInput(0) +
                     " of shape " + formatShape(first) + " along axis " +
                     Twine(axis) + "; the other extents must agree");
    extent += shape[dim];
  }
  info.outputShape[dim] = extent;
  return Error::success();
}

Error ModelAnalyzer::resolveInputs(size_t index,
                                   const StringMap<int64_t> &producers,
                                   int64_t previous, LayerInfo &info) {
  const fb::LayerT &layer = *model.layers[index];
  if (info.kind == LayerKind::InputLayer) {
    auto input = llvm::find_if(model.inputs, [&](const auto &input) {
      return input->name == layer.name;
    });
    if (input == model.inputs.end()) {
      std::string names;
      for (const auto &other : model.inputs)
        names += (names.empty() ? "'" : ", '") + other->name + "'";
      return layerError(index, "InputLayer '" + layer.name +
                                   "' names no model input; the inputs are " +
                                   names);
    }
    info.inputs = {modelInputRef(input - model.inputs.begin())};
    return Error::success();
  }
  if (layer.inbound.empty())
    info.inputs = {previous};
  for (auto [i, name] : enumerate(layer.inbound)) {
    auto it = producers.find(name);
    if (it == producers.end())
      return layerError(index, "inbound[" + Twine(i) + "] '" + name +
                                   "' names no earlier layer or model "
                                   "input; layers are listed in "
                                   "topological order");
    info.inputs.push_back(it->second);
  }

  size_t count = info.inputs.size();
  if (isMergeLayer(info.kind)) {
    if (layer.inbound.empty())
      return layerError(index, layer.class_name +
                                   " merges several inputs; expected them "
                                   "listed in inbound");
    if (info.kind == LayerKind::Subtract && count != 2)
      return layerError(index,
                        "Subtract takes exactly 2 inputs, got " + Twine(count));
    if (count < 2)
      return layerError(index, layer.class_name +
                                   " takes at least 2 inputs, got " +
                                   Twine(count));
  } else if (count != 1) {
    return layerError(index, layer.class_name + " takes one input, got " +
                                 Twine(count) + " in inbound");
  }
  return Error::success();
}

Error ModelAnalyzer::resolveOwner(size_t index,
                                  const StringMap<int64_t> &producers,
                                  const std::vector<LayerInfo> &infos,
                                  LayerInfo &info) {
  fb::LayerT &layer = *model.layers[index];
  if (layer.shares.empty())
    return Error::success();
  auto it = producers.find(layer.shares);
  if (it == producers.end() || it->second < 0)
    return layerError(index, "shares '" + layer.shares +
                                 "', which names no earlier layer");
  size_t owner = static_cast<size_t>(it->second);
  // A chain of sharers all use the first layer's parameters.
  if (infos[owner].owner)
    owner = *infos[owner].owner;
  const fb::LayerT &ownerLayer = *model.layers[owner];
  if (ownerLayer.class_name != layer.class_name)
    return layerError(index, "shares the parameters of '" + ownerLayer.name +
                                 "', a " + ownerLayer.class_name +
                                 "; expected a " + layer.class_name);
  // The options are the owner's: copy everything but the identity.
  fb::LayerT copy(ownerLayer);
  copy.name = std::move(layer.name);
  copy.inbound = std::move(layer.inbound);
  copy.shares = ownerLayer.name;
  layer = std::move(copy);
  info.owner = owner;
  return Error::success();
}

Error ModelAnalyzer::checkEveryLayerFeeds(const ModelAnalysis &result) {
  std::vector<bool> feeds(result.layers.size(), false);
  SmallVector<size_t> worklist(result.outputLayers.begin(),
                               result.outputLayers.end());
  while (!worklist.empty()) {
    size_t index = worklist.pop_back_val();
    if (feeds[index])
      continue;
    feeds[index] = true;
    for (int64_t input : result.layers[index].inputs)
      if (input >= 0)
        worklist.push_back(static_cast<size_t>(input));
  }
  for (auto [index, info] : enumerate(result.layers))
    if (!feeds[index] && info.kind != LayerKind::InputLayer)
      return layerError(
          index,
          "does not contribute to " +
              Twine(result.outputLayers.size() == 1
                        ? "the model output '" +
                              model.layers[result.outputLayers.front()]->name +
                              "'"
                        : "any model output") +
              "; remove it or make it an output");
  return Error::success();
}

/// Checks a learning-rate schedule and makes `learning_rate` its initial
/// rate.
Error ModelAnalyzer::analyzeSchedule(fb::OptimizerT &optimizer) {
  fb::LearningRateScheduleT &schedule = *optimizer.learning_rate_schedule;
  const std::string path = "training.optimizer.learning_rate_schedule";
  const std::string &name = schedule.class_name;
  float initial;
  if (name == "PiecewiseConstantDecay") {
    if (schedule.boundaries.empty() ||
        schedule.values.size() != schedule.boundaries.size() + 1)
      return fieldError(path + ".values",
                        "expected one more value than boundaries (and at "
                        "least one boundary)");
    for (size_t i = 1; i < schedule.boundaries.size(); ++i)
      if (schedule.boundaries[i] <= schedule.boundaries[i - 1])
        return fieldError(path + ".boundaries",
                          "expected increasing step boundaries");
    for (float value : schedule.values)
      if (!std::isfinite(value) || value < 0)
        return fieldError(path + ".values",
                          "expected non-negative learning rates, got " +
                              formatShortest(value));
    initial = schedule.values.front();
  } else if (name == "ExponentialDecay" || name == "CosineDecay") {
    if (!schedule.initial_learning_rate)
      return fieldError(path + ".initial_learning_rate",
                        "expected the initial learning rate");
    if (schedule.decay_steps <= 0)
      return fieldError(path + ".decay_steps",
                        "expected a positive number of steps");
    if (name == "ExponentialDecay" &&
        (!schedule.decay_rate || !std::isfinite(*schedule.decay_rate) ||
         *schedule.decay_rate <= 0))
      return fieldError(path + ".decay_rate", "expected a positive number");
    initial = *schedule.initial_learning_rate;
    if (!std::isfinite(initial) || initial < 0)
      return fieldError(path + ".initial_learning_rate",
                        "expected a non-negative number, got " +
                            formatShortest(initial));
  } else {
    return fieldError(path + ".class_name",
                      "unsupported learning-rate schedule '" + name +
                          "'; expected ExponentialDecay, "
                          "PiecewiseConstantDecay or CosineDecay");
  }
  if (optimizer.learning_rate && *optimizer.learning_rate != initial)
    return fieldError("training.optimizer.learning_rate",
                      "expected the schedule's initial rate " +
                          formatShortest(initial) + " or nothing, got " +
                          formatShortest(*optimizer.learning_rate));
  optimizer.learning_rate = initial;
  return Error::success();
}

Error ModelAnalyzer::analyzeOptimizer(fb::OptimizerT &optimizer) {
  if (optimizer.name.empty())
    optimizer.name = "adam";
  if (!isSupportedOptimizer(optimizer.name))
    return fieldError("training.optimizer.name",
                      "unsupported optimizer '" + optimizer.name +
                          "'; expected " + getSupportedOptimizersText());
  const std::string &name = optimizer.name;
  if (optimizer.learning_rate_schedule)
    if (Error err = analyzeSchedule(optimizer))
      return err;

  // Keras 3's defaults. Adam's moment hyperparameters are filled in for
  // every optimizer, so that the description is explicit whichever
  // optimizer reads it.
  if (!optimizer.learning_rate)
    optimizer.learning_rate = name == "sgd" ? 0.01f : 0.001f;
  if (!optimizer.beta_1)
    optimizer.beta_1 = 0.9f;
  if (!optimizer.beta_2)
    optimizer.beta_2 = 0.999f;
  if (!optimizer.epsilon)
    optimizer.epsilon = 1e-7f;
  if (!optimizer.rho && (name == "rmsprop" || name == "adadelta"))
    optimizer.rho = name == "adadelta" ? 0.95f : 0.9f;
  if (!optimizer.initial_accumulator_value && name == "adagrad")
    optimizer.initial_accumulator_value = 0.1f;
  if (!optimizer.weight_decay && name == "adamw")
    optimizer.weight_decay = 0.004f;

  float learningRate = *optimizer.learning_rate;
  bool zeroAllowed = optimizer.learning_rate_schedule != nullptr;
  if (!std::isfinite(learningRate) || learningRate < 0 ||
      (learningRate == 0 && !zeroAllowed))
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
  for (auto [field, value] :
       {std::pair<StringRef, flatbuffers::Optional<float>>{"momentum",
                                                           optimizer.momentum},
        {"rho", optimizer.rho}})
    if (value && !(*value >= 0 && *value <= 1))
      return fieldError("training.optimizer." + field,
                        "expected a number in [0, 1], got " +
                            formatShortest(*value));
  float epsilon = *optimizer.epsilon;
  if (!std::isfinite(epsilon) || epsilon <= 0)
    return fieldError("training.optimizer.epsilon",
                      "expected a positive number, got " +
                          formatShortest(epsilon));
  for (auto [field, value] :
       {std::pair<StringRef, flatbuffers::Optional<float>>{
            "initial_accumulator_value", optimizer.initial_accumulator_value},
        {"weight_decay", optimizer.weight_decay},
        {"clipnorm", optimizer.clipnorm},
        {"clipvalue", optimizer.clipvalue},
        {"global_clipnorm", optimizer.global_clipnorm}})
    if (value && !(std::isfinite(*value) && *value >= 0))
      return fieldError("training.optimizer." + field,
                        "expected a non-negative number, got " +
                            formatShortest(*value));
  if (optimizer.clipnorm.value_or(0) > 0 &&
      optimizer.global_clipnorm.value_or(0) > 0)
    return fieldError("training.optimizer.global_clipnorm",
                      "only one of clipnorm and global_clipnorm can be set");
  bool usesMomentum = name == "sgd" || name == "rmsprop";
  if (!usesMomentum && optimizer.momentum.value_or(0) != 0)
    return fieldError("training.optimizer.momentum",
                      "only sgd and rmsprop take a momentum");
  if (name != "sgd" && optimizer.nesterov)
    return fieldError("training.optimizer.nesterov", "only sgd is Nesterov");
  if (name != "adam" && name != "adamw" && optimizer.amsgrad)
    return fieldError("training.optimizer.amsgrad",
                      "only adam and adamw have an AMSGrad variant");
  if (name != "rmsprop" && optimizer.centered)
    return fieldError("training.optimizer.centered",
                      "only rmsprop can be centered");
  return Error::success();
}

Error ModelAnalyzer::resolveOutputTraining(const ModelAnalysis &result) {
  fb::TrainingT &training = *model.training;
  auto &entries = training.outputs;
  SmallVector<StringRef> names;
  for (size_t layer : result.outputLayers)
    names.push_back(model.layers[layer]->name);
  for (auto [i, entry] : enumerate(entries)) {
    std::string field = ("training.outputs[" + Twine(i) + "]").str();
    if (!entry)
      return fieldError(field, "expected an output's training entry, got null");
    if (!entry->output.empty() && !llvm::is_contained(names, entry->output))
      return fieldError(field + ".output",
                        "'" + entry->output + "' is not a model output");
    if (!(entry->weight >= 0.0f) || std::isinf(entry->weight))
      return fieldError(field + ".weight",
                        "expected a finite loss weight >= 0, got " +
                            formatShortest(entry->weight));
  }
  if (names.size() == 1) {
    if (entries.empty())
      return Error::success();
    if (entries.size() > 1)
      return fieldError("training.outputs",
                        Twine(entries.size()) +
                            " entries for a model with one output");
    // Folded into the fields of a single-output model.
    fb::OutputTrainingT &entry = *entries.front();
    if (entry.weight != 1.0f)
      return fieldError("training.outputs[0].weight",
                        "a loss weight other than 1 for the only output; "
                        "scale the learning rate instead");
    if (!entry.loss.empty())
      training.loss = entry.loss;
    training.from_logits = entry.from_logits;
    training.metrics = entry.metrics;
    entries.clear();
    return Error::success();
  }

  if (entries.empty()) {
    for (StringRef name : names) {
      auto entry = std::make_unique<fb::OutputTrainingT>();
      entry->output = name.str();
      entry->loss = training.loss;
      entry->from_logits = training.from_logits;
      entry->metrics = training.metrics;
      entries.push_back(std::move(entry));
    }
    return Error::success();
  }
  if (entries.size() != names.size())
    return fieldError("training.outputs",
                      Twine(entries.size()) + " entries for a model with " +
                          Twine(names.size()) +
                          " outputs; expected one per output");
  // Named entries may come in any order; unnamed ones are positional.
  std::vector<std::unique_ptr<fb::OutputTrainingT>> ordered(names.size());
  for (auto [i, entry] : enumerate(entries)) {
    size_t k = entry->output.empty()
                   ? i
                   : size_t(llvm::find(names, entry->output) - names.begin());
    if (ordered[k])
      return fieldError("training.outputs[" + Twine(i) + "]",
                        "a second entry for output '" + names[k] + "'");
    entry->output = names[k].str();
    if (entry->loss.empty())
      entry->loss = training.loss;
    ordered[k] = std::move(entry);
  }
  entries = std::move(ordered);
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
  if (Error err = resolveOutputTraining(result))
    return err;
  bool several = result.outputShapes.size() > 1;
  for (auto [k, shape] : enumerate(result.outputShapes)) {
    std::string prefix =
        several ? ("training.outputs[" + Twine(k) + "].").str() : "training.";
    fb::TrainingT view = getOutputTraining(model, k);
    if (!isSupportedLoss(view.loss))
      return fieldError(prefix + "loss", "unsupported loss '" + view.loss +
                                             "'; expected " +
                                             getSupportedLossesText());
    if (LossProblem problem = checkLossAndMetrics(view, shape);
        !problem.message.empty()) {
      // The per-output fields are named after their output's entry.
      StringRef field = problem.field;
      bool perOutput = field.starts_with("training.loss") ||
                       field.starts_with("training.metrics");
      return fieldError(perOutput ? prefix + field.drop_front(9).str()
                                  : problem.field,
                        problem.message);
    }
    StringMap<size_t> seen;
    for (auto [i, metric] : enumerate(view.metrics)) {
      if (!isSupportedMetric(metric))
        return fieldError(prefix + "metrics[" + Twine(i) + "]",
                          "unsupported metric '" + metric + "'; expected " +
                              getSupportedMetricsText());
      if (!seen.try_emplace(metric, i).second)
        return fieldError(prefix + "metrics[" + Twine(i) + "]",
                          "duplicate metric '" + metric + "'");
    }
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

  // Walk the layers in order. Each reads the layers or model input its
  // `inbound` names, or (sequential style) the output of the layer before
  // it; the first reads the model input.
  StringMap<int64_t> producers;
  for (auto [k, input] : enumerate(model.inputs))
    producers[input->name] = modelInputRef(k);
  int64_t previous = modelInput;
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
    LayerInfo info;
    info.kind = *kind;
    if (Error err = resolveInputs(index, producers, previous, info))
      return std::move(err);
    if (Error err = resolveOwner(index, producers, result.layers, info))
      return std::move(err);
    SmallVector<SmallVector<int64_t>, 2> inputShapes;
    for (int64_t input : info.inputs)
      inputShapes.push_back(input < 0
                                ? result.inputShapes[modelInputIndex(input)]
                                : result.layers[input].outputShape);
    if (Error err = analyzeLayer(index, inputShapes, info))
      return std::move(err);
    if (Error err = checkInitializerArgsUsed(index))
      return std::move(err);
    if (Error err = propagateMask(index, result.layers, info))
      return std::move(err);
    if (info.owner) {
      // The parameters were built for the owner's input; only the last
      // extent (features, channels) shapes them.
      const LayerInfo &owner = result.layers[*info.owner];
      if (owner.inputShape.back() != info.inputShape.back())
        return layerError(index, "shares the parameters of '" +
                                     model.layers[*info.owner]->name +
                                     "', built for inputs of shape " +
                                     formatShape(owner.inputShape) +
                                     ", but its input has shape " +
                                     formatShape(info.inputShape));
      info.paramCount = 0;
    }
    previous = static_cast<int64_t>(index);
    producers[layer->name] = previous;
    computes |= *kind != LayerKind::InputLayer;
    result.totalParams += info.paramCount; // Each is at most 2^40.
    result.layers.push_back(std::move(info));
  }
  if (!computes)
    return fieldError("layers", "expected at least one layer after the "
                                "InputLayer");

  // No outputs listed: the last layer's (sequential models).
  std::vector<std::string> outputNames = model.outputs;
  if (outputNames.empty())
    outputNames = {model.layers.back()->name};
  for (auto [k, name] : enumerate(outputNames)) {
    std::string field = ("outputs[" + Twine(k) + "]").str();
    auto it = producers.find(name);
    if (it == producers.end() || it->second < 0)
      return fieldError(field, "'" + name + "' names no layer of the model");
    size_t layer = static_cast<size_t>(it->second);
    if (result.layers[layer].kind == LayerKind::InputLayer)
      return fieldError(field, "the model output is the InputLayer '" + name +
                                   "'; expected a computing layer");
    if (llvm::is_contained(result.outputLayers, layer))
      return fieldError(field, "'" + name + "' is already an output");
    // Keras would weight the loss by the mask; Kiln does not.
    if (result.layers[layer].masked)
      return layerError(layer, "the mask of '" +
                                   model.layers[maskOrigins[layer]]->name +
                                   "' reaches the model output, where Keras "
                                   "weights the loss by it; Kiln cannot "
                                   "consume the mask there (end the mask at "
                                   "a recurrent layer without "
                                   "return_sequences)");
    result.outputLayers.push_back(layer);
    result.outputShapes.push_back(result.layers[layer].outputShape);
  }
  if (Error err = checkEveryLayerFeeds(result))
    return std::move(err);
  // Every model input is read: data given for it would be ignored.
  for (size_t k = 0, e = model.inputs.size(); k < e; ++k)
    if (llvm::none_of(result.layers, [&](const LayerInfo &info) {
          return llvm::is_contained(info.inputs, modelInputRef(k));
        }))
      return fieldError("inputs[" + Twine(k) + "]",
                        "no layer reads the model input '" +
                            model.inputs[k]->name + "'");

  if (Error err = analyzeTraining(result))
    return std::move(err);
  return result;
}

fb::TrainingT kiln::getOutputTraining(const fb::ModelT &model, size_t k) {
  fb::TrainingT view(*model.training);
  view.outputs.clear();
  if (model.training->outputs.size() > 1) {
    const fb::OutputTrainingT &entry = *model.training->outputs[k];
    view.loss = entry.loss;
    view.from_logits = entry.from_logits;
    view.metrics = entry.metrics;
  }
  return view;
}

float kiln::getOutputLossWeight(const fb::ModelT &model, size_t k) {
  const auto &entries = model.training->outputs;
  return entries.size() > 1 ? entries[k]->weight : 1.0f;
}

std::vector<std::string> kiln::getReportedMetricNames(const fb::ModelT &model) {
  const auto &entries = model.training->outputs;
  if (entries.size() <= 1)
    return model.training->metrics;
  std::vector<std::string> names;
  for (const auto &entry : entries)
    names.push_back(entry->output + "_loss");
  for (const auto &entry : entries)
    for (const std::string &metric : entry->metrics)
      names.push_back(entry->output + "_" + metric);
  return names;
}

Expected<ModelAnalysis> kiln::analyzeModel(fb::ModelT &model, StringRef file) {
  return ModelAnalyzer(model, file).run();
}
