//===- KerasImporter.cpp - Keras JSON to the model description ------------===//
//
// Walks the fixed structure of a Keras Sequential model (model, layers,
// layer configs) with JsonReader, so that each type error names its JSON
// path. Layer options Kiln does not implement must be absent or off; the
// activation and initializer names are passed on as they are, for
// `analyzeModel` to check against what the IR builder implements.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/KerasImporter.h"

#include "JsonReader.h"
#include "KerasTraining.h"

#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/ModelAnalysis.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <cfloat>
#include <cmath>
#include <optional>
#include <tuple>

using namespace llvm;
using namespace kiln;

namespace {
/// Largest shape extent or Dense width accepted from a Keras file.
constexpr int64_t maxExtent = int64_t(1) << 31;

/// Config keys that give the input shape of the first layer of a
/// Sequential model (all but `input_dim` include the batch dimension).
constexpr StringLiteral batchShapeKeys[] = {"batch_input_shape", "batch_shape"};

/// Config keys every layer may carry: checked (dtype, trainable,
/// activity_regularizer) or meaningless to Kiln (name).
constexpr StringLiteral commonKeys[] = {
    "name",        "trainable",   "dtype",     "batch_input_shape",
    "batch_shape", "input_shape", "input_dim", "activity_regularizer"};

class KerasImporter {
public:
  KerasImporter(StringRef file, const TrainingOverrides &overrides)
      : reader(file), overrides(overrides) {}

  Expected<std::unique_ptr<fb::ModelT>> run(const json::Value &rootValue);

private:
  /// Imports the top-level model: Sequential, or Functional (Keras 2 also
  /// calls it Model).
  Error importModel(const JsonNode &modelNode, fb::ModelT &model);
  Error importSequential(const JsonNode &modelNode, fb::ModelT &model);
  Error importFunctional(const JsonNode &modelNode, fb::ModelT &model);
  /// Imports the layers of a Functional model's config. `scope` maps each
  /// Keras layer name to the description layer holding the output of each
  /// of its calls (nodes); `inputs` gives, for a nested model, the
  /// description names of the tensors its InputLayers stand for (empty at
  /// the top level). `suffix` is appended to every name (a nested model
  /// called again) and makes those layers share the first call's
  /// parameters. Returns the description names of the model's outputs.
  Expected<std::vector<std::string>> importGraph(const JsonNode &config,
                                                 ArrayRef<std::string> inputs,
                                                 StringRef suffix,
                                                 fb::ModelT &model);
  /// Imports a nested Sequential or Functional model called on `inputs`;
  /// returns the name of the description layer holding its output.
  Expected<std::string> importNestedModel(const JsonNode &node,
                                          ArrayRef<std::string> inputs,
                                          StringRef suffix, fb::ModelT &model);
  /// Imports a nested Sequential reading `input` (empty: the layer before
  /// it in an enclosing Sequential); returns the name of its last layer.
  Expected<std::string> importNestedSequential(const JsonNode &config,
                                               StringRef input,
                                               StringRef suffix,
                                               fb::ModelT &model);
  /// Reads a layer's `inbound_nodes` (Keras 2: lists of [name, node,
  /// tensor, kwargs]; Keras 3: {args, kwargs} with `__keras_tensor__`
  /// objects) into, per call, the producers it reads.
  Expected<std::vector<std::vector<std::pair<std::string, int64_t>>>>
  readInboundNodes(const JsonNode &nodes) const;
  /// Reads one tensor reference ([name, node, tensor]) of `input_layers`,
  /// `output_layers` or a Keras 2 node.
  Expected<std::pair<std::string, int64_t>>
  readTensorRef(const JsonNode &node) const;
  /// Appends the Keras 3 tensors of a call argument (a tensor or a list of
  /// them) to `refs`.
  Error
  collectKerasTensors(const JsonNode &arg,
                      std::vector<std::pair<std::string, int64_t>> &refs) const;
  Error importLayer(size_t index, const JsonNode &node, fb::ModelT &model);
  /// Imports one call of a layer: the description layer `name` reading
  /// `inbound`, sharing the parameters of `shares` if not empty.
  Error importLayerCall(const JsonNode &node, StringRef name,
                        std::vector<std::string> inbound, StringRef shares,
                        fb::ModelT &model);
  Error importLayerOptions(size_t index, const JsonNode &config,
                           fb::LayerT &layer);
  Error importInputLayer(const JsonNode &config);
  Error importDense(const JsonNode &config, fb::LayerT &layer);
  /// activation, use_bias, kernel_initializer and bias_initializer, shared
  /// by the layers with a kernel and a bias (Dense, Conv2D).
  Error importKernelLayerOptions(const JsonNode &config, fb::LayerT &layer);
  Error importRescaling(const JsonNode &config, fb::LayerT &layer);
  Error importFlatten(const JsonNode &config);
  Error importActivationLayer(const JsonNode &config, fb::LayerT &layer);
  Error importConv2D(const JsonNode &config, fb::LayerT &layer);
  /// The options Conv1D and Conv2D share after their window options:
  /// groups, activation, bias, initializers, regularizers.
  /// Refuses a Keras `groups` other than 1.
  Error checkSingleGroup(const JsonNode &node);
  Error importConvolutionOptions(const JsonNode &config, fb::LayerT &layer);
  Error importPooling(const JsonNode &config, fb::LayerT &layer);
  Error importGlobalPooling(const JsonNode &config, fb::LayerT &layer);
  Error readRegularizer(const JsonNode &node, float &l1, float &l2) const;
  Error importMargins(const JsonNode &config, fb::LayerT &layer);
  Error importDropout(const JsonNode &config, fb::LayerT &layer);
  Error importReshape(const JsonNode &config, fb::LayerT &layer);
  /// SimpleRNN, LSTM and GRU.
  Error importRecurrent(const JsonNode &config, fb::LayerT &layer);
  /// Add, Subtract, Multiply, Average and Concatenate.
  Error importMerge(const JsonNode &config, fb::LayerT &layer);
  /// Bidirectional around a SimpleRNN, LSTM or GRU.
  Error importBidirectional(const JsonNode &config, fb::LayerT &layer);
  /// TimeDistributed around a layer that acts on the last axis alone: the
  /// wrapped layer itself, applied to every timestep at once.
  Error importTimeDistributed(size_t index, const JsonNode &config,
                              fb::LayerT &layer);
  /// ReLU, LeakyReLU, ELU and Softmax.
  Error importActivationLayerOptions(const JsonNode &config, fb::LayerT &layer);
  Error importPermute(const JsonNode &config, fb::LayerT &layer);
  Error importConv1D(const JsonNode &config, fb::LayerT &layer);
  /// MaxPooling1D and AveragePooling1D.
  Error importPooling1D(const JsonNode &config, fb::LayerT &layer);
  /// Reads an int or a list of one int (the 1-D layers' window options);
  /// absent or null leaves `out` empty for the analysis's default.
  Error readSingle(const JsonNode &node, std::vector<int64_t> &out) const;
  Error importUpSampling2D(const JsonNode &config, fb::LayerT &layer);
  /// SpatialDropout1D and SpatialDropout2D.
  Error importSpatialDropout(const JsonNode &config, fb::LayerT &layer);
  Error importEmbedding(const JsonNode &config, fb::LayerT &layer);
  /// Masking: the mask_value.
  Error importMasking(const JsonNode &config, fb::LayerT &layer);
  Error importResizing(const JsonNode &config, fb::LayerT &layer);
  /// RandomFlip, RandomRotation, RandomZoom and RandomTranslation.
  Error importRandomImageLayer(const JsonNode &config, fb::LayerT &layer);
  /// Reads a Keras augmentation factor: a number f (|f| must be <= `bound`)
  /// meaning [-|f|, |f|], or a pair [lower, upper]; `sorted` orders the pair
  /// (RandomZoom, RandomTranslation), else lower > upper is an error.
  Error readFactor(const JsonNode &node, float bound, bool sorted,
                   std::vector<float> &out) const;
  /// LayerNormalization and BatchNormalization: the axis, epsilon, center,
  /// scale and their initializers; BatchNormalization's momentum and moving
  /// averages' initializers.
  Error importNormalization(const JsonNode &config, fb::LayerT &layer,
                            StringRef className);
  Error importConv2DTranspose(const JsonNode &config, fb::LayerT &layer);
  /// DepthwiseConv2D and SeparableConv2D: the depthwise step's options and,
  /// for SeparableConv2D, the filters and the pointwise kernel's options.
  Error importDepthwiseConv(const JsonNode &config, fb::LayerT &layer);
  /// The window options the transposed, depthwise and separable
  /// convolutions read: kernel_size, strides, dilation_rate, padding,
  /// data_format, groups (1).
  Error importConvWindow(const JsonNode &config, fb::LayerT &layer);
  /// Reads `channels_last` (the only layout Kiln implements) or nothing.
  Error checkChannelsLast(const JsonNode &node) const;
  /// Reads an int or a list of two ints (Keras's height/width options);
  /// absent or null leaves `out` empty for the analysis's default.
  Error readPair(const JsonNode &node, std::vector<int64_t> &out) const;
  Error readPadding(const JsonNode &node, std::string &out) const;
  /// Reads the input shape the first layer may carry when the model has
  /// no InputLayer.
  Error importLayerInputShape(const JsonNode &config);

  Error checkOptions(const JsonNode &config, ArrayRef<StringRef> handled,
                     StringRef owner) const;
  Error checkComputeDType(const JsonNode &node) const;
  Expected<std::string> readDTypeName(const JsonNode &node) const;
  Expected<std::vector<int64_t>> readShape(const JsonNode &node,
                                           bool withBatch) const;
  Expected<std::string> readActivation(const JsonNode &node) const;
  /// Reads an initializer name or object; its arguments go into
  /// `layer.initializer_args` under `option`.
  Expected<std::string> readInitializer(const JsonNode &node, StringRef option,
                                        fb::LayerT &layer) const;
  Error readInitializerArgs(const JsonNode &config, StringRef option,
                            fb::LayerT &layer) const;
  Expected<float> readFloat(const JsonNode &node) const;

  JsonReader reader;
  /// The loss and metrics given on the command line, read instead of the
  /// compile config's.
  const TrainingOverrides &overrides;
  /// The model input, as far as known.
  std::optional<std::vector<int64_t>> inputShape;
  fb::DType inputDType = fb::DType_float32;
  /// The top level's InputLayers, in the order of the layer list: each
  /// stands for one model input.
  struct ImportedInput {
    size_t layer;
    std::vector<int64_t> shape;
    fb::DType dtype;
  };
  std::vector<ImportedInput> inputLayers;
  /// How deep in nested models the importer is (0: the top level). Only
  /// the top level's InputLayer and first layer give the input shape.
  unsigned nesting = 0;
  /// The shape the last importInputLayer read.
  std::vector<int64_t> lastInputShape;
};

/// Model classes that may appear where a layer is expected.
bool isModelClass(StringRef className) {
  return className == "Sequential" || className == "Functional" ||
         className == "Model";
}
} // namespace

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Error KerasImporter::checkOptions(const JsonNode &config,
                                  ArrayRef<StringRef> handled,
                                  StringRef owner) const {
  SmallVector<StringRef> keys(handled);
  keys.append(std::begin(commonKeys), std::end(commonKeys));
  return reader.checkInertOptions(config, keys, owner);
}

Expected<std::string> KerasImporter::readDTypeName(const JsonNode &node) const {
  // Keras 2 and early Keras 3 write a string; Keras 3 layers write a
  // DTypePolicy object whose config names the policy.
  if (node.get() && node.get()->getAsObject()) {
    Expected<StringRef> name = reader.getString(node["config"]["name"]);
    if (!name)
      return name.takeError();
    return name->str();
  }
  Expected<StringRef> name = reader.getString(node);
  if (!name)
    return name.takeError();
  return name->str();
}

