//===- ModelJsonWriter.cpp - Write the schema's JSON form -----------------===//
//
// Written with llvm::json rather than flatbuffers::GenerateText, which
// prints floats with six decimals (1e-7 becomes 0.0). Floats are printed
// with the fewest digits that read back to the same float32; each layer
// lists the options of its class, so the file documents itself.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/ModelDescription.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;
using namespace kiln;

/// Returns the shortest decimal text that reads back as `value`.
static std::string formatFloat(float value) {
  if (!std::isfinite(value))
    return "0"; // Not representable in JSON; the analysis rejects it anyway.
  return formatShortest(value);
}

namespace {
/// Writes the fields of a ModelT through a json::OStream.
class ModelJsonWriter {
public:
  explicit ModelJsonWriter(raw_ostream &os) : json(os, /*IndentSize=*/2) {}

  void write(const fb::ModelT &model);

private:
  void writeFloat(StringRef key, float value) {
    json.attributeBegin(key);
    json.rawValue(formatFloat(value));
    json.attributeEnd();
  }
  void writeOptionalFloat(StringRef key,
                          const flatbuffers::Optional<float> &value) {
    if (value)
      writeFloat(key, *value);
  }
  void writeStrings(StringRef key, const std::vector<std::string> &values) {
    json.attributeArray(key, [&] {
      for (const std::string &value : values)
        json.value(value);
    });
  }
  /// Writes a list of integers, or nothing when it is empty.
  void writeLongs(StringRef key, const std::vector<int64_t> &values) {
    if (values.empty())
      return;
    json.attributeArray(key, [&] {
      for (int64_t value : values)
        json.value(value);
    });
  }
  /// Writes a list of floats, or nothing when it is empty.
  void writeFloats(StringRef key, const std::vector<float> &values) {
    if (values.empty())
      return;
    json.attributeBegin(key);
    json.arrayBegin();
    for (float value : values)
      json.rawValue(formatFloat(value));
    json.arrayEnd();
    json.attributeEnd();
  }
  void writeInput(const fb::InputT &input);
  void writeLayer(const fb::LayerT &layer);
  void writeInitializerArgs(
      const std::vector<std::unique_ptr<fb::InitializerArgsT>> &list);
  void writeTraining(const fb::TrainingT &training);
  void writeSchedule(const fb::LearningRateScheduleT &schedule);
  void writeWeight(const fb::WeightT &weight);

  json::OStream json;
};
} // namespace

void ModelJsonWriter::writeInput(const fb::InputT &input) {
  json.object([&] {
    json.attribute("name", input.name);
    json.attributeArray("shape", [&] {
      for (int64_t extent : input.shape)
        json.value(extent);
    });
    json.attribute("dtype", fb::EnumNameDType(input.dtype));
  });
}

