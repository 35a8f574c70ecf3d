//===- KerasTraining.cpp - Keras compile config to Training ---------------===//
//
// Keras records the optimizer as a serialized object (class name plus
// config, the learning rate possibly a serialized schedule), the loss and
// metrics as names or serialized objects. Options Kiln does not implement
// (EMA, loss scaling, gradient accumulation, loss reductions other than the
// mean, ...) must be absent or off.
//
//===----------------------------------------------------------------------===//

#include "KerasTraining.h"

#include "kiln/Frontend/Losses.h"
#include "kiln/Frontend/ModelAnalysis.h"

#include "llvm/ADT/StringExtras.h"

#include <cfloat>
#include <cmath>

using namespace llvm;
using namespace kiln;

/// Reads an optional float32 number.
static Error readFloat(const JsonReader &reader, const JsonNode &node,
                       flatbuffers::Optional<float> &out) {
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

/// Reads an optional float32 hyperparameter, refusing objects.
static Error readHyperparameter(const JsonReader &reader, const JsonNode &node,
                                flatbuffers::Optional<float> &out) {
  if (node.get() && node.get()->getAsObject())
    return reader.expected(node, "a number");
  return readFloat(reader, node, out);
}

/// Reads an optional boolean option.
static Error readFlag(const JsonReader &reader, const JsonNode &node,
                      bool &out) {
  Expected<bool> flag = reader.getBoolOr(node, false);
  if (!flag)
    return flag.takeError();
  out = *flag;
  return Error::success();
}

/// Reads an integer step count >= 0 (Keras accepts integral floats too).
static Error readSteps(const JsonReader &reader, const JsonNode &node,
                       int64_t &out) {
  if (node.isAbsentOrNull())
    return Error::success();
  std::optional<double> number = node.get()->getAsNumber();
  if (!number || *number < 0 || *number != std::floor(*number) ||
      *number > 9.0e15)
    return reader.expected(node, "a non-negative integer number of steps");
  out = static_cast<int64_t>(*number);
  return Error::success();
}

/// Reads a serialized keras.optimizers.schedules object (Keras 2 or 3).
static Error importSchedule(const JsonReader &reader, const JsonNode &node,
                            fb::OptimizerT &optimizer) {
  Expected<StringRef> className = reader.getString(node["class_name"]);
  if (!className)
    return className.takeError();
  JsonNode config = node["config"];
  if (Expected<const json::Object *> object = reader.getObject(config); !object)
    return object.takeError();
  auto schedule = std::make_unique<fb::LearningRateScheduleT>();
  schedule->class_name = className->str();
  SmallVector<StringRef> handled = {"name"};
  if (*className == "ExponentialDecay") {
    if (Error err = readFloat(reader, config["initial_learning_rate"],
                              schedule->initial_learning_rate))
      return err;
    if (Error err = readSteps(reader, config["decay_steps"],
                              schedule->decay_steps))
      return err;
    if (Error err =
            readFloat(reader, config["decay_rate"], schedule->decay_rate))
      return err;
    if (Error err = readFlag(reader, config["staircase"], schedule->staircase))
      return err;
    handled.append(
        {"initial_learning_rate", "decay_steps", "decay_rate", "staircase"});
  } else if (*className == "PiecewiseConstantDecay") {
    for (StringRef key : {"boundaries", "values"}) {
      Expected<const json::Array *> array = reader.getArray(config[key]);
      if (!array)
        return array.takeError();
      for (size_t i = 0, e = (*array)->size(); i < e; ++i) {
        JsonNode element = config[key].at(i);
        if (key == "boundaries") {
          int64_t step = 0;
          if (Error err = readSteps(reader, element, step))
            return err;
          schedule->boundaries.push_back(step);
        } else {
          flatbuffers::Optional<float> value;
          if (Error err = readFloat(reader, element, value))
            return err;
          if (!value)
            return reader.expected(element, "a number");
          schedule->values.push_back(*value);
        }
      }
    }
    handled.append({"boundaries", "values"});
  } else if (*className == "CosineDecay") {
    if (Error err = readFloat(reader, config["initial_learning_rate"],
                              schedule->initial_learning_rate))
      return err;
    if (Error err = readSteps(reader, config["decay_steps"],
                              schedule->decay_steps))
      return err;
    flatbuffers::Optional<float> alpha;
    if (Error err = readFloat(reader, config["alpha"], alpha))
      return err;
    schedule->alpha = alpha ? *alpha : 0.0f;
    if (Error err = readFloat(reader, config["warmup_target"],
                              schedule->warmup_target))
      return err;
    if (Error err = readSteps(reader, config["warmup_steps"],
                              schedule->warmup_steps))
      return err;
    handled.append({"initial_learning_rate", "decay_steps", "alpha",
                    "warmup_target", "warmup_steps"});
  } else {
    return reader.error(node["class_name"],
                        "unsupported learning-rate schedule '" + *className +
                            "'; expected ExponentialDecay, "
                            "PiecewiseConstantDecay or CosineDecay");
  }
  if (Error err = reader.checkInertOptions(config, handled, *className))
    return err;
  optimizer.learning_rate_schedule = std::move(schedule);
  return Error::success();
}

/// The hyperparameters each optimizer reads beyond the common ones
/// (learning rate, weight decay, clipping), as Keras 3 names them.
static ArrayRef<StringRef> optimizerOptions(StringRef name) {
  static const StringRef adam[] = {"beta_1", "beta_2", "epsilon", "amsgrad"};
  static const StringRef adamax[] = {"beta_1", "beta_2", "epsilon"};
  static const StringRef sgd[] = {"momentum", "nesterov"};
  static const StringRef rmsprop[] = {"rho", "momentum", "epsilon",
                                      "centered"};
  static const StringRef adagrad[] = {"initial_accumulator_value", "epsilon"};
  static const StringRef adadelta[] = {"rho", "epsilon"};
  if (name == "adam" || name == "adamw")
    return adam;
  if (name == "adamax" || name == "nadam")
    return adamax;
  if (name == "sgd")
    return sgd;
  if (name == "rmsprop")
    return rmsprop;
  if (name == "adagrad")
    return adagrad;
  if (name == "adadelta")
    return adadelta;
  return {};
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
                                      "'; expected " +
                                      getSupportedOptimizersText());

  // Keras 2.2 spelled the learning rate `lr`.
  JsonNode rate = config["learning_rate"];
  if (rate.isAbsent())
    rate = config["lr"];
  if (rate.get() && rate.get()->getAsObject()) {
    if (Error err = importSchedule(reader, rate, *optimizer))
      return err;
  } else if (Error err =
                 readHyperparameter(reader, rate, optimizer->learning_rate)) {
    return err;
  }

  struct FloatOption {
    StringRef key;
    flatbuffers::Optional<float> fb::OptimizerT::*field;
  };
  static const FloatOption floats[] = {
      {"beta_1", &fb::OptimizerT::beta_1},
      {"beta_2", &fb::OptimizerT::beta_2},
      {"epsilon", &fb::OptimizerT::epsilon},
      {"momentum", &fb::OptimizerT::momentum},
      {"rho", &fb::OptimizerT::rho},
      {"initial_accumulator_value", &fb::OptimizerT::initial_accumulator_value},
      {"weight_decay", &fb::OptimizerT::weight_decay},
      {"clipnorm", &fb::OptimizerT::clipnorm},
      {"clipvalue", &fb::OptimizerT::clipvalue},
      {"global_clipnorm", &fb::OptimizerT::global_clipnorm}};
  struct FlagOption {
    StringRef key;
    bool fb::OptimizerT::*field;
  };
  static const FlagOption flags[] = {{"nesterov", &fb::OptimizerT::nesterov},
                                     {"amsgrad", &fb::OptimizerT::amsgrad},
                                     {"centered", &fb::OptimizerT::centered}};

  SmallVector<StringRef> handled = {
      // Read above, or irrelevant to the arithmetic.
      "learning_rate", "lr", "name", "jit_compile", "is_legacy_optimizer",
      // Only meaningful with use_ema, which must be off.
      "ema_momentum", "ema_overwrite_frequency",
      // Every optimizer takes these.
      "weight_decay", "clipnorm", "clipvalue", "global_clipnorm"};
  handled.append(optimizerOptions(optimizer->name).begin(),
                 optimizerOptions(optimizer->name).end());
  for (const FloatOption &option : floats)
    if (is_contained(handled, option.key))
      if (Error err = readHyperparameter(reader, config[option.key],
                                         (*optimizer).*option.field))
        return err;
  for (const FlagOption &option : flags)
    if (is_contained(handled, option.key))
      if (Error err =
              readFlag(reader, config[option.key], (*optimizer).*option.field))
        return err;
  // use_ema, loss_scale_factor, gradient_accumulation_steps, Keras 2's
  // `decay`, and another optimizer's options: all must be off.
  if (Error err = reader.checkInertOptions(config, handled, *className))
    return err;
  training.optimizer = std::move(optimizer);
  return Error::success();
}

