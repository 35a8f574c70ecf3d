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
  void writeInput(const fb::InputT &input);
  void writeLayer(const fb::LayerT &layer);
  void writeTraining(const fb::TrainingT &training);

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
      });
    }
    if (!training.loss.empty())
      json.attribute("loss", training.loss);
    if (training.from_logits)
      json.attribute("from_logits", true);
    writeStrings("metrics", training.metrics);
    json.attribute("epochs", training.epochs);
    json.attribute("batch_size", training.batch_size);
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
    if (model.training)
      writeTraining(*model.training);
  });
}

Error kiln::writeModelJson(const fb::ModelT &model, raw_ostream &os) {
  ModelJsonWriter(os).write(model);
  os << "\n";
  return Error::success();
}