void ModelJsonWriter::writeLayer(const fb::LayerT &layer) {
  StringRef kind = layer.class_name;
  bool dense = kind == "Dense";
  bool rescaling = kind == "Rescaling";
  json.object([&] {
    json.attribute("name", layer.name);
    json.attribute("class_name", layer.class_name);
    if (!layer.inbound.empty())
      writeStrings("inbound", layer.inbound);
    if (!layer.shares.empty())
      json.attribute("shares", layer.shares);
    if (kind == "Concatenate" || layer.axis != -1)
      json.attribute("axis", layer.axis);
    if (!layer.wrapped_class.empty())
      json.attribute("wrapped_class", layer.wrapped_class);
    if (!layer.merge_mode.empty())
      json.attribute("merge_mode", layer.merge_mode);
    if (dense || layer.units != 0)
      json.attribute("units", layer.units);
    if (!layer.activation.empty())
      json.attribute("activation", layer.activation);
    if (dense || !layer.use_bias)
      json.attribute("use_bias", layer.use_bias);
    if (!layer.kernel_initializer.empty())
      json.attribute("kernel_initializer", layer.kernel_initializer);
    if (!layer.bias_initializer.empty())
      json.attribute("bias_initializer", layer.bias_initializer);
    if (rescaling || layer.scale != 1.0f)
      writeFloat("scale", layer.scale);
    if (rescaling || layer.offset != 0.0f)
      writeFloat("offset", layer.offset);
    if (layer.filters != 0)
      json.attribute("filters", layer.filters);
    writeLongs("kernel_size", layer.kernel_size);
    writeLongs("pool_size", layer.pool_size);
    writeLongs("strides", layer.strides);
    if (!layer.padding.empty())
      json.attribute("padding", layer.padding);
    writeLongs("dilation_rate", layer.dilation_rate);
    if (kind == "Dropout" || layer.rate != 0.0f)
      writeFloat("rate", layer.rate);
    writeLongs("target_shape", layer.target_shape);
    writeLongs("margins", layer.margins);
    if (layer.kernel_l1 != 0.0f)
      writeFloat("kernel_l1", layer.kernel_l1);
    if (layer.kernel_l2 != 0.0f)
      writeFloat("kernel_l2", layer.kernel_l2);
    if (layer.bias_l1 != 0.0f)
      writeFloat("bias_l1", layer.bias_l1);
    if (layer.bias_l2 != 0.0f)
      writeFloat("bias_l2", layer.bias_l2);
    if (layer.activity_l1 != 0.0f)
      writeFloat("activity_l1", layer.activity_l1);
    if (layer.activity_l2 != 0.0f)
      writeFloat("activity_l2", layer.activity_l2);
    if (layer.dropout != 0.0f)
      writeFloat("dropout", layer.dropout);
    if (layer.recurrent_dropout != 0.0f)
      writeFloat("recurrent_dropout", layer.recurrent_dropout);
    writeLongs("axes", layer.axes);
    if (layer.implementation != 2)
      json.attribute("implementation", int64_t(layer.implementation));
    writeOptionalFloat("max_value", layer.max_value);
    writeOptionalFloat("negative_slope", layer.negative_slope);
    if (layer.threshold != 0.0f)
      writeFloat("threshold", layer.threshold);
    writeOptionalFloat("alpha", layer.alpha);
    writeLongs("dims", layer.dims);
    writeLongs("size", layer.size);
    if (!layer.interpolation.empty())
      json.attribute("interpolation", layer.interpolation);
    if (layer.input_dim != 0)
      json.attribute("input_dim", layer.input_dim);
    if (layer.output_dim != 0)
      json.attribute("output_dim", layer.output_dim);
    if (!layer.embeddings_initializer.empty())
      json.attribute("embeddings_initializer", layer.embeddings_initializer);
    // Recurrent layers: the options that differ from the schema's defaults.
    if (!layer.recurrent_activation.empty())
      json.attribute("recurrent_activation", layer.recurrent_activation);
    if (!layer.recurrent_initializer.empty())
      json.attribute("recurrent_initializer", layer.recurrent_initializer);
    if (layer.return_sequences)
      json.attribute("return_sequences", true);
    if (layer.go_backwards)
      json.attribute("go_backwards", true);
    if (!layer.unit_forget_bias)
      json.attribute("unit_forget_bias", false);
    if (!layer.reset_after)
      json.attribute("reset_after", false);
    if (kind == "LayerNormalization" || kind == "BatchNormalization") {
      json.attribute("axis", layer.axis);
      writeFloat("epsilon", layer.epsilon);
      json.attribute("use_gamma", layer.use_gamma);
      json.attribute("use_beta", layer.use_beta);
    }
    if (kind == "BatchNormalization")
      writeFloat("momentum", layer.momentum);
    if (!layer.gamma_initializer.empty())
      json.attribute("gamma_initializer", layer.gamma_initializer);
    if (!layer.beta_initializer.empty())
      json.attribute("beta_initializer", layer.beta_initializer);
    if (!layer.moving_mean_initializer.empty())
      json.attribute("moving_mean_initializer", layer.moving_mean_initializer);
    if (!layer.moving_variance_initializer.empty())
      json.attribute("moving_variance_initializer",
                     layer.moving_variance_initializer);
    writeLongs("output_padding", layer.output_padding);
    if (kind == "DepthwiseConv2D" || kind == "SeparableConv2D")
      json.attribute("depth_multiplier", layer.depth_multiplier);
    if (!layer.depthwise_initializer.empty())
      json.attribute("depthwise_initializer", layer.depthwise_initializer);
    if (!layer.pointwise_initializer.empty())
      json.attribute("pointwise_initializer", layer.pointwise_initializer);
    for (auto [name, factor] :
         {std::pair<StringRef, float>{"depthwise_l1", layer.depthwise_l1},
          {"depthwise_l2", layer.depthwise_l2},
          {"pointwise_l1", layer.pointwise_l1},
          {"pointwise_l2", layer.pointwise_l2}})
      if (factor != 0.0f)
        writeFloat(name, factor);
    if (!layer.initializer_args.empty())
      writeInitializerArgs(layer.initializer_args);
    if (!layer.trainable)
      json.attribute("trainable", false);
    // Resizing and the image augmentation layers.
    if (layer.height != 0)
      json.attribute("height", layer.height);
    if (layer.width != 0)
      json.attribute("width", layer.width);
    if (layer.crop_to_aspect_ratio)
      json.attribute("crop_to_aspect_ratio", true);
    if (!layer.mode.empty())
      json.attribute("mode", layer.mode);
    writeFloats("factor", layer.factor);
    writeFloats("height_factor", layer.height_factor);
    writeFloats("width_factor", layer.width_factor);
    if (!layer.fill_mode.empty())
      json.attribute("fill_mode", layer.fill_mode);
    if (layer.fill_value != 0.0f)
      writeFloat("fill_value", layer.fill_value);
    if (layer.time_distributed)
      json.attribute("time_distributed", true);
    if (kind == "Masking" || layer.mask_value != 0.0f)
      writeFloat("mask_value", layer.mask_value);
    if (layer.mask_zero)
      json.attribute("mask_zero", true);
    if (layer.zero_output_for_mask)
      json.attribute("zero_output_for_mask", true);
  });
}

