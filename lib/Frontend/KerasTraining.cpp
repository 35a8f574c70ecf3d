//===- KerasTraining.cpp - Keras compile config to Training ---------------===//
//
// Keras records the optimizer as a serialized object (class name plus
// config), the loss and metrics as names or serialized objects. Options that
// change the training (schedules, clipping, weight decay, AMSGrad, SGD
// momentum, loss reductions other than the mean, ...) must be absent or off
// until the runtime implements them.
//
//===----------------------------------------------------------------------===//

#include "KerasTraining.h"

#include "kiln/Frontend/ModelAnalysis.h"

#include "llvm/ADT/StringExtras.h"

#include <cfloat>
#include <cmath>

using namespace llvm;
using namespace kiln;

/// Reads an optional float32 hyperparameter.
static Error readHyperparameter(const JsonReader &reader, const JsonNode &node,
                                flatbuffers::Optional<float> &out) {
  if (node.get() && node.get()->getAsObject())
    return reader.error(node, "learning-rate schedules and other objects are "
                              "not supported yet; expected a number");
  Expected<std::optional<double>> number = reader.getOptionalNumber(node);
  if (!number)
    return number.takeError();
  if (!*number)
    return Error::success();
  if (std::abs(**number) > FLT_MAX)
    return reader.expected(node, "a number in the float32 range");
  out = static_cast<float>(**number);
  return Error::success();
}

static Error importOptimizer(const JsonReader &reader, const JsonNode &node,
                             fb::TrainingT &training) {
  if (node.isAbsentOrNull())
    return Error::success(); // Adam with its defaults.
  auto optimizer = std::make_unique<fb::OptimizerT>();
  JsonNode nameNode = node;
  JsonNode config(nullptr, node.getPath() + ".config");
  if (node.get()->getAsObject()) {
    nameNode = node["class_name"];
    config = node["config"];
    if (!config.isAbsentOrNull())
      if (Expected<const json::Object *> object = reader.getObject(config);
          !object)
        return object.takeError();
  }
  Expected<StringRef> className = reader.getString(nameNode);
  if (!className)
    return className.takeError();
  // TensorFlow.js writes optimizers of TF 2.11+ as "Custom>Adam".
  StringRef name = *className;
  name.consume_front("Custom>");
  optimizer->name = name.lower();
  if (!isSupportedOptimizer(optimizer->name))
    return reader.error(nameNode, "unsupported optimizer '" + *className +
                                      "'; expected Adam or SGD");

  // Keras 2.2 spelled the learning rate `lr`.
  JsonNode rate = config["learning_rate"];
  if (rate.isAbsent())
    rate = config["lr"];
  if (Error err = readHyperparameter(reader, rate, optimizer->learning_rate))
    return err;
  SmallVector<StringRef> handled = {
      // Read above, or irrelevant to the arithmetic.
      "learning_rate", "lr", "name", "jit_compile", "is_legacy_optimizer",
      // Only meaningful with use_ema, which must be off.
      "ema_momentum"};
  if (optimizer->name == "adam") {
    if (Error err =
            readHyperparameter(reader, config["beta_1"], optimizer->beta_1))
      return err;
    if (Error err =
            readHyperparameter(reader, config["beta_2"], optimizer->beta_2))
      return err;
    if (Error err =
            readHyperparameter(reader, config["epsilon"], optimizer->epsilon))
      return err;
    handled.append({"beta_1", "beta_2", "epsilon"});
  }
  // amsgrad, weight_decay, decay, clipnorm, clipvalue, global_clipnorm,
  // use_ema, loss_scale_factor, gradient_accumulation_steps, SGD's momentum
  // and nesterov: all must be off.
  if (Error err = reader.checkInertOptions(config, handled, *className))
    return err;
  training.optimizer = std::move(optimizer);
  return Error::success();
}

/// Sets the loss from its Keras name (function or class name) found at
/// `node`.
static Error setLossName(const JsonReader &reader, const JsonNode &node,
                         StringRef name, fb::TrainingT &training) {
  std::string loss = toSnakeCase(name);
  if (!isSupportedLoss(loss))
    return reader.error(node, "unsupported loss '" + name + "'; expected " +
                                  getSupportedLossesText());
  training.loss = loss;
  return Error::success();
}