Error KerasImporter::checkComputeDType(const JsonNode &node) const {
  if (node.isAbsentOrNull())
    return Error::success();
  Expected<std::string> name = readDTypeName(node);
  if (!name)
    return name.takeError();
  if (*name != "float32")
    return reader.error(node, "unsupported dtype '" + *name +
                                  "'; Kiln computes in float32");
  return Error::success();
}

Expected<std::vector<int64_t>> KerasImporter::readShape(const JsonNode &node,
                                                        bool withBatch) const {
  Expected<const json::Array *> array = reader.getArray(node);
  if (!array)
    return array.takeError();
  std::vector<int64_t> shape;
  for (size_t i = 0, e = (*array)->size(); i < e; ++i) {
    JsonNode extent = node.at(i);
    if (withBatch && i == 0) {
      // The batch dimension: null, or a fixed batch size Kiln ignores.
      if (!extent.isAbsentOrNull())
        if (Expected<int64_t> batch = reader.getPositiveInt(extent, maxExtent);
            !batch)
          return batch.takeError();
      continue;
    }
    if (extent.isAbsentOrNull())
      return reader.error(extent, "expected a positive integer: dimensions "
                                  "other than the batch must be static");
    Expected<int64_t> value = reader.getPositiveInt(extent, maxExtent);
    if (!value)
      return value.takeError();
    shape.push_back(*value);
  }
  if (shape.empty())
    return reader.error(node, "expected at least one dimension besides the "
                              "batch");
  return shape;
}

Expected<std::string>
KerasImporter::readActivation(const JsonNode &node) const {
  if (node.isAbsentOrNull())
    return std::string("linear");
  // Newer serializers wrap built-in functions:
  // {"class_name": "function", "config": "relu", ...}.
  if (node.get()->getAsObject()) {
    JsonNode name = node["config"];
    if (name.get() && name.get()->getAsString())
      return name.get()->getAsString()->str();
    return reader.expected(node, "an activation name");
  }
  Expected<StringRef> name = reader.getString(node);
  if (!name)
    return name.takeError();
  return name->str();
}

/// True if a VarianceScaling config is Glorot uniform (what Keras 2 before
/// TF 2 wrote for GlorotUniform).
static bool isGlorotUniformScaling(const JsonNode &config) {
  auto number = [&](StringRef key) -> std::optional<double> {
    const json::Value *value = config[key].get();
    return value ? value->getAsNumber() : std::nullopt;
  };
  auto string = [&](StringRef key) -> std::optional<StringRef> {
    const json::Value *value = config[key].get();
    return value ? value->getAsString() : std::nullopt;
  };
  return number("scale") == 1.0 && string("mode") == StringRef("fan_avg") &&
         string("distribution") == StringRef("uniform");
}

Expected<std::string> KerasImporter::readInitializer(const JsonNode &node,
                                                     StringRef option,
                                                     fb::LayerT &layer) const {
  if (node.isAbsentOrNull())
    return std::string(); // The analysis fills in the default.
  // Keras's aliases of its initializer names.
  auto canonical = [](std::string name) {
    return StringSwitch<std::string>(name)
        .Case("zero", "zeros")
        .Case("one", "ones")
        .Case("uniform", "random_uniform")
        .Case("normal", "random_normal")
        .Default(name);
  };
  if (node.get()->getAsString())
    return canonical(toSnakeCase(*node.get()->getAsString()));
  if (!node.get()->getAsObject())
    return reader.expected(node, "an initializer name or object");
  Expected<StringRef> className = reader.getString(node["class_name"]);
  if (!className)
    return className.takeError();
  JsonNode config = node["config"];
  if (!config.isAbsentOrNull())
    if (Expected<const json::Object *> object = reader.getObject(config);
        !object)
      return object.takeError();
  if (*className == "VarianceScaling" && isGlorotUniformScaling(config))
    return std::string("glorot_uniform");
  std::string name = canonical(toSnakeCase(*className));
  // An unknown class is reported by its name, not by its options.
  if (!parseInitializer(name))
    return name;
  if (Error err = readInitializerArgs(config, option, layer))
    return std::move(err);
  if (Error err = reader.checkInertOptions(config,
                                           {"seed", "dtype", "scale", "mode",
                                            "distribution", "minval", "maxval",
                                            "mean", "stddev", "value", "gain"},
                                           *className))
    return std::move(err);
  // The seed is not carried over: the compiled model's `--seed` decides
  // every random number, so one flag reproduces a run.
  if (Expected<std::optional<double>> seed =
          reader.getOptionalNumber(config["seed"]);
      !seed)
    return seed.takeError();
  if (Error err = checkComputeDType(config["dtype"]))
    return std::move(err);
  return name;
}

Error KerasImporter::readInitializerArgs(const JsonNode &config,
                                         StringRef option,
                                         fb::LayerT &layer) const {
  if (config.isAbsentOrNull())
    return Error::success();
  auto args = std::make_unique<fb::InitializerArgsT>();
  args->option = option.str();
  bool any = false;
  for (auto [key, out] : {std::pair<StringRef, flatbuffers::Optional<float> *>{
                              "scale", &args->scale},
                          {"minval", &args->minval},
                          {"maxval", &args->maxval},
                          {"mean", &args->mean},
                          {"stddev", &args->stddev},
                          {"value", &args->value},
                          {"gain", &args->gain}}) {
    if (config[key].isAbsentOrNull())
      continue;
    Expected<float> value = readFloat(config[key]);
    if (!value)
      return value.takeError();
    *out = *value;
    any = true;
  }
  for (auto [key, out] :
       {std::pair<StringRef, std::string *>{"mode", &args->mode},
        {"distribution", &args->distribution}}) {
    if (config[key].isAbsentOrNull())
      continue;
    Expected<StringRef> value = reader.getString(config[key]);
    if (!value)
      return value.takeError();
    *out = value->lower();
    any = true;
  }
  // Keras 2 spelled the truncated normal "normal".
  if (args->distribution == "normal")
    args->distribution = "truncated_normal";
  if (any)
    layer.initializer_args.push_back(std::move(args));
  return Error::success();
}