void ModelJsonWriter::writeInitializerArgs(
    const std::vector<std::unique_ptr<fb::InitializerArgsT>> &list) {
  json.attributeArray("initializer_args", [&] {
    for (const std::unique_ptr<fb::InitializerArgsT> &args : list) {
      if (!args)
        continue;
      json.object([&] {
        json.attribute("option", args->option);
        writeOptionalFloat("scale", args->scale);
        if (!args->mode.empty())
          json.attribute("mode", args->mode);
        if (!args->distribution.empty())
          json.attribute("distribution", args->distribution);
        writeOptionalFloat("minval", args->minval);
        writeOptionalFloat("maxval", args->maxval);
        writeOptionalFloat("mean", args->mean);
        writeOptionalFloat("stddev", args->stddev);
        writeOptionalFloat("value", args->value);
        writeOptionalFloat("gain", args->gain);
      });
    }
  });
}

void ModelJsonWriter::writeSchedule(const fb::LearningRateScheduleT &schedule) {
  json.attributeObject("learning_rate_schedule", [&] {
    json.attribute("class_name", schedule.class_name);
    writeOptionalFloat("initial_learning_rate", schedule.initial_learning_rate);
    if (schedule.decay_steps)
      json.attribute("decay_steps", schedule.decay_steps);
    writeOptionalFloat("decay_rate", schedule.decay_rate);
    if (schedule.staircase)
      json.attribute("staircase", true);
    if (!schedule.boundaries.empty())
      json.attributeArray("boundaries", [&] {
        for (int64_t boundary : schedule.boundaries)
          json.value(boundary);
      });
    if (!schedule.values.empty())
      json.attributeArray("values", [&] {
        for (float value : schedule.values)
          json.rawValue(formatFloat(value));
      });
    if (schedule.alpha != 0.0f)
      writeFloat("alpha", schedule.alpha);
    writeOptionalFloat("warmup_target", schedule.warmup_target);
    if (schedule.warmup_steps)
      json.attribute("warmup_steps", schedule.warmup_steps);
  });
}

