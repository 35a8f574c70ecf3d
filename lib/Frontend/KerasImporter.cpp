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
#include "llvm/ADT/StringExtras.h"

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

/// Config keys every layer may carry: checked (dtype, trainable) or
/// meaningless to Kiln (name).
constexpr StringLiteral commonKeys[] = {
    "name",        "trainable",   "dtype",    "batch_input_shape",
    "batch_shape", "input_shape", "input_dim"};

class KerasImporter {
public:
  KerasImporter(StringRef file, const TrainingOverrides &overrides)
      : reader(file), overrides(overrides) {}

  Expected<std::unique_ptr<fb::ModelT>> run(const json::Value &rootValue);

private:
  Error importSequential(const JsonNode &modelNode, fb::ModelT &model);
  Error importLayer(size_t index, const JsonNode &node, fb::ModelT &model);
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
  Error importPooling(const JsonNode &config, fb::LayerT &layer);
  Error importGlobalPooling(const JsonNode &config, fb::LayerT &layer);
  Error readRegularizer(const JsonNode &node, float &l1, float &l2) const;
  Error importMargins(const JsonNode &config, fb::LayerT &layer);
  Error importDropout(const JsonNode &config, fb::LayerT &layer);
  Error importReshape(const JsonNode &config, fb::LayerT &layer);
  /// SimpleRNN, LSTM and GRU.
  Error importRecurrent(const JsonNode &config, fb::LayerT &layer);
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
  Expected<std::string> readInitializer(const JsonNode &node) const;
  Expected<float> readFloat(const JsonNode &node) const;

  JsonReader reader;
  /// The loss and metrics given on the command line, read instead of the
  /// compile config's.
  const TrainingOverrides &overrides;
  /// The model input, as far as known.
  std::optional<std::vector<int64_t>> inputShape;
  fb::DType inputDType = fb::DType_float32;
  /// Index of the InputLayer, if the model has one.
  std::optional<size_t> inputLayer;
};
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