Expected<float> KerasImporter::readFloat(const JsonNode &node) const {
  Expected<double> number = reader.getNumber(node);
  if (!number)
    return number.takeError();
  if (std::abs(*number) > FLT_MAX)
    return reader.expected(node, "a number in the float32 range");
  return static_cast<float>(*number);
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

Error KerasImporter::importInputLayer(const JsonNode &config) {
  // Keras 2 writes batch_input_shape, Keras 3 batch_shape; hand-written
  // files may give the per-sample `shape` or `input_shape`.
  std::optional<std::pair<JsonNode, bool>> source; // The node, withBatch.
  for (StringRef key : batchShapeKeys)
    if (!source && !config[key].isAbsentOrNull())
      source.emplace(config[key], true);
  for (StringRef key : {"shape", "input_shape"})
    if (!source && !config[key].isAbsentOrNull())
      source.emplace(config[key], false);
  if (!source)
    return reader.error(config, "an InputLayer needs a shape; expected "
                                "batch_shape or batch_input_shape");
  Expected<std::vector<int64_t>> shape =
      readShape(source->first, source->second);
  if (!shape)
    return shape.takeError();
  if (!inputShape)
    inputShape = *shape;
  lastInputShape = std::move(*shape);

  inputDType = fb::DType_float32;
  if (!config["dtype"].isAbsentOrNull()) {
    Expected<std::string> name = readDTypeName(config["dtype"]);
    if (!name)
      return name.takeError();
    if (*name == "float32")
      inputDType = fb::DType_float32;
    else if (*name == "uint8")
      inputDType = fb::DType_uint8;
    else if (*name == "int32")
      inputDType = fb::DType_int32;
    else
      return reader.error(config["dtype"],
                          "unsupported input dtype '" + *name +
                              "'; expected float32, uint8 or int32");
  }
  // `sparse`, `ragged` and `optional` must be off (checked as inert);
  // a fixed batch_size does not matter to Kiln.
  return reader.checkInertOptions(config,
                                  {"name", "dtype", "batch_input_shape",
                                   "batch_shape", "shape", "input_shape",
                                   "batch_size"},
                                  "InputLayer");
}

Error KerasImporter::importLayerInputShape(const JsonNode &config) {
  if (inputShape)
    return Error::success();
  for (StringRef key : batchShapeKeys) {
    if (config[key].isAbsentOrNull())
      continue;
    Expected<std::vector<int64_t>> shape =
        readShape(config[key], /*withBatch=*/true);
    if (!shape)
      return shape.takeError();
    inputShape = std::move(*shape);
    return Error::success();
  }
  if (!config["input_shape"].isAbsentOrNull()) {
    Expected<std::vector<int64_t>> shape =
        readShape(config["input_shape"], /*withBatch=*/false);
    if (!shape)
      return shape.takeError();
    inputShape = std::move(*shape);
  } else if (!config["input_dim"].isAbsentOrNull()) {
    Expected<int64_t> dim =
        reader.getPositiveInt(config["input_dim"], maxExtent);
    if (!dim)
      return dim.takeError();
    inputShape = std::vector<int64_t>{*dim};
  }
  return Error::success();
}

Error KerasImporter::importKernelLayerOptions(const JsonNode &config,
                                              fb::LayerT &layer) {
  Expected<std::string> activation = readActivation(config["activation"]);
  if (!activation)
    return activation.takeError();
  layer.activation = std::move(*activation);
  Expected<bool> useBias = reader.getBoolOr(config["use_bias"], true);
  if (!useBias)
    return useBias.takeError();
  layer.use_bias = *useBias;
  Expected<std::string> kernelInit = readInitializer(
      config["kernel_initializer"], "kernel_initializer", layer);
  if (!kernelInit)
    return kernelInit.takeError();
  layer.kernel_initializer = std::move(*kernelInit);
  Expected<std::string> biasInit =
      readInitializer(config["bias_initializer"], "bias_initializer", layer);
  if (!biasInit)
    return biasInit.takeError();
  layer.bias_initializer = std::move(*biasInit);
  if (Error err = readRegularizer(config["kernel_regularizer"], layer.kernel_l1,
                                  layer.kernel_l2))
    return err;
  return readRegularizer(config["bias_regularizer"], layer.bias_l1,
                         layer.bias_l2);
}

/// A weight regularizer as Keras serializes it: `{"class_name": "L2",
/// "config": {"l2": 0.01}}`, `L1`, `L1L2` (Keras 2's form of all three,
/// with both factors), or the names "l1", "l2", "l1_l2" (factors 0.01).
Error KerasImporter::readRegularizer(const JsonNode &node, float &l1,
                                     float &l2) const {
  if (node.isAbsentOrNull())
    return Error::success();
  StringRef className;
  JsonNode config = node["config"];
  if (node.get()->getAsObject()) {
    Expected<StringRef> name = reader.getString(node["class_name"]);
    if (!name)
      return name.takeError();
    className = *name;
  } else {
    Expected<StringRef> name = reader.getString(node);
    if (!name)
      return name.takeError();
    className = *name;
  }
  bool hasL1 = className == "L1" || className == "l1" || className == "L1L2" ||
               className == "l1_l2";
  bool hasL2 = className == "L2" || className == "l2" || className == "L1L2" ||
               className == "l1_l2";
  if (!hasL1 && !hasL2)
    return reader.error(node, "unsupported regularizer '" + className +
                                  "'; expected L1, L2 or L1L2");
  auto readFactor = [&](StringRef key, float &out) -> Error {
    // Keras's defaults: 0.01 for L1 and L2 and for the name "l1_l2";
    // the class L1L2 defaults both factors to 0.
    out = className == "L1L2" ? 0.0f : 0.01f;
    if (config.isAbsentOrNull() || config[key].isAbsentOrNull())
      return Error::success();
    Expected<float> value = readFloat(config[key]);
    if (!value)
      return value.takeError();
    if (!std::isfinite(*value) || *value < 0)
      return reader.error(config[key], "expected a non-negative factor");
    out = *value;
    return Error::success();
  };
  if (hasL1)
    if (Error err = readFactor("l1", l1))
      return err;
  if (hasL2)
    if (Error err = readFactor("l2", l2))
      return err;
  return Error::success();
}

Error KerasImporter::importDense(const JsonNode &config, fb::LayerT &layer) {
  Expected<int64_t> units = reader.getPositiveInt(config["units"], maxExtent);
  if (!units)
    return units.takeError();
  layer.units = *units;
  if (Error err = importKernelLayerOptions(config, layer))
    return err;
  // Regularizers, constraints and LoRA must be absent or null.
  return checkOptions(config,
                      {"units", "activation", "use_bias", "kernel_initializer",
                       "bias_initializer", "kernel_regularizer",
                       "bias_regularizer"},
                      "Dense");
}

Error KerasImporter::importRescaling(const JsonNode &config,
                                     fb::LayerT &layer) {
  Expected<float> scale = readFloat(config["scale"]);
  if (!scale)
    return scale.takeError();
  layer.scale = *scale;
  if (!config["offset"].isAbsentOrNull()) {
    Expected<float> offset = readFloat(config["offset"]);
    if (!offset)
      return offset.takeError();
    layer.offset = *offset;
  }
  return checkOptions(config, {"scale", "offset"}, "Rescaling");
}

Error KerasImporter::importFlatten(const JsonNode &config) {
  Expected<StringRef> format =
      reader.getStringOr(config["data_format"], "channels_last");
  if (!format)
    return format.takeError();
  if (*format != "channels_last")
    return reader.error(config["data_format"], "unsupported data_format '" +
                                                   *format +
                                                   "'; expected channels_last");
  return checkOptions(config, {"data_format"}, "Flatten");
}

Error KerasImporter::importActivationLayer(const JsonNode &config,
                                           fb::LayerT &layer) {
  if (config["activation"].isAbsentOrNull())
    return reader.expected(config["activation"], "an activation name");
  Expected<std::string> activation = readActivation(config["activation"]);
  if (!activation)
    return activation.takeError();
  layer.activation = std::move(*activation);
  return checkOptions(config, {"activation"}, "Activation");
}

Error KerasImporter::checkChannelsLast(const JsonNode &node) const {
  Expected<StringRef> format = reader.getStringOr(node, "channels_last");
  if (!format)
    return format.takeError();
  if (*format != "channels_last")
    return reader.error(node, "unsupported data_format '" + *format +
                                  "'; Kiln implements channels_last (NHWC) "
                                  "only");
  return Error::success();
}

Error KerasImporter::readPair(const JsonNode &node,
                              std::vector<int64_t> &out) const {
  if (node.isAbsentOrNull())
    return Error::success();
  if (node.get()->getAsArray()) {
    const json::Array &array = *node.get()->getAsArray();
    if (array.size() != 2)
      return reader.expected(node, "two integers (height, width)");
    for (size_t i = 0; i < 2; ++i) {
      Expected<int64_t> value = reader.getPositiveInt(node.at(i), maxExtent);
      if (!value)
        return value.takeError();
      out.push_back(*value);
    }
    return Error::success();
  }
  Expected<int64_t> value = reader.getPositiveInt(node, maxExtent);
  if (!value)
    return value.takeError();
  out = {*value, *value};
  return Error::success();
}

Error KerasImporter::readPadding(const JsonNode &node, std::string &out) const {
  Expected<StringRef> padding = reader.getStringOr(node, "valid");
  if (!padding)
    return padding.takeError();
  std::string lower = padding->lower();
  if (lower != "valid" && lower != "same")
    return reader.error(node, "unsupported padding '" + *padding +
                                  "'; expected valid or same");
  out = lower;
  return Error::success();
}

Error KerasImporter::importConvolutionOptions(const JsonNode &config,
                                              fb::LayerT &layer) {
  if (Error err = checkSingleGroup(config["groups"]))
    return err;
  if (Error err = importKernelLayerOptions(config, layer))
    return err;
  // Regularizers and constraints must be absent or null.
  return checkOptions(config,
                      {"filters", "kernel_size", "strides", "padding",
                       "data_format", "dilation_rate", "groups", "activation",
                       "use_bias", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer"},
                      layer.class_name);
}

Error KerasImporter::checkSingleGroup(const JsonNode &node) {
  if (node.isAbsentOrNull())
    return Error::success();
  Expected<int64_t> groups = reader.getPositiveInt(node, maxExtent);
  if (!groups)
    return groups.takeError();
  if (*groups != 1)
    return reader.error(node, "grouped convolutions (groups > 1) are not "
                              "supported yet");
  return Error::success();
}

Error KerasImporter::importConv2D(const JsonNode &config, fb::LayerT &layer) {
  Expected<int64_t> filters =
      reader.getPositiveInt(config["filters"], maxExtent);
  if (!filters)
    return filters.takeError();
  layer.filters = *filters;
  if (Error err = importConvWindow(config, layer))
    return err;
  return importConvolutionOptions(config, layer);
}

Error KerasImporter::importConvWindow(const JsonNode &config,
                                      fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  if (config["kernel_size"].isAbsentOrNull())
    return reader.expected(config["kernel_size"],
                           "a kernel size (an integer or two)");
  if (Error err = readPair(config["kernel_size"], layer.kernel_size))
    return err;
  if (Error err = readPair(config["strides"], layer.strides))
    return err;
  if (Error err = readPair(config["dilation_rate"], layer.dilation_rate))
    return err;
  // Keras 2's Conv2DTranspose and DepthwiseConv2D inherit Conv2D's
  // `groups` (always 1 there).
  if (Error err = checkSingleGroup(config["groups"]))
    return err;
  return readPadding(config["padding"], layer.padding);
}

Error KerasImporter::importConv2DTranspose(const JsonNode &config,
                                           fb::LayerT &layer) {
  Expected<int64_t> filters =
      reader.getPositiveInt(config["filters"], maxExtent);
  if (!filters)
    return filters.takeError();
  layer.filters = *filters;
  if (Error err = importConvWindow(config, layer))
    return err;
  // output_padding: null (Keras's default), an integer or two, each >= 0.
  JsonNode outputPadding = config["output_padding"];
  if (!outputPadding.isAbsentOrNull()) {
    auto readOne = [&](const JsonNode &value) -> Expected<int64_t> {
      Expected<double> number = reader.getNumber(value);
      if (!number)
        return number.takeError();
      if (*number == 0)
        return 0;
      if (*number < 0)
        return reader.error(value, "expected a non-negative integer, got " +
                                       formatShortest(*number));
      return reader.getPositiveInt(value, maxExtent);
    };
    if (const json::Array *array = outputPadding.get()->getAsArray()) {
      if (array->size() != 2)
        return reader.expected(outputPadding, "two integers (height, width)");
      for (size_t i = 0; i < 2; ++i) {
        Expected<int64_t> value = readOne(outputPadding.at(i));
        if (!value)
          return value.takeError();
        layer.output_padding.push_back(*value);
      }
    } else {
      Expected<int64_t> value = readOne(outputPadding);
      if (!value)
        return value.takeError();
      layer.output_padding = {*value, *value};
    }
  }
  if (Error err = importKernelLayerOptions(config, layer))
    return err;
  // Constraints must be absent or null.
  return checkOptions(config,
                      {"filters", "kernel_size", "strides", "padding",
                       "output_padding", "data_format", "dilation_rate",
                       "groups", "activation", "use_bias", "kernel_initializer",
                       "bias_initializer", "kernel_regularizer",
                       "bias_regularizer"},
                      "Conv2DTranspose");
}

Error KerasImporter::importDepthwiseConv(const JsonNode &config,
                                         fb::LayerT &layer) {
  bool separable = layer.class_name == "SeparableConv2D";
  if (separable) {
    Expected<int64_t> filters =
        reader.getPositiveInt(config["filters"], maxExtent);
    if (!filters)
      return filters.takeError();
    layer.filters = *filters;
  }
  if (Error err = importConvWindow(config, layer))
    return err;
  if (!config["depth_multiplier"].isAbsentOrNull()) {
    Expected<int64_t> multiplier =
        reader.getPositiveInt(config["depth_multiplier"], maxExtent);
    if (!multiplier)
      return multiplier.takeError();
    layer.depth_multiplier = *multiplier;
  }
  Expected<std::string> activation = readActivation(config["activation"]);
  if (!activation)
    return activation.takeError();
  layer.activation = std::move(*activation);
  Expected<bool> useBias = reader.getBoolOr(config["use_bias"], true);
  if (!useBias)
    return useBias.takeError();
  layer.use_bias = *useBias;
  SmallVector<StringRef> kernels = {"depthwise"};
  if (separable)
    kernels.push_back("pointwise");
  for (StringRef kernel : kernels) {
    bool depthwise = kernel == "depthwise";
    std::string option = (kernel + "_initializer").str();
    Expected<std::string> init = readInitializer(config[option], option, layer);
    if (!init)
      return init.takeError();
    (depthwise ? layer.depthwise_initializer : layer.pointwise_initializer) =
        std::move(*init);
    if (Error err = readRegularizer(
            config[(kernel + "_regularizer").str()],
            depthwise ? layer.depthwise_l1 : layer.pointwise_l1,
            depthwise ? layer.depthwise_l2 : layer.pointwise_l2))
      return err;
  }
  Expected<std::string> biasInit =
      readInitializer(config["bias_initializer"], "bias_initializer", layer);
  if (!biasInit)
    return biasInit.takeError();
  layer.bias_initializer = std::move(*biasInit);
  if (Error err = readRegularizer(config["bias_regularizer"], layer.bias_l1,
                                  layer.bias_l2))
    return err;
  // Constraints must be absent or null.
  SmallVector<StringRef> handled = {"kernel_size",
                                    "strides",
                                    "padding",
                                    "data_format",
                                    "dilation_rate",
                                    "depth_multiplier",
                                    "groups",
                                    "activation",
                                    "use_bias",
                                    "bias_initializer",
                                    "bias_regularizer",
                                    "depthwise_initializer",
                                    "depthwise_regularizer"};
  if (separable)
    handled.append(
        {"filters", "pointwise_initializer", "pointwise_regularizer"});
  return checkOptions(config, handled, layer.class_name);
}

Error KerasImporter::importPooling(const JsonNode &config, fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  if (Error err = readPair(config["pool_size"], layer.pool_size))
    return err;
  if (Error err = readPair(config["strides"], layer.strides))
    return err;
  if (Error err = readPadding(config["padding"], layer.padding))
    return err;
  return checkOptions(config,
                      {"pool_size", "strides", "padding", "data_format"},
                      layer.class_name);
}

/// GlobalAverage/GlobalMaxPooling1D/2D. `keepdims: true` (Keras 2.6 and
/// later) is recorded as the output sample shape `[1, 1, -1]` (2-D) or
/// `[1, -1]` (1-D) in `target_shape`; absent, the pooled axes are dropped.
Error KerasImporter::importGlobalPooling(const JsonNode &config,
                                         fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  Expected<bool> keepDims = reader.getBoolOr(config["keepdims"], false);
  if (!keepDims)
    return keepDims.takeError();
  if (*keepDims) {
    if (StringRef(layer.class_name).ends_with("2D"))
      layer.target_shape = {1, 1, -1};
    else
      layer.target_shape = {1, -1};
  }
  return checkOptions(config, {"data_format", "keepdims"}, layer.class_name);
}

/// ZeroPadding2D's `padding` and Cropping2D's `cropping` in the forms Keras
/// accepts: an integer (all four sides), a pair (symmetric height, width)
/// or a pair of pairs ((top, bottom), (left, right)).
Error KerasImporter::importMargins(const JsonNode &config, fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  StringRef key = layer.class_name == "Cropping2D" ? "cropping" : "padding";
  JsonNode node = config[key];
  if (node.isAbsentOrNull())
    return checkOptions(config, {key, "data_format"}, layer.class_name);
  auto readMargin = [&](const JsonNode &value) -> Expected<int64_t> {
    if (Expected<double> number = reader.getNumber(value); !number)
      return number.takeError();
    else if (*number == 0)
      return 0;
    else if (*number < 0)
      return reader.error(value, "expected a non-negative integer, got " +
                                     formatShortest(*number));
    return reader.getPositiveInt(value, maxExtent);
  };
  if (!node.get()->getAsArray()) {
    Expected<int64_t> margin = readMargin(node);
    if (!margin)
      return margin.takeError();
    layer.margins.assign(4, *margin);
    return checkOptions(config, {key, "data_format"}, layer.class_name);
  }
  Expected<const json::Array *> pair = reader.getArray(node);
  if (!pair)
    return pair.takeError();
  if ((*pair)->size() != 2)
    return reader.error(node, "expected an integer, a pair or a pair of "
                              "pairs");
  for (size_t axis = 0; axis < 2; ++axis) {
    JsonNode side = node.at(axis);
    if (!side.get() || !side.get()->getAsArray()) {
      Expected<int64_t> margin = readMargin(side);
      if (!margin)
        return margin.takeError();
      layer.margins.push_back(*margin);
      layer.margins.push_back(*margin);
      continue;
    }
    if (side.get()->getAsArray()->size() != 2)
      return reader.error(side, "expected a pair (before, after)");
    for (size_t i = 0; i < 2; ++i) {
      Expected<int64_t> margin = readMargin(side.at(i));
      if (!margin)
        return margin.takeError();
      layer.margins.push_back(*margin);
    }
  }
  return checkOptions(config, {key, "data_format"}, layer.class_name);
}

Error KerasImporter::importDropout(const JsonNode &config, fb::LayerT &layer) {
  Expected<double> rate = reader.getNumber(config["rate"]);
  if (!rate)
    return rate.takeError();
  if (!(*rate >= 0.0 && *rate < 1.0))
    return reader.expected(config["rate"], "a rate in [0, 1)");
  layer.rate = static_cast<float>(*rate);
  // Like initializer seeds, the layer's seed is not carried over: the
  // executable's `--seed` decides. `noise_shape` must be absent or null.
  return checkOptions(config, {"rate", "seed"}, "Dropout");
}

Error KerasImporter::importReshape(const JsonNode &config, fb::LayerT &layer) {
  Expected<const json::Array *> array = reader.getArray(config["target_shape"]);
  if (!array)
    return array.takeError();
  for (size_t i = 0, e = (*array)->size(); i < e; ++i) {
    JsonNode extent = config["target_shape"].at(i);
    Expected<double> number = reader.getNumber(extent);
    if (!number)
      return number.takeError();
    if (*number == -1) {
      layer.target_shape.push_back(-1);
      continue;
    }
    Expected<int64_t> value = reader.getPositiveInt(extent, maxExtent);
    if (!value)
      return value.takeError();
    layer.target_shape.push_back(*value);
  }
  return checkOptions(config, {"target_shape"}, "Reshape");
}

Error KerasImporter::importRecurrent(const JsonNode &config,
                                     fb::LayerT &layer) {
  StringRef kind = layer.class_name;
  Expected<int64_t> units = reader.getPositiveInt(config["units"], maxExtent);
  if (!units)
    return units.takeError();
  layer.units = *units;
  // Keras's default activation of the recurrent layers is tanh, not linear.
  if (config["activation"].isAbsent())
    layer.activation = "tanh";
  else if (Expected<std::string> activation =
               readActivation(config["activation"]))
    layer.activation = std::move(*activation);
  else
    return activation.takeError();
  Expected<bool> useBias = reader.getBoolOr(config["use_bias"], true);
  if (!useBias)
    return useBias.takeError();
  layer.use_bias = *useBias;
  for (auto [key, out] :
       {std::pair<StringRef, std::string *>{"kernel_initializer",
                                            &layer.kernel_initializer},
        {"recurrent_initializer", &layer.recurrent_initializer},
        {"bias_initializer", &layer.bias_initializer}}) {
    Expected<std::string> init = readInitializer(config[key], key, layer);
    if (!init)
      return init.takeError();
    *out = std::move(*init);
  }
  SmallVector<StringRef> handled = {"units",
                                    "activation",
                                    "use_bias",
                                    "kernel_initializer",
                                    "recurrent_initializer",
                                    "bias_initializer",
                                    "return_sequences",
                                    "go_backwards",
                                    "seed",
                                    "unroll",
                                    "implementation",
                                    "use_cudnn"};
  if (kind != "SimpleRNN") {
    handled.push_back("recurrent_activation");
    if (config["recurrent_activation"].isAbsent())
      layer.recurrent_activation = "sigmoid";
    else if (Expected<std::string> activation =
                 readActivation(config["recurrent_activation"]))
      layer.recurrent_activation = std::move(*activation);
    else
      return activation.takeError();
  }
  for (auto [key, out, fallback] :
       {std::tuple<StringRef, bool *, bool>{"return_sequences",
                                            &layer.return_sequences, false},
        {"go_backwards", &layer.go_backwards, false},
        {"zero_output_for_mask", &layer.zero_output_for_mask, false},
        {"unit_forget_bias", &layer.unit_forget_bias, true},
        {"reset_after", &layer.reset_after, true}}) {
    if ((key == "unit_forget_bias" && kind != "LSTM") ||
        (key == "reset_after" && kind != "GRU"))
      continue;
    Expected<bool> value = reader.getBoolOr(config[key], fallback);
    if (!value)
      return value.takeError();
    *out = *value;
    handled.push_back(key);
  }
  // The dropout rates: Keras clips them to [0, 1] and then ignores 1;
  // Kiln takes [0, 1) and refuses anything else rather than guess.
  for (auto [key, out] :
       {std::pair<StringRef, float *>{"dropout", &layer.dropout},
        {"recurrent_dropout", &layer.recurrent_dropout}}) {
    handled.push_back(key);
    if (config[key].isAbsentOrNull())
      continue;
    Expected<double> rate = reader.getNumber(config[key]);
    if (!rate)
      return rate.takeError();
    if (!(*rate >= 0.0 && *rate < 1.0))
      return reader.expected(config[key], "a rate in [0, 1)");
    *out = static_cast<float>(*rate);
  }
  // `unroll` and `use_cudnn` change how Keras schedules the same
  // arithmetic; Kiln always unrolls the static time loop. `implementation`
  // 1 only matters with dropout (one mask per gate). The options that
  // change the results and are not implemented (stateful, return_state,
  // time_major, regularizers, constraints) must be off, which
  // checkOptions enforces.
  if (!config["implementation"].isAbsentOrNull()) {
    Expected<double> value = reader.getNumber(config["implementation"]);
    if (!value)
      return value.takeError();
    // Keras 2.0's implementation 0 is its 1 (separate gate products).
    if (*value != 0.0 && *value != 1.0 && *value != 2.0)
      return reader.expected(config["implementation"], "1 or 2");
    layer.implementation = *value == 2.0 ? 2 : 1;
  }
  return checkOptions(config, handled, kind);
}

//===----------------------------------------------------------------------===//
// Activation layers, Permute, Conv1D and 1-D pooling
//===----------------------------------------------------------------------===//

Error KerasImporter::readSingle(const JsonNode &node,
                                std::vector<int64_t> &out) const {
  if (node.isAbsentOrNull())
    return Error::success();
  // Keras serializes the 1-D layers' options as one-element tuples.
  JsonNode value = node;
  if (node.get()->getAsArray()) {
    if (node.get()->getAsArray()->size() != 1)
      return reader.expected(node, "one integer (or a list of one)");
    value = node.at(0);
  }
  Expected<int64_t> number = reader.getPositiveInt(value, maxExtent);
  if (!number)
    return number.takeError();
  out = {*number};
  return Error::success();
}

/// ReLU (max_value, negative_slope, threshold), LeakyReLU (Keras 3's
/// negative_slope, Keras 2's alpha), ELU (alpha) and Softmax (axis). The
/// analysis decides which combinations Kiln implements.
Error KerasImporter::importActivationLayerOptions(const JsonNode &config,
                                                  fb::LayerT &layer) {
  StringRef kind = layer.class_name;
  auto readOptional = [&](StringRef key,
                          flatbuffers::Optional<float> &out) -> Error {
    if (config[key].isAbsentOrNull())
      return Error::success();
    Expected<float> value = readFloat(config[key]);
    if (!value)
      return value.takeError();
    out = *value;
    return Error::success();
  };
  if (kind == "ReLU") {
    if (Error err = readOptional("max_value", layer.max_value))
      return err;
    if (Error err = readOptional("negative_slope", layer.negative_slope))
      return err;
    if (!config["threshold"].isAbsentOrNull()) {
      Expected<float> threshold = readFloat(config["threshold"]);
      if (!threshold)
        return threshold.takeError();
      layer.threshold = *threshold;
    }
    return checkOptions(config, {"max_value", "negative_slope", "threshold"},
                        kind);
  }
  if (kind == "LeakyReLU") {
    if (!config["negative_slope"].isAbsentOrNull() &&
        !config["alpha"].isAbsentOrNull())
      return reader.error(config["alpha"], "expected negative_slope (Keras 3) "
                                           "or alpha (Keras 2), not both");
    if (Error err = readOptional("negative_slope", layer.negative_slope))
      return err;
    if (Error err = readOptional("alpha", layer.negative_slope))
      return err;
    return checkOptions(config, {"negative_slope", "alpha"}, kind);
  }
  if (kind == "ELU") {
    if (Error err = readOptional("alpha", layer.alpha))
      return err;
    return checkOptions(config, {"alpha"}, kind);
  }
  // Softmax: an integer axis or a list of axes normalized together.
  JsonNode axisNode = config["axis"];
  auto readAxis = [&](const JsonNode &node) -> Expected<int64_t> {
    Expected<double> axis = reader.getNumber(node);
    if (!axis)
      return axis.takeError();
    if (*axis != std::floor(*axis) || std::abs(*axis) > maxExtent)
      return reader.expected(node, "an integer axis");
    return static_cast<int64_t>(*axis);
  };
  if (!axisNode.isAbsentOrNull() && axisNode.get()->getAsArray()) {
    size_t count = axisNode.get()->getAsArray()->size();
    if (count == 0)
      return reader.expected(axisNode, "an integer axis or a list of axes");
    for (size_t i = 0; i < count; ++i) {
      Expected<int64_t> axis = readAxis(axisNode.at(i));
      if (!axis)
        return axis.takeError();
      layer.axes.push_back(*axis);
    }
  } else if (!axisNode.isAbsentOrNull()) {
    Expected<int64_t> axis = readAxis(axisNode);
    if (!axis)
      return axis.takeError();
    layer.axis = *axis;
  }
  return checkOptions(config, {"axis"}, kind);
}

Error KerasImporter::importPermute(const JsonNode &config, fb::LayerT &layer) {
  Expected<const json::Array *> dims = reader.getArray(config["dims"]);
  if (!dims)
    return dims.takeError();
  for (size_t i = 0, e = (*dims)->size(); i < e; ++i) {
    Expected<int64_t> dim = reader.getPositiveInt(config["dims"].at(i), e);
    if (!dim)
      return dim.takeError();
    layer.dims.push_back(*dim);
  }
  return checkOptions(config, {"dims"}, "Permute");
}

Error KerasImporter::importConv1D(const JsonNode &config, fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  Expected<int64_t> filters =
      reader.getPositiveInt(config["filters"], maxExtent);
  if (!filters)
    return filters.takeError();
  layer.filters = *filters;
  if (config["kernel_size"].isAbsentOrNull())
    return reader.expected(config["kernel_size"], "a kernel size");
  if (Error err = readSingle(config["kernel_size"], layer.kernel_size))
    return err;
  if (Error err = readSingle(config["strides"], layer.strides))
    return err;
  if (Error err = readSingle(config["dilation_rate"], layer.dilation_rate))
    return err;
  Expected<StringRef> padding = reader.getStringOr(config["padding"], "valid");
  if (!padding)
    return padding.takeError();
  layer.padding = padding->lower();
  if (layer.padding != "valid" && layer.padding != "same" &&
      layer.padding != "causal")
    return reader.error(config["padding"], "unsupported padding '" + *padding +
                                               "'; expected valid, same or "
                                               "causal");
  return importConvolutionOptions(config, layer);
}

Error KerasImporter::importPooling1D(const JsonNode &config,
                                     fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  if (Error err = readSingle(config["pool_size"], layer.pool_size))
    return err;
  if (Error err = readSingle(config["strides"], layer.strides))
    return err;
  if (Error err = readPadding(config["padding"], layer.padding))
    return err;
  return checkOptions(config,
                      {"pool_size", "strides", "padding", "data_format"},
                      layer.class_name);
}

Error KerasImporter::importUpSampling2D(const JsonNode &config,
                                        fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  if (Error err = readPair(config["size"], layer.size))
    return err;
  Expected<StringRef> interpolation =
      reader.getStringOr(config["interpolation"], "nearest");
  if (!interpolation)
    return interpolation.takeError();
  if (*interpolation != "nearest" && *interpolation != "bilinear")
    return reader.error(config["interpolation"],
                        "unsupported interpolation '" + *interpolation +
                            "'; Kiln implements nearest and bilinear");
  layer.interpolation = interpolation->str();
  return checkOptions(config, {"size", "data_format", "interpolation"},
                      "UpSampling2D");
}

Error KerasImporter::importResizing(const JsonNode &config, fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  Expected<int64_t> height = reader.getPositiveInt(config["height"], maxExtent);
  if (!height)
    return height.takeError();
  Expected<int64_t> width = reader.getPositiveInt(config["width"], maxExtent);
  if (!width)
    return width.takeError();
  layer.height = *height;
  layer.width = *width;
  Expected<StringRef> interpolation =
      reader.getStringOr(config["interpolation"], "bilinear");
  if (!interpolation)
    return interpolation.takeError();
  if (*interpolation != "bilinear" && *interpolation != "nearest")
    return reader.error(config["interpolation"],
                        "unsupported Resizing interpolation '" +
                            *interpolation +
                            "'; Kiln implements bilinear and nearest");
  layer.interpolation = interpolation->str();
  Expected<bool> crop = reader.getBoolOr(config["crop_to_aspect_ratio"], false);
  if (!crop)
    return crop.takeError();
  layer.crop_to_aspect_ratio = *crop;
  // fill_mode and fill_value only matter with pad_to_aspect_ratio, which
  // is refused below (null or false); Keras accepts "constant" only.
  Expected<StringRef> fillMode =
      reader.getStringOr(config["fill_mode"], "constant");
  if (!fillMode)
    return fillMode.takeError();
  if (*fillMode != "constant")
    return reader.error(config["fill_mode"],
                        "unsupported Resizing fill_mode '" + *fillMode +
                            "'; Keras accepts constant only");
  if (!config["fill_value"].isAbsentOrNull())
    if (Expected<float> value = readFloat(config["fill_value"]); !value)
      return value.takeError();
  // antialias and pad_to_aspect_ratio must be absent or false.
  return checkOptions(config,
                      {"height", "width", "interpolation",
                       "crop_to_aspect_ratio", "fill_mode", "fill_value",
                       "data_format"},
                      "Resizing");
}

Error KerasImporter::readFactor(const JsonNode &node, float bound, bool sorted,
                                std::vector<float> &out) const {
  if (node.isAbsentOrNull())
    return Error::success();
  auto inBound = [&](const JsonNode &at) -> Expected<float> {
    Expected<float> value = readFloat(at);
    if (!value)
      return value.takeError();
    if (std::abs(*value) > bound)
      return reader.expected(at, "a factor in [-" + formatShortest(bound) +
                                     ", " + formatShortest(bound) + "]");
    return *value;
  };
  if (node.get()->getAsArray()) {
    if (node.get()->getAsArray()->size() != 2)
      return reader.expected(node, "a number or two numbers (lower, upper)");
    Expected<float> lower = inBound(node.at(0));
    if (!lower)
      return lower.takeError();
    Expected<float> upper = inBound(node.at(1));
    if (!upper)
      return upper.takeError();
    if (*lower > *upper && !sorted)
      return reader.expected(node, "lower <= upper");
    out = {std::min(*lower, *upper), std::max(*lower, *upper)};
    return Error::success();
  }
  Expected<float> value = inBound(node);
  if (!value)
    return value.takeError();
  out = {-std::abs(*value), std::abs(*value)};
  return Error::success();
}

Error KerasImporter::importRandomImageLayer(const JsonNode &config,
                                            fb::LayerT &layer) {
  StringRef className = layer.class_name;
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  // As for Dropout, the layer's seed is not carried over: the executable's
  // `--seed` decides every draw. value_range (Keras 3's image layers)
  // only bounds values these layers never change.
  if (className == "RandomFlip") {
    Expected<StringRef> mode =
        reader.getStringOr(config["mode"], "horizontal_and_vertical");
    if (!mode)
      return mode.takeError();
    if (*mode != "horizontal" && *mode != "vertical" &&
        *mode != "horizontal_and_vertical")
      return reader.error(config["mode"],
                          "unsupported RandomFlip mode '" + *mode +
                              "'; expected horizontal, vertical or "
                              "horizontal_and_vertical");
    layer.mode = mode->str();
    return checkOptions(config, {"mode", "seed", "data_format", "value_range"},
                        className);
  }
  const float unbounded = FLT_MAX;
  if (className == "RandomRotation") {
    if (config["factor"].isAbsentOrNull())
      return reader.expected(config["factor"], "a factor (RandomRotation "
                                               "requires it)");
    if (Error err =
            readFactor(config["factor"], unbounded, false, layer.factor))
      return err;
  } else {
    if (config["height_factor"].isAbsentOrNull())
      return reader.expected(config["height_factor"], "a height_factor (" +
                                                          className.str() +
                                                          " requires it)");
    if (Error err = readFactor(config["height_factor"], 1.0f, true,
                               layer.height_factor))
      return err;
    if (className == "RandomTranslation" &&
        config["width_factor"].isAbsentOrNull())
      return reader.expected(config["width_factor"],
                             "a width_factor (RandomTranslation requires it)");
    // RandomZoom without width_factor keeps the aspect ratio.
    if (Error err =
            readFactor(config["width_factor"], 1.0f, true, layer.width_factor))
      return err;
  }
  Expected<StringRef> fillMode =
      reader.getStringOr(config["fill_mode"], "reflect");
  if (!fillMode)
    return fillMode.takeError();
  if (*fillMode != "reflect" && *fillMode != "wrap" &&
      *fillMode != "constant" && *fillMode != "nearest")
    return reader.error(config["fill_mode"],
                        "unsupported " + className + " fill_mode '" +
                            *fillMode +
                            "'; expected reflect, wrap, constant or nearest");
  layer.fill_mode = fillMode->str();
  Expected<StringRef> interpolation =
      reader.getStringOr(config["interpolation"], "bilinear");
  if (!interpolation)
    return interpolation.takeError();
  if (*interpolation != "bilinear" && *interpolation != "nearest")
    return reader.error(config["interpolation"],
                        "unsupported " + className + " interpolation '" +
                            *interpolation +
                            "'; Kiln implements bilinear and nearest");
  layer.interpolation = interpolation->str();
  if (!config["fill_value"].isAbsentOrNull()) {
    Expected<float> value = readFloat(config["fill_value"]);
    if (!value)
      return value.takeError();
    layer.fill_value = *value;
  }
  return checkOptions(config,
                      {"factor", "height_factor", "width_factor", "fill_mode",
                       "fill_value", "interpolation", "seed", "data_format",
                       "value_range"},
                      className);
}

Error KerasImporter::importSpatialDropout(const JsonNode &config,
                                          fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  Expected<double> rate = reader.getNumber(config["rate"]);
  if (!rate)
    return rate.takeError();
  if (!(*rate >= 0.0 && *rate < 1.0))
    return reader.expected(config["rate"], "a rate in [0, 1)");
  layer.rate = static_cast<float>(*rate);
  // As for Dropout, the seed is the executable's; Keras 2's noise_shape
  // must be null (the layer fixes its own).
  return checkOptions(config, {"rate", "seed", "data_format"},
                      layer.class_name);
}

Error KerasImporter::importEmbedding(const JsonNode &config,
                                     fb::LayerT &layer) {
  Expected<int64_t> inputDim =
      reader.getPositiveInt(config["input_dim"], maxExtent);
  if (!inputDim)
    return inputDim.takeError();
  layer.input_dim = *inputDim;
  Expected<int64_t> outputDim =
      reader.getPositiveInt(config["output_dim"], maxExtent);
  if (!outputDim)
    return outputDim.takeError();
  layer.output_dim = *outputDim;
  // Absent means Keras's default, RandomUniform(-0.05, 0.05) (the
  // analysis fills it in).
  Expected<std::string> init = readInitializer(config["embeddings_initializer"],
                                               "embeddings_initializer", layer);
  if (!init)
    return init.takeError();
  layer.embeddings_initializer = std::move(*init);
  // `mask_zero` makes index 0 padding: the analysis checks that the mask
  // reaches layers that consume it.
  Expected<bool> maskZero = reader.getBoolOr(config["mask_zero"], false);
  if (!maskZero)
    return maskZero.takeError();
  layer.mask_zero = *maskZero;
  // `input_length` (Keras 2) restates the input shape; `sparse`,
  // regularizers, constraints and LoRA must be off.
  if (!config["input_length"].isAbsentOrNull())
    if (Expected<int64_t> length =
            reader.getPositiveInt(config["input_length"], maxExtent);
        !length)
      return length.takeError();
  return checkOptions(config,
                      {"input_dim", "output_dim", "embeddings_initializer",
                       "input_length", "mask_zero"},
                      "Embedding");
}

Error KerasImporter::importMasking(const JsonNode &config, fb::LayerT &layer) {
  if (!config["mask_value"].isAbsentOrNull()) {
    Expected<double> value = reader.getNumber(config["mask_value"]);
    if (!value)
      return value.takeError();
    layer.mask_value = static_cast<float>(*value);
  }
  return checkOptions(config, {"mask_value"}, "Masking");
}

Error KerasImporter::importLayerOptions(size_t index, const JsonNode &config,
                                        fb::LayerT &layer) {
  StringRef className = layer.class_name;
  if (className == "InputLayer") {
    if (Error err = importInputLayer(config))
      return err;
    inputLayers.push_back({index, lastInputShape, inputDType});
    return Error::success();
  }
  // Keras reads a shape given to the first layer only.
  if (index == 0 && nesting == 0)
    if (Error err = importLayerInputShape(config))
      return err;
  if (Error err = checkComputeDType(config["dtype"]))
    return err;
  Expected<bool> trainable = reader.getBoolOr(config["trainable"], true);
  if (!trainable)
    return trainable.takeError();
  layer.trainable = *trainable;
  if (Error err = readRegularizer(config["activity_regularizer"],
                                  layer.activity_l1, layer.activity_l2))
    return err;

  std::string place = layerPlace(index, layer.name);
  if (className == "Dense")
    return importDense(config, layer);
  if (className == "Rescaling")
    return importRescaling(config, layer);
  if (className == "Flatten")
    return importFlatten(config);
  if (className == "Activation")
    return importActivationLayer(config, layer);
  if (className == "Conv2D")
    return importConv2D(config, layer);
  if (className == "MaxPooling2D" || className == "AveragePooling2D")
    return importPooling(config, layer);
  if (className == "GlobalAveragePooling2D" ||
      className == "GlobalMaxPooling2D" ||
      className == "GlobalAveragePooling1D" ||
      className == "GlobalMaxPooling1D")
    return importGlobalPooling(config, layer);
  if (className == "ZeroPadding2D" || className == "Cropping2D")
    return importMargins(config, layer);
  if (className == "Dropout")
    return importDropout(config, layer);
  if (className == "Reshape")
    return importReshape(config, layer);
  if (className == "SimpleRNN" || className == "LSTM" || className == "GRU")
    return importRecurrent(config, layer);
  if (className == "Add" || className == "Subtract" ||
      className == "Multiply" || className == "Average" ||
      className == "Concatenate")
    return importMerge(config, layer);
  if (className == "Bidirectional")
    return importBidirectional(config, layer);
  if (className == "TimeDistributed")
    return importTimeDistributed(index, config, layer);
  if (className == "ReLU" || className == "LeakyReLU" || className == "ELU" ||
      className == "Softmax")
    return importActivationLayerOptions(config, layer);
  if (className == "Permute")
    return importPermute(config, layer);
  if (className == "Conv1D")
    return importConv1D(config, layer);
  if (className == "MaxPooling1D" || className == "AveragePooling1D")
    return importPooling1D(config, layer);
  if (className == "UpSampling2D")
    return importUpSampling2D(config, layer);
  if (className == "SpatialDropout1D" || className == "SpatialDropout2D")
    return importSpatialDropout(config, layer);
  if (className == "LayerNormalization" || className == "BatchNormalization")
    return importNormalization(config, layer, className);
  if (className == "Embedding")
    return importEmbedding(config, layer);
  if (className == "Resizing")
    return importResizing(config, layer);
  if (className == "RandomFlip" || className == "RandomRotation" ||
      className == "RandomZoom" || className == "RandomTranslation")
    return importRandomImageLayer(config, layer);
  if (className == "Conv2DTranspose")
    return importConv2DTranspose(config, layer);
  if (className == "DepthwiseConv2D" || className == "SeparableConv2D")
    return importDepthwiseConv(config, layer);
  if (className == "Masking")
    return importMasking(config, layer);
  return makeFrontendError(reader.getFile(), place,
                           "unsupported layer class '" + className +
                               "'; expected InputLayer, Flatten, Dense, "
                               "Rescaling, Activation, Conv2D, MaxPooling2D, "
                               "AveragePooling2D, GlobalAveragePooling1D, "
                               "GlobalAveragePooling2D, GlobalMaxPooling1D, "
                               "GlobalMaxPooling2D, ZeroPadding2D, Cropping2D, "
                               "Dropout, Reshape, SimpleRNN, LSTM, GRU, ReLU, "
                               "LeakyReLU, ELU, Softmax, Permute, Conv1D, "
                               "MaxPooling1D, AveragePooling1D, UpSampling2D, "
                               "SpatialDropout1D, SpatialDropout2D, Add, "
                               "Subtract, Multiply, Average, Concatenate, "
                               "Bidirectional, TimeDistributed, "
                               "LayerNormalization, BatchNormalization, "
                               "Embedding, Resizing, RandomFlip, "
                               "RandomRotation, RandomZoom, "
                               "RandomTranslation, Conv2DTranspose, "
                               "DepthwiseConv2D, SeparableConv2D or "
                               "Masking");
}

Error KerasImporter::importNormalization(const JsonNode &config,
                                         fb::LayerT &layer,
                                         StringRef className) {
  // Keras 2 writes the axis as a list ([2]), Keras 3 as -1 or a list.
  JsonNode axis = config["axis"];
  if (!axis.isAbsentOrNull()) {
    if (axis.get()->getAsArray()) {
      if (axis.get()->getAsArray()->size() != 1)
        return reader.expected(axis, "one axis (Kiln normalizes over the "
                                     "last axis only)");
      axis = axis.at(0);
    }
    std::optional<int64_t> value = axis.get()->getAsInteger();
    if (!value)
      return reader.expected(axis, "an integer axis");
    layer.axis = *value;
  }
  if (!config["epsilon"].isAbsentOrNull()) {
    Expected<float> epsilon = readFloat(config["epsilon"]);
    if (!epsilon)
      return epsilon.takeError();
    layer.epsilon = *epsilon;
  }
  Expected<bool> center = reader.getBoolOr(config["center"], true);
  if (!center)
    return center.takeError();
  layer.use_beta = *center;
  Expected<bool> scale = reader.getBoolOr(config["scale"], true);
  if (!scale)
    return scale.takeError();
  layer.use_gamma = *scale;
  SmallVector<std::pair<StringRef, std::string *>> initializers = {
      {"gamma_initializer", &layer.gamma_initializer},
      {"beta_initializer", &layer.beta_initializer}};
  SmallVector<StringRef> handled = {
      "axis",  "epsilon",           "center",
      "scale", "gamma_initializer", "beta_initializer"};
  if (className == "BatchNormalization") {
    if (!config["momentum"].isAbsentOrNull()) {
      Expected<float> momentum = readFloat(config["momentum"]);
      if (!momentum)
        return momentum.takeError();
      layer.momentum = *momentum;
    }
    initializers.push_back(
        {"moving_mean_initializer", &layer.moving_mean_initializer});
    initializers.push_back(
        {"moving_variance_initializer", &layer.moving_variance_initializer});
    handled.append(
        {"momentum", "moving_mean_initializer", "moving_variance_initializer"});
    // Keras 2 writes renorm's momentum even with renorm off, where it is
    // unused; renorm itself (and its clipping) must be off.
    Expected<bool> renorm = reader.getBoolOr(config["renorm"], false);
    if (!renorm)
      return renorm.takeError();
    if (!*renorm)
      handled.push_back("renorm_momentum");
  }
  for (auto [key, out] : initializers) {
    Expected<std::string> init = readInitializer(config[key], key, layer);
    if (!init)
      return init.takeError();
    *out = std::move(*init);
  }
  // LayerNormalization's rms_scaling, BatchNormalization's renorm and
  // synchronized, the regularizers and constraints must be off.
  return checkOptions(config, handled, className);
}

Error KerasImporter::importLayer(size_t index, const JsonNode &node,
                                 fb::ModelT &model) {
  (void)index; // The layer is appended at this index.
  return importLayerCall(node, "", {}, "", model);
}

Error KerasImporter::importLayerCall(const JsonNode &node, StringRef name,
                                     std::vector<std::string> inbound,
                                     StringRef shares, fb::ModelT &model) {
  if (Expected<const json::Object *> object = reader.getObject(node); !object)
    return object.takeError();
  Expected<StringRef> className = reader.getString(node["class_name"]);
  if (!className)
    return className.takeError();
  JsonNode config = node["config"];
  if (!config.isAbsent())
    if (Expected<const json::Object *> object = reader.getObject(config);
        !object)
      return object.takeError();
  Expected<StringRef> configName = reader.getStringOr(config["name"], "");
  if (!configName)
    return configName.takeError();

  auto layer = std::make_unique<fb::LayerT>();
  layer->class_name = className->str();
  layer->name = name.empty() ? configName->str() : name.str();
  layer->inbound = std::move(inbound);
  layer->shares = shares.str();
  if (Error err = importLayerOptions(model.layers.size(), config, *layer))
    return err;
  model.layers.push_back(std::move(layer));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Error KerasImporter::importModel(const JsonNode &modelNode, fb::ModelT &model) {
  Expected<StringRef> className = reader.getString(modelNode["class_name"]);
  if (!className)
    return className.takeError();
  if (*className == "Sequential")
    return importSequential(modelNode, model);
  if (*className == "Functional" || *className == "Model")
    return importFunctional(modelNode, model);
  return reader.error(modelNode["class_name"],
                      "unsupported model class '" + *className +
                          "'; expected Sequential or Functional");
}

Error KerasImporter::importSequential(const JsonNode &modelNode,
                                      fb::ModelT &model) {

  // Keras 2.0 to 2.2.2 wrote the config of a Sequential as its layer list.
  JsonNode config = modelNode["config"];
  JsonNode layers = config;
  model.name = "sequential";
  if (config.get() && config.get()->getAsObject()) {
    layers = config["layers"];
    Expected<StringRef> name = reader.getStringOr(config["name"], "sequential");
    if (!name)
      return name.takeError();
    model.name = name->str();
    Expected<bool> trainable = reader.getBoolOr(config["trainable"], true);
    if (!trainable)
      return trainable.takeError();
    if (!*trainable)
      return reader.error(config["trainable"],
                          "a model with trainable: false has nothing to "
                          "train");
    if (Error err = checkComputeDType(config["dtype"]))
      return err;
    if (Error err = reader.checkInertOptions(
            config,
            {"name", "layers", "trainable", "dtype", "build_input_shape"},
            "Sequential"))
      return err;
  }
  Expected<const json::Array *> layerArray = reader.getArray(layers);
  if (!layerArray)
    return layerArray.takeError();
  if ((*layerArray)->empty())
    return reader.error(layers, "expected at least one layer");
  for (size_t i = 0, e = (*layerArray)->size(); i < e; ++i) {
    JsonNode node = layers.at(i);
    if (Expected<StringRef> className = reader.getString(node["class_name"]);
        className && isModelClass(*className)) {
      // A nested model reads the layer before it (explicitly, since its
      // inner layers may form a graph), or the input if it comes first.
      std::string previous =
          model.layers.empty() ? "" : model.layers.back()->name;
      if (previous.empty() && *className != "Sequential")
        return reader.error(node, "a nested Functional model cannot be the "
                                  "first layer of a Sequential; add an "
                                  "InputLayer first");
      std::vector<std::string> inputs = {previous};
      if (Expected<std::string> output =
              importNestedModel(node, inputs, "", model);
          !output)
        return output.takeError();
      continue;
    }
    if (Error err = importLayer(i, node, model))
      return err;
  }

  // Without an InputLayer or a shape on the first layer, a built model
  // still records its input shape.
  for (const JsonNode &node : {config["build_input_shape"],
                               modelNode["build_config"]["input_shape"]}) {
    if (inputShape || node.isAbsentOrNull())
      continue;
    Expected<std::vector<int64_t>> shape = readShape(node, /*withBatch=*/true);
    if (!shape)
      return shape.takeError();
    inputShape = std::move(*shape);
  }
  if (!inputShape)
    return reader.error(layers, "cannot tell the input shape: expected an "
                                "InputLayer first, or batch_input_shape in "
                                "the first layer's config");

  assignDefaultLayerNames(model);
  auto input = std::make_unique<fb::InputT>();
  // The InputLayer names the input; Keras 2 names the input it creates for
  // a shape given to the first layer `<layer>_input`.
  input->name = !inputLayers.empty()
                    ? model.layers[inputLayers.front().layer]->name
                    : model.layers.front()->name + "_input";
  input->shape = *inputShape;
  input->dtype = inputDType;
  model.inputs.push_back(std::move(input));
  return Error::success();
}

Error KerasImporter::importTimeDistributed(size_t index, const JsonNode &config,
                                           fb::LayerT &layer) {
  JsonNode inner = config["layer"];
  Expected<StringRef> innerClass = reader.getString(inner["class_name"]);
  if (!innerClass)
    return innerClass.takeError();
  // These layers treat every position of the leading axes alike, so the
  // wrapped layer on the whole [timesteps, ...] sample is the same
  // function. Any other layer runs on each frame [batch, t, ...] with shared
  // weights: the description marks it `time_distributed`, and the timesteps
  // are folded into the batch around it.
  static constexpr StringLiteral positionwise[] = {
      "Dense",    "Activation", "ReLU",    "LeakyReLU",
      "ELU",      "Softmax",    "Dropout", "LayerNormalization",
      "Rescaling"};
  bool folded = !llvm::is_contained(positionwise, *innerClass);
  // Keras 3 calls a wrapped BatchNormalization once per timestep (each
  // timestep's own batch statistics and moving-average update) while Keras 2
  // normalizes the folded batch; the wrappers and merges have no per-frame
  // meaning here.
  static constexpr StringLiteral refused[] = {"BatchNormalization",
                                              "TimeDistributed",
                                              "Bidirectional",
                                              "InputLayer",
                                              "Add",
                                              "Subtract",
                                              "Multiply",
                                              "Average",
                                              "Concatenate"};
  if (llvm::is_contained(refused, *innerClass))
    return reader.error(
        inner["class_name"],
        "TimeDistributed around '" + *innerClass + "' is not supported" +
            (*innerClass == "BatchNormalization"
                 ? "; Keras 3 normalizes each timestep's batch on its own, "
                   "Keras 2 the batch of all frames"
                 : ""));
  if (Error err = checkOptions(config, {"layer"}, "TimeDistributed"))
    return err;
  // The description holds the wrapped layer under the wrapper's name;
  // freezing either freezes it.
  bool trainable = layer.trainable;
  float activityL1 = layer.activity_l1, activityL2 = layer.activity_l2;
  layer.class_name = innerClass->str();
  if (Error err = importLayerOptions(index, inner["config"], layer))
    return err;
  layer.trainable = layer.trainable && trainable;
  // A wrapped Softmax counts the axes of one frame (batch 0); on the whole
  // sequence they come one later. Negative axes count from the end alike.
  if (layer.class_name == "Softmax") {
    if (layer.axis > 0)
      ++layer.axis;
    for (int64_t &axis : layer.axes)
      if (axis > 0)
        ++axis;
  }
  if (folded) {
    // Keras 3 calls the wrapped layer's `call`, skipping its activity
    // regularizer, where Keras 2 applies it per frame; neither is the
    // wrapper's (kept below).
    if (layer.activity_l1 != 0.0f || layer.activity_l2 != 0.0f)
      return reader.error(inner["config"]["activity_regularizer"],
                          "an activity regularizer on the layer inside "
                          "TimeDistributed is not supported; put it on the "
                          "TimeDistributed layer");
    layer.activity_l1 = activityL1;
    layer.activity_l2 = activityL2;
    layer.time_distributed = true;
  }
  return Error::success();
}

Error KerasImporter::importBidirectional(const JsonNode &config,
                                         fb::LayerT &layer) {
  JsonNode inner = config["layer"];
  Expected<StringRef> innerClass = reader.getString(inner["class_name"]);
  if (!innerClass)
    return innerClass.takeError();
  if (*innerClass != "SimpleRNN" && *innerClass != "LSTM" &&
      *innerClass != "GRU")
    return reader.error(inner["class_name"],
                        "Bidirectional around '" + *innerClass +
                            "' is not supported; expected SimpleRNN, LSTM "
                            "or GRU");
  // Keras regularizes each direction's own output; Kiln regularizes
  // layer outputs, so that form is refused rather than changed.
  if (!inner["config"]["activity_regularizer"].isAbsentOrNull())
    return reader.error(inner["config"]["activity_regularizer"],
                        "an activity regularizer on the layer inside "
                        "Bidirectional is not supported; put it on the "
                        "Bidirectional layer");
  // The wrapped layer's options configure both directions.
  layer.class_name = innerClass->str();
  Error err = importRecurrent(inner["config"], layer);
  layer.class_name = "Bidirectional";
  if (err)
    return err;
  layer.wrapped_class = innerClass->str();
  // Keras's Bidirectional overrides the option in both directions: masked
  // timesteps output zeros exactly when the layer returns sequences.
  layer.zero_output_for_mask = layer.return_sequences;

  // Keras serializes the backward layer too: it must be the forward layer
  // reading the other way (a different backward layer is not supported).
  JsonNode backward = config["backward_layer"];
  if (!backward.isAbsentOrNull()) {
    JsonNode backwardConfig = backward["config"];
    const json::Object *forwardObject =
        inner["config"].get() ? inner["config"].get()->getAsObject() : nullptr;
    const json::Object *backwardObject =
        backwardConfig.get() ? backwardConfig.get()->getAsObject() : nullptr;
    if (!forwardObject || !backwardObject)
      return reader.expected(backwardConfig, "a layer config object");
    Expected<StringRef> backwardClass =
        reader.getString(backward["class_name"]);
    if (!backwardClass)
      return backwardClass.takeError();
    bool same = *backwardClass == *innerClass;
    for (const auto &[key, value] : *backwardObject) {
      if (!same || key == "name" || key == "go_backwards")
        continue;
      const json::Value *other = forwardObject->get(key);
      same = other && *other == value;
    }
    for (const auto &[key, value] : *forwardObject)
      if (same && key != "name" && key != "go_backwards")
        same = backwardObject->get(key) != nullptr;
    if (!same)
      return reader.error(backward, "a backward_layer that differs from the "
                                    "forward layer (other than reading the "
                                    "other way) is not supported");
  }

  if (!config["merge_mode"].isAbsent()) {
    if (config["merge_mode"].isAbsentOrNull())
      return reader.error(config["merge_mode"],
                          "merge_mode null returns the two directions as "
                          "two outputs, which is not supported; expected "
                          "concat, sum, mul or ave");
    Expected<StringRef> mode = reader.getString(config["merge_mode"]);
    if (!mode)
      return mode.takeError();
    if (*mode != "concat" && *mode != "sum" && *mode != "mul" && *mode != "ave")
      return reader.error(config["merge_mode"],
                          "unsupported merge_mode '" + *mode +
                              "'; expected concat, sum, mul or ave");
    layer.merge_mode = mode->str();
  }
  return checkOptions(config, {"layer", "backward_layer", "merge_mode"},
                      "Bidirectional");
}

Error KerasImporter::importMerge(const JsonNode &config, fb::LayerT &layer) {
  if (layer.class_name != "Concatenate")
    return checkOptions(config, {}, layer.class_name);
  if (!config["axis"].isAbsentOrNull()) {
    std::optional<int64_t> axis = config["axis"].get()->getAsInteger();
    if (!axis)
      return reader.expected(config["axis"], "an integer axis");
    layer.axis = *axis;
  }
  return checkOptions(config, {"axis"}, "Concatenate");
}

//===----------------------------------------------------------------------===//
// Functional models
//===----------------------------------------------------------------------===//

Expected<std::pair<std::string, int64_t>>
KerasImporter::readTensorRef(const JsonNode &node) const {
  Expected<const json::Array *> array = reader.getArray(node);
  if (!array)
    return array.takeError();
  if ((*array)->size() < 3)
    return reader.expected(node, "[layer name, node index, tensor index]");
  Expected<StringRef> name = reader.getString(node.at(0));
  if (!name)
    return name.takeError();
  std::optional<int64_t> nodeIndex = node.at(1).get()->getAsInteger();
  if (!nodeIndex || *nodeIndex < 0)
    return reader.expected(node.at(1), "a node index (an integer >= 0)");
  std::optional<int64_t> tensorIndex = node.at(2).get()->getAsInteger();
  if (!tensorIndex || *tensorIndex != 0)
    return reader.error(node.at(2), "every Kiln layer has one output; "
                                    "expected tensor index 0");
  return std::make_pair(name->str(), *nodeIndex);
}

Error KerasImporter::collectKerasTensors(
    const JsonNode &arg,
    std::vector<std::pair<std::string, int64_t>> &refs) const {
  if (arg.get() && arg.get()->getAsArray()) {
    for (size_t i = 0, e = arg.get()->getAsArray()->size(); i < e; ++i)
      if (Error err = collectKerasTensors(arg.at(i), refs))
        return err;
    return Error::success();
  }
  Expected<StringRef> kind = reader.getString(arg["class_name"]);
  if (!kind)
    return kind.takeError();
  if (*kind != "__keras_tensor__")
    return reader.error(arg, "call argument of class '" + *kind +
                                 "' is not supported; expected a Keras "
                                 "tensor");
  Expected<std::pair<std::string, int64_t>> ref =
      readTensorRef(arg["config"]["keras_history"]);
  if (!ref)
    return ref.takeError();
  refs.push_back(std::move(*ref));
  return Error::success();
}

Expected<std::vector<std::vector<std::pair<std::string, int64_t>>>>
KerasImporter::readInboundNodes(const JsonNode &nodes) const {
  std::vector<std::vector<std::pair<std::string, int64_t>>> calls;
  Expected<const json::Array *> array = reader.getArray(nodes);
  if (!array)
    return array.takeError();
  for (size_t i = 0, e = (*array)->size(); i < e; ++i) {
    JsonNode node = nodes.at(i);
    std::vector<std::pair<std::string, int64_t>> refs;
    if (node.get()->getAsObject()) {
      // Keras 3: {"args": [...], "kwargs": {...}}. Keyword arguments that
      // change a call (training=True, a mask) are not supported.
      Expected<const json::Array *> args = reader.getArray(node["args"]);
      if (!args)
        return args.takeError();
      if (Error err = collectKerasTensors(node["args"], refs))
        return std::move(err);
      if (!node["kwargs"].isAbsentOrNull())
        if (Error err =
                reader.checkInertOptions(node["kwargs"], {}, "layer call"))
          return std::move(err);
    } else {
      // Keras 2 and TensorFlow.js: [[name, node, tensor, kwargs], ...].
      Expected<const json::Array *> entries = reader.getArray(node);
      if (!entries)
        return entries.takeError();
      for (size_t j = 0, f = (*entries)->size(); j < f; ++j) {
        Expected<std::pair<std::string, int64_t>> ref =
            readTensorRef(node.at(j));
        if (!ref)
          return ref.takeError();
        JsonNode kwargs = node.at(j).at(3);
        if (!kwargs.isAbsentOrNull())
          if (Error err = reader.checkInertOptions(kwargs, {}, "layer call"))
            return std::move(err);
        refs.push_back(std::move(*ref));
      }
    }
    if (refs.empty())
      return reader.error(node, "a layer call without input tensors");
    calls.push_back(std::move(refs));
  }
  return calls;
}

Expected<std::string>
KerasImporter::importNestedSequential(const JsonNode &config, StringRef input,
                                      StringRef suffix, fb::ModelT &model) {
  // Keras 2.0 to 2.2.2 wrote the config as the layer list.
  JsonNode layers =
      config.get() && config.get()->getAsObject() ? config["layers"] : config;
  Expected<const json::Array *> array = reader.getArray(layers);
  if (!array)
    return array.takeError();
  std::string previous = input.str();
  for (size_t i = 0, e = (*array)->size(); i < e; ++i) {
    JsonNode node = layers.at(i);
    Expected<StringRef> className = reader.getString(node["class_name"]);
    if (!className)
      return className.takeError();
    if (*className == "InputLayer") {
      // Stands for `input`; it gives the model's input shape only when
      // the nested model comes first in a Sequential without one.
      if (!inputShape)
        if (Error err = importInputLayer(node["config"]))
          return std::move(err);
      continue;
    }
    Expected<StringRef> name = reader.getString(node["config"]["name"]);
    if (!name)
      return name.takeError();
    std::string unique = (*name + suffix).str();
    if (isModelClass(*className)) {
      Expected<std::string> output =
          importNestedModel(node, {previous}, suffix, model);
      if (!output)
        return output.takeError();
      previous = std::move(*output);
      continue;
    }
    // An empty `input`: the first layer reads what precedes the nested
    // model in the enclosing Sequential.
    std::vector<std::string> inbound;
    if (!previous.empty())
      inbound.push_back(previous);
    if (Error err = importLayerCall(node, unique, std::move(inbound),
                                    suffix.empty() ? "" : name->str(), model))
      return std::move(err);
    previous = std::move(unique);
  }
  if (previous == input)
    return reader.error(layers, "a nested model without layers");
  // Sequential chains read the previous layer; a nested chain that began
  // without an explicit input keeps that form.
  return previous;
}

Expected<std::string>
KerasImporter::importNestedModel(const JsonNode &node,
                                 ArrayRef<std::string> inputs, StringRef suffix,
                                 fb::ModelT &model) {
  Expected<StringRef> className = reader.getString(node["class_name"]);
  if (!className)
    return className.takeError();
  ++nesting;
  llvm::scope_exit restore([&] { --nesting; });
  if (*className == "Sequential") {
    if (inputs.size() != 1)
      return reader.error(node, "a nested Sequential takes one input, got " +
                                    Twine(inputs.size()));
    return importNestedSequential(node["config"], inputs[0], suffix, model);
  }
  Expected<std::vector<std::string>> outputs =
      importGraph(node["config"], inputs, suffix, model);
  if (!outputs)
    return outputs.takeError();
  if (outputs->size() != 1)
    return reader.error(node, "a nested model with " + Twine(outputs->size()) +
                                  " outputs is not supported; expected one");
  return std::move(outputs->front());
}

Expected<std::vector<std::string>>
KerasImporter::importGraph(const JsonNode &config, ArrayRef<std::string> inputs,
                           StringRef suffix, fb::ModelT &model) {
  JsonNode layers = config["layers"];
  Expected<const json::Array *> array = reader.getArray(layers);
  if (!array)
    return array.takeError();
  if ((*array)->empty())
    return reader.error(layers, "expected at least one layer");

  // Which description layer holds the output of each call of each Keras
  // layer (or nested model) of this graph.
  StringMap<std::vector<std::string>> scope;
  // A nested model's InputLayers stand for the tensors it is called on, in
  // the order of its input_layers.
  if (nesting > 0) {
    JsonNode inputLayers = config["input_layers"];
    std::vector<JsonNode> refs;
    if (inputLayers.get() && inputLayers.get()->getAsArray() &&
        !inputLayers.get()->getAsArray()->empty() &&
        !inputLayers.at(0).get()->getAsArray())
      refs.push_back(inputLayers); // Keras 3 writes one input unnested.
    else if (inputLayers.get() && inputLayers.get()->getAsArray())
      for (size_t i = 0, e = inputLayers.get()->getAsArray()->size(); i < e;
           ++i)
        refs.push_back(inputLayers.at(i));
    if (refs.size() != inputs.size())
      return reader.error(
          inputLayers, "the nested model has " + Twine(refs.size()) +
                           " inputs but is called on " + Twine(inputs.size()));
    for (auto [ref, input] : llvm::zip(refs, inputs)) {
      Expected<std::pair<std::string, int64_t>> tensor = readTensorRef(ref);
      if (!tensor)
        return tensor.takeError();
      scope[tensor->first] = {input};
    }
  }

  // Every layer's calls, read up front: a call may read a layer listed
  // after it (a shared layer is listed once, at its first call, and its
  // later calls may read layers listed after it), so calls are imported in
  // dependency order, each layer's calls in their own order, as Keras's
  // deserializer does.
  struct PendingLayer {
    JsonNode node;
    std::string className;
    std::string name;
    std::vector<std::vector<std::pair<std::string, int64_t>>> calls;
    size_t nextCall = 0;
  };
  std::vector<PendingLayer> pending;
  for (size_t i = 0, e = (*array)->size(); i < e; ++i) {
    JsonNode node = layers.at(i);
    Expected<StringRef> className = reader.getString(node["class_name"]);
    if (!className)
      return className.takeError();
    // Keras 2 and 3 repeat the config's name beside it; inbound_nodes
    // refer to that one.
    JsonNode nameNode =
        node["name"].isAbsent() ? node["config"]["name"] : node["name"];
    Expected<StringRef> name = reader.getString(nameNode);
    if (!name)
      return name.takeError();
    std::string layerName = name->str();

    if (*className == "InputLayer") {
      if (nesting > 0)
        continue; // Mapped to the call's inputs above.
      if (Error err = importLayerCall(node, layerName, {}, "", model))
        return std::move(err);
      scope[layerName] = {layerName};
      continue;
    }

    Expected<std::vector<std::vector<std::pair<std::string, int64_t>>>> calls =
        readInboundNodes(node["inbound_nodes"]);
    if (!calls)
      return calls.takeError();
    if (calls->empty())
      return reader.error(node["inbound_nodes"],
                          "the layer is never called; expected at least one "
                          "inbound node");
    pending.push_back({node, className->str(), layerName, std::move(*calls)});
  }

  auto isDefined = [&](const std::pair<std::string, int64_t> &ref) {
    auto it = scope.find(ref.first);
    return it != scope.end() && ref.second < int64_t(it->second.size());
  };
  // Each sweep imports every call whose inputs exist; a sweep that imports
  // nothing leaves only calls that read undefined (or cyclic) tensors.
  for (bool progress = true; progress;) {
    progress = false;
    for (PendingLayer &layer : pending) {
      while (layer.nextCall < layer.calls.size() &&
             llvm::all_of(layer.calls[layer.nextCall], isDefined)) {
        size_t call = layer.nextCall++;
        progress = true;
        std::vector<std::string> inbound;
        for (auto &[producer, nodeIndex] : layer.calls[call])
          inbound.push_back(scope[producer][nodeIndex]);
        // Calls after the first reuse the first call's parameters.
        std::string callSuffix =
            (suffix + (call == 0 ? "" : "@" + Twine(call))).str();
        std::string output;
        if (isModelClass(layer.className)) {
          Expected<std::string> nested =
              importNestedModel(layer.node, inbound, callSuffix, model);
          if (!nested)
            return nested.takeError();
          output = std::move(*nested);
        } else {
          output = layer.name + callSuffix;
          std::string owner = callSuffix.empty() ? "" : layer.name;
          if (Error err = importLayerCall(layer.node, output,
                                          std::move(inbound), owner, model))
            return std::move(err);
        }
        scope[layer.name].push_back(std::move(output));
      }
    }
  }
  for (PendingLayer &layer : pending) {
    if (layer.nextCall == layer.calls.size())
      continue;
    for (auto &ref : layer.calls[layer.nextCall])
      if (!isDefined(ref))
        return reader.error(layer.node["inbound_nodes"].at(layer.nextCall),
                            "reads call " + Twine(ref.second) + " of '" +
                                ref.first +
                                "', which no layer of the model defines "
                                "(or which depends on this call)");
  }

  // Keras 3 writes a single output unnested: ["dense", 0, 0].
  JsonNode outputLayers = config["output_layers"];
  std::vector<JsonNode> refs;
  Expected<const json::Array *> outputArray = reader.getArray(outputLayers);
  if (!outputArray)
    return outputArray.takeError();
  if (!(*outputArray)->empty() && !outputLayers.at(0).get()->getAsArray())
    refs.push_back(outputLayers);
  else
    for (size_t i = 0, e = (*outputArray)->size(); i < e; ++i)
      refs.push_back(outputLayers.at(i));
  if (refs.empty())
    return reader.error(outputLayers, "expected at least one output");
  std::vector<std::string> outputs;
  for (const JsonNode &ref : refs) {
    Expected<std::pair<std::string, int64_t>> tensor = readTensorRef(ref);
    if (!tensor)
      return tensor.takeError();
    auto it = scope.find(tensor->first);
    if (it == scope.end() || tensor->second >= int64_t(it->second.size()))
      return reader.error(ref, "names call " + Twine(tensor->second) + " of '" +
                                   tensor->first +
                                   "', which is not a layer of the model");
    outputs.push_back(it->second[tensor->second]);
  }
  return outputs;
}

Error KerasImporter::importFunctional(const JsonNode &modelNode,
                                      fb::ModelT &model) {
  JsonNode config = modelNode["config"];
  if (Expected<const json::Object *> object = reader.getObject(config); !object)
    return object.takeError();
  Expected<StringRef> name = reader.getStringOr(config["name"], "model");
  if (!name)
    return name.takeError();
  model.name = name->str();
  Expected<bool> trainable = reader.getBoolOr(config["trainable"], true);
  if (!trainable)
    return trainable.takeError();
  if (!*trainable)
    return reader.error(config["trainable"],
                        "a model with trainable: false has nothing to train");
  if (Error err = checkComputeDType(config["dtype"]))
    return err;
  if (Error err = reader.checkInertOptions(
          config,
          {"name", "layers", "input_layers", "output_layers", "trainable",
           "dtype"},
          modelNode["class_name"].get()->getAsString().value_or("Functional")))
    return err;

  Expected<std::vector<std::string>> outputs =
      importGraph(config, {}, "", model);
  if (!outputs)
    return outputs.takeError();
  if (inputLayers.empty())
    return reader.error(config["layers"], "expected an InputLayer");
  model.outputs = std::move(*outputs);

  // The model inputs follow input_layers (Keras 3 writes a single one
  // unnested); its data is given in that order.
  JsonNode inputRefs = config["input_layers"];
  std::vector<JsonNode> refs;
  if (Expected<const json::Array *> array = reader.getArray(inputRefs); !array)
    return array.takeError();
  else if (!(*array)->empty() && !inputRefs.at(0).get()->getAsArray())
    refs.push_back(inputRefs);
  else
    for (size_t i = 0, e = (*array)->size(); i < e; ++i)
      refs.push_back(inputRefs.at(i));
  if (refs.size() != inputLayers.size())
    return reader.error(inputRefs, "lists " + Twine(refs.size()) +
                                       " inputs, but the model has " +
                                       Twine(inputLayers.size()) +
                                       " InputLayers");
  for (const JsonNode &ref : refs) {
    Expected<std::pair<std::string, int64_t>> tensor = readTensorRef(ref);
    if (!tensor)
      return tensor.takeError();
    auto it = llvm::find_if(inputLayers, [&](const ImportedInput &input) {
      return model.layers[input.layer]->name == tensor->first;
    });
    if (it == inputLayers.end())
      return reader.error(ref, "'" + tensor->first +
                                   "' is not an InputLayer "
                                   "of the model");
    if (llvm::any_of(model.inputs, [&](const auto &input) {
          return input->name == tensor->first;
        }))
      return reader.error(ref, "'" + tensor->first + "' is listed twice");
    auto input = std::make_unique<fb::InputT>();
    input->name = tensor->first;
    input->shape = it->shape;
    input->dtype = it->dtype;
    model.inputs.push_back(std::move(input));
  }
  return Error::success();
}

Expected<std::unique_ptr<fb::ModelT>>
KerasImporter::run(const json::Value &rootValue) {
  JsonNode root(&rootValue, "$");
  if (Expected<const json::Object *> object = reader.getObject(root); !object)
    return object.takeError();

  // Where the model and its compile configuration are, by file kind.
  JsonNode modelNode = root;
  JsonNode trainingNode = root["compile_config"]; // Keras 3 config.json.
  if (trainingNode.isAbsent())
    trainingNode = root["training_config"]; // Keras 2 HDF5 attributes.
  if (!root["modelTopology"].isAbsent()) {  // TensorFlow.js model.json.
    JsonNode topology = root["modelTopology"];
    if (Expected<const json::Object *> object = reader.getObject(topology);
        !object)
      return object.takeError();
    modelNode = topology["model_config"].isAbsent() ? topology
                                                    : topology["model_config"];
    trainingNode = topology["training_config"];
  }

  auto model = std::make_unique<fb::ModelT>();
  if (Error err = importModel(modelNode, *model))
    return std::move(err);

  auto training = std::make_unique<fb::TrainingT>();
  if (trainingNode.isAbsentOrNull()) {
    // `to_json()` records no compile configuration: the documented
    // defaults (Adam, sparse categorical cross-entropy, accuracy).
    training->metrics = {"accuracy"};
  } else if (Error err = importKerasTraining(reader, trainingNode, *training,
                                             overrides)) {
    return std::move(err);
  }
  model->training = std::move(training);
  return std::move(model);
}

Expected<std::unique_ptr<fb::ModelT>>
kiln::importKerasModel(StringRef contents, StringRef file,
                       const TrainingOverrides &overrides) {
  Expected<json::Value> root = parseJsonDocument(contents, file);
  if (!root)
    return root.takeError();
  return KerasImporter(file, overrides).run(*root);
}