void ModelJsonWriter::writeTraining(const fb::TrainingT &training) {
  json.attributeObject("training", [&] {
    if (const fb::OptimizerT *optimizer = training.optimizer.get()) {
      json.attributeObject("optimizer", [&] {
        if (!optimizer->name.empty())
          json.attribute("name", optimizer->name);
        writeOptionalFloat("learning_rate", optimizer->learning_rate);
        writeOptionalFloat("beta_1", optimizer->beta_1);
        writeOptionalFloat("beta_2", optimizer->beta_2);
        writeOptionalFloat("epsilon", optimizer->epsilon);
        writeOptionalFloat("momentum", optimizer->momentum);
        if (optimizer->nesterov)
          json.attribute("nesterov", true);
        if (optimizer->amsgrad)
          json.attribute("amsgrad", true);
        writeOptionalFloat("rho", optimizer->rho);
        if (optimizer->centered)
          json.attribute("centered", true);
        writeOptionalFloat("initial_accumulator_value",
                           optimizer->initial_accumulator_value);
        writeOptionalFloat("weight_decay", optimizer->weight_decay);
        writeOptionalFloat("clipnorm", optimizer->clipnorm);
        writeOptionalFloat("clipvalue", optimizer->clipvalue);
        writeOptionalFloat("global_clipnorm", optimizer->global_clipnorm);
        if (const fb::LearningRateScheduleT *schedule =
                optimizer->learning_rate_schedule.get())
          writeSchedule(*schedule);
      });
    }
    if (!training.loss.empty())
      json.attribute("loss", training.loss);
    if (training.from_logits)
      json.attribute("from_logits", true);
    writeStrings("metrics", training.metrics);
    json.attribute("epochs", training.epochs);
    json.attribute("batch_size", training.batch_size);
    // Written only where they change the arithmetic, as the options above.
    auto usesLoss = [&](StringRef loss) {
      return training.loss == loss ||
             llvm::any_of(training.outputs, [&](const auto &entry) {
               return entry && entry->loss == loss;
             });
    };
    auto usesMetric = [&](StringRef metric) {
      return llvm::is_contained(training.metrics, metric) ||
             llvm::any_of(training.outputs, [&](const auto &entry) {
               return entry && llvm::is_contained(entry->metrics, metric);
             });
    };
    if (usesLoss("huber"))
      json.attribute("huber_delta", training.huber_delta);
    if (usesMetric("sparse_top_k_categorical_accuracy"))
      json.attribute("top_k", training.top_k);
    if (training.outputs.empty())
      return;
    json.attributeArray("outputs", [&] {
      for (const auto &entry : training.outputs) {
        if (!entry)
          continue;
        json.object([&] {
          json.attribute("output", entry->output);
          if (!entry->loss.empty())
            json.attribute("loss", entry->loss);
          if (entry->from_logits)
            json.attribute("from_logits", true);
          json.attribute("weight", entry->weight);
          writeStrings("metrics", entry->metrics);
        });
      }
    });
  });
}

void ModelJsonWriter::write(const fb::ModelT &model) {
  json.object([&] {
    json.attribute("name", model.name);
    json.attributeArray("inputs", [&] {
      for (const auto &input : model.inputs)
        if (input)
          writeInput(*input);
    });
    json.attributeArray("layers", [&] {
      for (const auto &layer : model.layers)
        if (layer)
          writeLayer(*layer);
    });
    if (!model.outputs.empty())
      writeStrings("outputs", model.outputs);
    if (model.training)
      writeTraining(*model.training);
    if (!model.weights.empty())
      json.attributeArray("weights", [&] {
        for (const auto &weight : model.weights)
          if (weight)
            writeWeight(*weight);
      });
  });
}

void ModelJsonWriter::writeWeight(const fb::WeightT &weight) {
  json.object([&] {
    json.attribute("name", weight.name);
    json.attributeArray("shape", [&] {
      for (int64_t extent : weight.shape)
        json.value(extent);
    });
    // One line for the elements, however many: a weight is data, not
    // something to read line by line.
    std::string text = "[";
    for (size_t i = 0; i < weight.data.size(); ++i) {
      if (i)
        text += ", ";
      text += formatFloat(weight.data[i]);
    }
    text += "]";
    json.attributeBegin("data");
    json.rawValue(text);
    json.attributeEnd();
  });
}

Error kiln::writeModelJson(const fb::ModelT &model, raw_ostream &os) {
  if (model.gan)
    return createStringError(inconvertibleErrorCode(),
                             "a GAN is written as a binary .kmodel "
                             "(--emit=kmodel), not as schema JSON");
  // JSON has no spelling for NaN and the infinities.
  for (size_t w = 0; w < model.weights.size(); ++w)
    if (const fb::WeightT *weight = model.weights[w].get())
      for (size_t i = 0; i < weight->data.size(); ++i)
        if (!std::isfinite(weight->data[i]))
          return createStringError(
              inconvertibleErrorCode(),
              "weights[" + Twine(w) + "] (" + weight->name + "): element " +
                  Twine(i) +
                  " is not finite, which JSON cannot represent; use "
                  "--emit=kmodel");
  ModelJsonWriter(os).write(model);
  os << "\n";
  return Error::success();
}