Expected<std::string>
KerasImporter::readInitializer(const JsonNode &node) const {
  if (node.isAbsentOrNull())
    return std::string(); // The analysis fills in the default.
  if (node.get()->getAsString())
    return toSnakeCase(*node.get()->getAsString());
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
  // Orthogonal's gain scales the matrix; only Keras's default is supported,
  // so another value must not be dropped silently.
  if (*className == "Orthogonal" && !config.isAbsentOrNull()) {
    JsonNode gain = config["gain"];
    if (!gain.isAbsentOrNull()) {
      Expected<double> value = reader.getNumber(gain);
      if (!value)
        return value.takeError();
      if (*value != 1.0)
        return reader.expected(gain, "1.0 (other Orthogonal gains are not "
                                     "supported yet)");
    }
  }
  // The seed of GlorotUniform is not carried over: the compiled model's
  // `--seed` decides its random numbers.
  return toSnakeCase(*className);
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
    inputShape = std::move(*shape);

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
      return reader.error(config["dtype"], "unsupported input dtype '" + *name +
                                               "'; expected float32");
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
  Expected<std::string> kernelInit =
      readInitializer(config["kernel_initializer"]);
  if (!kernelInit)
    return kernelInit.takeError();
  layer.kernel_initializer = std::move(*kernelInit);
  Expected<std::string> biasInit = readInitializer(config["bias_initializer"]);
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

Error KerasImporter::importConv2D(const JsonNode &config, fb::LayerT &layer) {
  if (Error err = checkChannelsLast(config["data_format"]))
    return err;
  Expected<int64_t> filters =
      reader.getPositiveInt(config["filters"], maxExtent);
  if (!filters)
    return filters.takeError();
  layer.filters = *filters;
  if (config["kernel_size"].isAbsentOrNull())
    return reader.expected(config["kernel_size"],
                           "a kernel size (an integer or two)");
  if (Error err = readPair(config["kernel_size"], layer.kernel_size))
    return err;
  if (Error err = readPair(config["strides"], layer.strides))
    return err;
  if (Error err = readPair(config["dilation_rate"], layer.dilation_rate))
    return err;
  if (Error err = readPadding(config["padding"], layer.padding))
    return err;
  if (!config["groups"].isAbsentOrNull()) {
    Expected<int64_t> groups =
        reader.getPositiveInt(config["groups"], maxExtent);
    if (!groups)
      return groups.takeError();
    if (*groups != 1)
      return reader.error(config["groups"],
                          "grouped convolutions (groups > 1) are not "
                          "supported yet");
  }
  if (Error err = importKernelLayerOptions(config, layer))
    return err;
  // Regularizers and constraints must be absent or null.
  return checkOptions(config,
                      {"filters", "kernel_size", "strides", "padding",
                       "data_format", "dilation_rate", "groups", "activation",
                       "use_bias", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer"},
                      "Conv2D");
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
    Expected<std::string> init = readInitializer(config[key]);
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
  // `unroll` and `implementation` (Keras 2's kernel layout choice) and
  // `use_cudnn` change how Keras schedules the same arithmetic; Kiln always
  // unrolls the static time loop. The options that change the results
  // (dropout, recurrent_dropout, stateful, return_state, time_major,
  // regularizers, constraints) must be off, which checkOptions enforces.
  if (!config["implementation"].isAbsentOrNull())
    if (Expected<double> value = reader.getNumber(config["implementation"]);
        !value)
      return value.takeError();
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
  // Softmax: an integer axis (a list of axes is refused as a type error).
  if (!config["axis"].isAbsentOrNull()) {
    Expected<double> axis = reader.getNumber(config["axis"]);
    if (!axis)
      return axis.takeError();
    if (*axis != std::floor(*axis) || std::abs(*axis) > maxExtent)
      return reader.expected(config["axis"], "an integer axis");
    layer.axis = static_cast<int64_t>(*axis);
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
  if (!config["groups"].isAbsentOrNull()) {
    Expected<int64_t> groups =
        reader.getPositiveInt(config["groups"], maxExtent);
    if (!groups)
      return groups.takeError();
    if (*groups != 1)
      return reader.error(config["groups"],
                          "grouped convolutions (groups > 1) are not "
                          "supported yet");
  }
  if (Error err = importKernelLayerOptions(config, layer))
    return err;
  return checkOptions(config,
                      {"filters", "kernel_size", "strides", "padding",
                       "data_format", "dilation_rate", "groups", "activation",
                       "use_bias", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer"},
                      "Conv1D");
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
  if (*interpolation != "nearest")
    return reader.error(config["interpolation"],
                        "unsupported interpolation '" + *interpolation +
                            "'; Kiln implements nearest only");
  layer.interpolation = interpolation->str();
  return checkOptions(config, {"size", "data_format", "interpolation"},
                      "UpSampling2D");
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

/// True for Keras's default embeddings initializer: RandomUniform with
/// minval -0.05 and maxval 0.05 (Keras 2 names it "uniform").
static bool isDefaultEmbeddingInit(const JsonNode &node) {
  const json::Value *value = node.get();
  if (!value)
    return true;
  if (std::optional<StringRef> name = value->getAsString())
    return *name == "uniform" || *name == "random_uniform" ||
           *name == "RandomUniform";
  if (node["class_name"].get() == nullptr ||
      node["class_name"].get()->getAsString() != StringRef("RandomUniform"))
    return false;
  auto number = [&](StringRef key, double fallback) -> std::optional<double> {
    const json::Value *v = node["config"][key].get();
    return v ? v->getAsNumber() : fallback;
  };
  return number("minval", -0.05) == -0.05 && number("maxval", 0.05) == 0.05;
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
  // Keras's default RandomUniform(-0.05, 0.05) is not in the runtime yet:
  // it stays absent, which the analysis fills with glorot_uniform
  // (docs/model-format.md says so). Other initializers are passed on and
  // checked like a kernel's.
  JsonNode init = config["embeddings_initializer"];
  if (!isDefaultEmbeddingInit(init)) {
    Expected<std::string> name = readInitializer(init);
    if (!name)
      return name.takeError();
    layer.embeddings_initializer = std::move(*name);
  }
  // `input_length` (Keras 2) restates the input shape; `mask_zero`,
  // `sparse`, regularizers, constraints and LoRA must be off.
  if (!config["input_length"].isAbsentOrNull())
    if (Expected<int64_t> length =
            reader.getPositiveInt(config["input_length"], maxExtent);
        !length)
      return length.takeError();
  return checkOptions(
      config,
      {"input_dim", "output_dim", "embeddings_initializer", "input_length"},
      "Embedding");
}

Error KerasImporter::importLayerOptions(size_t index, const JsonNode &config,
                                        fb::LayerT &layer) {
  StringRef className = layer.class_name;
  if (className == "InputLayer") {
    inputLayer = index;
    return importInputLayer(config);
  }
  // Keras reads a shape given to the first layer only.
  if (index == 0)
    if (Error err = importLayerInputShape(config))
      return err;
  if (Error err = checkComputeDType(config["dtype"]))
    return err;
  Expected<bool> trainable = reader.getBoolOr(config["trainable"], true);
  if (!trainable)
    return trainable.takeError();

  std::string place = layerPlace(index, layer.name);
  if (className == "Dense") {
    if (!*trainable)
      return makeFrontendError(reader.getFile(), place,
                               "frozen layers (trainable: false) are not "
                               "supported yet");
    return importDense(config, layer);
  }
  if (className == "Rescaling")
    return importRescaling(config, layer);
  if (className == "Flatten")
    return importFlatten(config);
  if (className == "Activation")
    return importActivationLayer(config, layer);
  if (className == "Conv2D") {
    if (!*trainable)
      return makeFrontendError(reader.getFile(), place,
                               "frozen layers (trainable: false) are not "
                               "supported yet");
    return importConv2D(config, layer);
  }
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
  if (className == "SimpleRNN" || className == "LSTM" || className == "GRU") {
    if (!*trainable)
      return makeFrontendError(reader.getFile(), place,
                               "frozen layers (trainable: false) are not "
                               "supported yet");
    return importRecurrent(config, layer);
  }
  if (className == "ReLU" || className == "LeakyReLU" || className == "ELU" ||
      className == "Softmax")
    return importActivationLayerOptions(config, layer);
  if (className == "Permute")
    return importPermute(config, layer);
  if (className == "Conv1D") {
    if (!*trainable)
      return makeFrontendError(reader.getFile(), place,
                               "frozen layers (trainable: false) are not "
                               "supported yet");
    return importConv1D(config, layer);
  }
  if (className == "MaxPooling1D" || className == "AveragePooling1D")
    return importPooling1D(config, layer);
  if (className == "UpSampling2D")
    return importUpSampling2D(config, layer);
  if (className == "SpatialDropout1D" || className == "SpatialDropout2D")
    return importSpatialDropout(config, layer);
  if (className == "Embedding") {
    if (!*trainable)
      return makeFrontendError(reader.getFile(), place,
                               "frozen layers (trainable: false) are not "
                               "supported yet");
    return importEmbedding(config, layer);
  }
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
                               "SpatialDropout1D, SpatialDropout2D or "
                               "Embedding");
}

Error KerasImporter::importLayer(size_t index, const JsonNode &node,
                                 fb::ModelT &model) {
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
  Expected<StringRef> name = reader.getStringOr(config["name"], "");
  if (!name)
    return name.takeError();

  auto layer = std::make_unique<fb::LayerT>();
  layer->class_name = className->str();
  layer->name = name->str();
  if (Error err = importLayerOptions(index, config, *layer))
    return err;
  model.layers.push_back(std::move(layer));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

Error KerasImporter::importSequential(const JsonNode &modelNode,
                                      fb::ModelT &model) {
  Expected<StringRef> className = reader.getString(modelNode["class_name"]);
  if (!className)
    return className.takeError();
  if (*className != "Sequential")
    return reader.error(modelNode["class_name"],
                        "unsupported model class '" + *className +
                            "'; only Sequential models are supported for now");

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
  for (size_t i = 0, e = (*layerArray)->size(); i < e; ++i)
    if (Error err = importLayer(i, layers.at(i), model))
      return err;

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
  input->name = inputLayer ? model.layers[*inputLayer]->name
                           : model.layers.front()->name + "_input";
  input->shape = *inputShape;
  input->dtype = inputDType;
  model.inputs.push_back(std::move(input));
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
  if (Error err = importSequential(modelNode, *model))
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