/// Sets the loss from its Keras name (function or class name) found at
/// `node`.
static Error setLossName(const JsonReader &reader, const JsonNode &node,
                         StringRef name, fb::TrainingT &training) {
  std::optional<std::string> loss = canonicalLossName(name);
  // Anything else is a Python function or class Kiln cannot run: say how to
  // pick a built-in loss without editing the file.
  if (!loss)
    return reader.error(node, "loss '" + name +
                                  "' is not a built-in Keras loss (a custom "
                                  "Python loss cannot be compiled); choose "
                                  "one of " +
                                  getSupportedLossesText() +
                                  " with kilnc --loss NAME");
  training.loss = *loss;
  return Error::success();
}

static Error importLoss(const JsonReader &reader, const JsonNode &node,
                        fb::TrainingT &training) {
  if (node.isAbsentOrNull())
    return Error::success(); // The default loss.
  if (std::optional<StringRef> name = node.get()->getAsString())
    return setLossName(reader, node, *name, training);
  if (!node.get()->getAsObject())
    return reader.expected(node, "a loss name or a serialized loss object");
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
  if (training.loss == "huber") {
    flatbuffers::Optional<float> delta;
    if (Error err = readHyperparameter(reader, config["delta"], delta))
      return err;
    if (delta && !(*delta > 0.0f))
      return reader.expected(config["delta"], "a positive delta");
    if (delta)
      training.huber_delta = *delta;
  }
  // ignore_class must be null, label_smoothing 0.
  return reader.checkInertOptions(
      config, {"from_logits", "reduction", "axis", "name", "dtype", "delta"},
      *className);
}