static Error importLoss(const JsonReader &reader, const JsonNode &node,
                        fb::TrainingT &training) {
  if (node.isAbsentOrNull())
    return Error::success(); // The default loss.
  if (std::optional<StringRef> name = node.get()->getAsString())
    return setLossName(reader, node, *name, training);
  if (!node.get()->getAsObject())
    return reader.expected(node, "a loss name or a serialized loss object "
                                 "(models with several outputs are not "
                                 "supported yet)");
  // A loss function rather than a loss object: {"class_name": "function",
  // "config": "sparse_categorical_crossentropy", ...}.
  if (JsonNode function = node["config"];
      function.get() && function.get()->getAsString())
    return setLossName(reader, function, *function.get()->getAsString(),
                       training);
  Expected<StringRef> className = reader.getString(node["class_name"]);
  if (!className)
    return className.takeError();
  if (Error err = setLossName(reader, node["class_name"], *className, training))
    return err;

  JsonNode config = node["config"];
  if (config.isAbsentOrNull())
    return Error::success();
  if (Expected<const json::Object *> object = reader.getObject(config); !object)
    return object.takeError();
  Expected<bool> fromLogits = reader.getBoolOr(config["from_logits"], false);
  if (!fromLogits)
    return fromLogits.takeError();
  training.from_logits = *fromLogits;
  // Keras 2 says "auto", Keras 3 "sum_over_batch_size": both the mean.
  Expected<StringRef> reduction =
      reader.getStringOr(config["reduction"], "sum_over_batch_size");
  if (!reduction)
    return reduction.takeError();
  if (*reduction != "auto" && *reduction != "sum_over_batch_size")
    return reader.error(config["reduction"],
                        "unsupported reduction '" + *reduction +
                            "'; expected sum_over_batch_size");
  if (JsonNode axis = config["axis"]; !axis.isAbsentOrNull()) {
    std::optional<int64_t> value = axis.get()->getAsInteger();
    if (value != -1)
      return reader.expected(axis, "-1 (the class axis is the last one)");
  }
  // ignore_class must be null.
  return reader.checkInertOptions(
      config, {"from_logits", "reduction", "axis", "name", "dtype"},
      *className);
}

/// Reads one metric: a name, or a serialized metric object whose config
/// names it (Keras 2 wraps "accuracy" in a MeanMetricWrapper).
static Error importMetric(const JsonReader &reader, const JsonNode &node,
                          fb::TrainingT &training) {
  std::string name;
  if (std::optional<StringRef> text =
          node.get() ? node.get()->getAsString() : std::nullopt) {
    name = text->str();
  } else if (node.get() && node.get()->getAsObject()) {
    // A metric object names itself in its config; a metric function is
    // serialized with its name as the config.
    JsonNode config = node["config"];
    JsonNode configName = config["name"];
    if (config.get() && config.get()->getAsString()) {
      name = config.get()->getAsString()->str();
    } else if (configName.get() && configName.get()->getAsString()) {
      name = configName.get()->getAsString()->str();
    } else {
      Expected<StringRef> className = reader.getString(node["class_name"]);
      if (!className)
        return className.takeError();
      name = toSnakeCase(*className);
    }
  } else {
    return reader.expected(node, "a metric name or a serialized metric");
  }
  if (!isSupportedMetric(name))
    return reader.error(node, "unsupported metric '" + name + "'; expected " +
                                  getSupportedMetricsText());
  training.metrics.push_back(std::move(name));
  return Error::success();
}

static Error importMetrics(const JsonReader &reader, const JsonNode &node,
                           fb::TrainingT &training) {
  if (node.isAbsent()) {
    training.metrics = {"accuracy"}; // Kiln's default for hand-written files.
    return Error::success();
  }
  if (node.isAbsentOrNull())
    return Error::success(); // compile(metrics=None).
  Expected<const json::Array *> metrics = reader.getArray(node);
  if (!metrics)
    return metrics.takeError();
  // Keras 2 nests the metrics of a single-output model one level deeper:
  // [["accuracy"]]. That one level is unwrapped, nothing deeper.
  JsonNode list = node;
  if ((*metrics)->size() == 1 && (**metrics)[0].getAsArray())
    list = node.at(0);
  size_t count = list.get()->getAsArray()->size();
  for (size_t i = 0; i < count; ++i)
    if (Error err = importMetric(reader, list.at(i), training))
      return err;
  return Error::success();
}

/// True if `node` is absent, null, or an empty array or object.
static bool isAbsentOrEmpty(const JsonNode &node) {
  if (node.isAbsentOrNull())
    return true;
  if (const json::Array *array = node.get()->getAsArray())
    return array->empty();
  if (const json::Object *object = node.get()->getAsObject())
    return object->empty();
  return false;
}

Error kiln::importKerasTraining(const JsonReader &reader,
                                const JsonNode &config,
                                fb::TrainingT &training) {
  if (Expected<const json::Object *> object = reader.getObject(config); !object)
    return object.takeError();
  // Keras 3 writes `optimizer`, Keras 2 `optimizer_config`.
  JsonNode optimizer = config["optimizer"];
  if (optimizer.isAbsent())
    optimizer = config["optimizer_config"];
  if (Error err = importOptimizer(reader, optimizer, training))
    return err;
  if (Error err = importLoss(reader, config["loss"], training))
    return err;
  if (Error err = importMetrics(reader, config["metrics"], training))
    return err;
  for (StringRef key : {"weighted_metrics", "loss_weights"})
    if (!isAbsentOrEmpty(config[key]))
      return reader.error(config[key], Twine(key) + " are not supported yet; "
                                                    "expected null");
  // The remaining keys steer how Keras executes, not what it computes.
  return reader.checkInertOptions(
      config,
      {"optimizer", "optimizer_config", "loss", "metrics", "weighted_metrics",
       "loss_weights", "run_eagerly", "steps_per_execution", "jit_compile",
       "auto_scale_loss", "sample_weight_mode"},
      "compile");
}