/// A per-output form of `loss`, `loss_weights` or `metrics`: a list with
/// one element per output, or an object keyed by output names (a
/// serialized loss or metric object has a class_name instead).
enum class PerOutputForm { None, List, Dict };

static PerOutputForm getPerOutputForm(const JsonNode &node, bool listForm) {
  if (!node.get())
    return PerOutputForm::None;
  if (const json::Object *object = node.get()->getAsObject())
    return object->find("class_name") == object->end() ? PerOutputForm::Dict
                                                       : PerOutputForm::None;
  return listForm && node.get()->getAsArray() ? PerOutputForm::List
                                              : PerOutputForm::None;
}

/// The entry of `training.outputs` for output `name` (dict forms) or at
/// `position` (list forms), created when missing. The forms cannot mix:
/// entries are either all named or all positional.
static Expected<fb::OutputTrainingT *>
getOutputEntry(const JsonReader &reader, const JsonNode &node,
               fb::TrainingT &training, StringRef name, size_t position) {
  auto &entries = training.outputs;
  bool named = !entries.empty() && !entries.front()->output.empty();
  if (!entries.empty() && named != !name.empty())
    return reader.error(node, "mixes a list and an object keyed by output "
                              "names; give loss, loss_weights and metrics "
                              "in the same form");
  if (!name.empty()) {
    for (auto &entry : entries)
      if (entry->output == name)
        return entry.get();
    entries.push_back(std::make_unique<fb::OutputTrainingT>());
    entries.back()->output = name.str();
    return entries.back().get();
  }
  while (entries.size() <= position)
    entries.push_back(std::make_unique<fb::OutputTrainingT>());
  return entries[position].get();
}

/// Calls `read(element, entry)` for each element of the per-output form of
/// `node`, with the `training.outputs` entry it configures.
static Error forEachOutput(
    const JsonReader &reader, const JsonNode &node, PerOutputForm form,
    fb::TrainingT &training,
    llvm::function_ref<Error(const JsonNode &, fb::OutputTrainingT &)> read) {
  auto visit = [&](const JsonNode &element, StringRef name,
                   size_t position) -> Error {
    Expected<fb::OutputTrainingT *> entry =
        getOutputEntry(reader, element, training, name, position);
    if (!entry)
      return entry.takeError();
    return read(element, **entry);
  };
  if (form == PerOutputForm::List) {
    for (size_t i = 0, e = node.get()->getAsArray()->size(); i < e; ++i)
      if (Error err = visit(node.at(i), "", i))
        return err;
    return Error::success();
  }
  // Sorted, so that the first error does not depend on hashing.
  std::vector<std::string> keys;
  for (const auto &[key, value] : *node.get()->getAsObject())
    keys.push_back(key.str());
  llvm::sort(keys);
  for (const std::string &key : keys)
    if (Error err = visit(node[key], key, 0))
      return err;
  return Error::success();
}

/// Reads per-output losses (a list, or a dict keyed by output name) into
/// `training.outputs`.
static Error importOutputLosses(const JsonReader &reader, const JsonNode &node,
                                fb::TrainingT &training) {
  return forEachOutput(
      reader, node, getPerOutputForm(node, /*listForm=*/true), training,
      [&](const JsonNode &element, fb::OutputTrainingT &entry) -> Error {
        fb::TrainingT single;
        if (Error err = importLoss(reader, element, single))
          return err;
        entry.loss = single.loss;
        entry.from_logits = single.from_logits;
        if (single.loss == "huber")
          training.huber_delta = single.huber_delta;
        return Error::success();
      });
}

static Error importLossWeights(const JsonReader &reader, const JsonNode &node,
                               fb::TrainingT &training) {
  PerOutputForm form = getPerOutputForm(node, /*listForm=*/true);
  if (form == PerOutputForm::None)
    return reader.expected(node, "a list of loss weights, one per output, or "
                                 "an object keyed by output names");
  return forEachOutput(
      reader, node, form, training,
      [&](const JsonNode &element, fb::OutputTrainingT &entry) -> Error {
        std::optional<double> weight =
            element.get() ? element.get()->getAsNumber() : std::nullopt;
        if (!weight || !(*weight >= 0.0) || *weight > FLT_MAX)
          return reader.expected(element, "a finite loss weight >= 0");
        entry.weight = static_cast<float>(*weight);
        return Error::success();
      });
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
  // Keras 2 spells top-k "sparse_top_k_categorical_accuracy" too; its k
  // lives in the config of the metric object.
  if (name == "sparse_top_k_categorical_accuracy" && node.get() &&
      node.get()->getAsObject()) {
    JsonNode k = node["config"]["k"];
    if (!k.isAbsentOrNull()) {
      std::optional<int64_t> value = k.get()->getAsInteger();
      if (!value || *value < 1 || *value > INT32_MAX)
        return reader.expected(k, "a positive integer k");
      training.top_k = static_cast<int32_t>(*value);
    }
  }
  if (!isSupportedMetric(name))
    return reader.error(node, "metric '" + name +
                                  "' is not a built-in Keras metric (a custom "
                                  "Python metric cannot be compiled); choose "
                                  "from " +
                                  getSupportedMetricsText() +
                                  " with kilnc --metrics NAMES");
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
  // Several outputs: a dict keyed by output names, or a list of lists, one
  // per output; an element is a metric or a list of them.
  bool listOfLists = false;
  if (const json::Array *array = node.get()->getAsArray())
    listOfLists = array->size() > 1 &&
                  llvm::all_of(*array, [](const json::Value &element) {
                    return element.getAsArray() != nullptr;
                  });
  if (PerOutputForm form = getPerOutputForm(node, listOfLists);
      form != PerOutputForm::None)
    return forEachOutput(
        reader, node, form, training,
        [&](const JsonNode &element, fb::OutputTrainingT &entry) -> Error {
          fb::TrainingT single;
          if (element.get() && element.get()->getAsArray()) {
            for (size_t i = 0, e = element.get()->getAsArray()->size(); i < e;
                 ++i)
              if (Error err = importMetric(reader, element.at(i), single))
                return err;
          } else if (Error err = importMetric(reader, element, single)) {
            return err;
          }
          entry.metrics = std::move(single.metrics);
          training.top_k = single.top_k;
          return Error::success();
        });
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
                                fb::TrainingT &training,
                                const TrainingOverrides &overrides) {
  if (Expected<const json::Object *> object = reader.getObject(config); !object)
    return object.takeError();
  // Keras 3 writes `optimizer`, Keras 2 `optimizer_config`.
  JsonNode optimizer = config["optimizer"];
  if (optimizer.isAbsent())
    optimizer = config["optimizer_config"];
  if (Error err = importOptimizer(reader, optimizer, training))
    return err;
  if (!overrides.loss) {
    JsonNode loss = config["loss"];
    if (getPerOutputForm(loss, /*listForm=*/true) != PerOutputForm::None) {
      if (Error err = importOutputLosses(reader, loss, training))
        return err;
    } else if (Error err = importLoss(reader, loss, training)) {
      return err;
    }
  }
  if (!overrides.metrics)
    if (Error err = importMetrics(reader, config["metrics"], training))
      return err;
  if (!isAbsentOrEmpty(config["loss_weights"]))
    if (Error err = importLossWeights(reader, config["loss_weights"], training))
      return err;
  // Per-output entries without metrics of their own take the flat list
  // (Keras 2 applies it to every output).
  bool perOutputMetrics = llvm::any_of(training.outputs, [](const auto &entry) {
    return !entry->metrics.empty();
  });
  if (!perOutputMetrics)
    for (auto &entry : training.outputs)
      entry->metrics = training.metrics;
  if (!isAbsentOrEmpty(config["weighted_metrics"]))
    return reader.error(config["weighted_metrics"],
                        "weighted_metrics are not supported yet; expected "
                        "null");
  // The remaining keys steer how Keras executes, not what it computes.
  return reader.checkInertOptions(
      config,
      {"optimizer", "optimizer_config", "loss", "metrics", "weighted_metrics",
       "loss_weights", "run_eagerly", "steps_per_execution", "jit_compile",
       "auto_scale_loss", "sample_weight_mode"},
      "compile");
}
