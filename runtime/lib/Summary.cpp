//===- Summary.cpp - `model summary` --------------------------------------===//

#include "kiln/runtime/Summary.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/MappedFile.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Optimizer.h"

#include <algorithm>

#include <cstring>
#include <vector>

namespace kiln {
namespace runtime {

std::string formatWithCommas(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

/// One table row: fields start at columns 1, 29, 55 and (graphs) 67, as
/// Keras places them, each cut so that at least one blank separates it
/// from the next and long names cannot shift the table.
static std::string formatRow(const std::vector<std::string> &fields) {
  const size_t starts[] = {29, 55, 67};
  std::string line = " " + fields[0];
  for (size_t i = 1; i < fields.size(); ++i) {
    if (line.size() > starts[i - 1] - 1)
      line.resize(starts[i - 1] - 1);
    line.append(starts[i - 1] - line.size(), ' ');
    line += fields[i];
  }
  // An empty last field (a layer connected to nothing listed) leaves no
  // trailing blanks.
  line.erase(line.find_last_not_of(' ') + 1);
  return line + "\n";
}

/// Whether some layer reads something other than the layer listed before
/// it (the model input, for the first): then the table shows what each
/// layer is connected to, as Keras does for functional models.
static bool isGraph(const KilnModelDesc &desc) {
  if (desc.num_inputs > 1 || desc.num_outputs > 1)
    return true;
  for (int32_t i = 0; i < desc.num_layers; ++i) {
    const char *previous = i ? desc.layers[i - 1].name : desc.inputs[0].name;
    const char *inbound = desc.layers[i].inbound;
    if (!inbound || !previous || std::strcmp(inbound, previous) != 0)
      return true;
  }
  return false;
}

/// "name (None, 28, 28), ..." for the model's inputs, or with each one's
/// loss (and its weight unless 1) for the outputs.
static std::string describeTensors(const ModelInfo &model, bool inputs) {
  std::string text;
  int32_t count = inputs ? model.numInputs() : model.numOutputs();
  for (int32_t k = 0; k < count; ++k) {
    std::vector<int64_t> shape = {-1};
    if (inputs) {
      const InputSpec &input = model.input(k);
      shape.insert(shape.end(), input.shape, input.shape + input.rank);
      text += (k ? ", " : "") + input.name + " " +
              formatShape(int32_t(shape.size()), shape.data());
      continue;
    }
    const OutputSpec &output = model.output(k);
    shape.insert(shape.end(), output.shape, output.shape + output.rank);
    float weight = model.desc().outputs[k].loss_weight;
    text += (k ? ", " : "") + output.name + " " +
            formatShape(int32_t(shape.size()), shape.data()) + ": " +
            output.loss +
            (weight != 1.0f ? formatString(" x %g", double(weight)) : "");
  }
  return text;
}

RunSettings defaultRunSettings(const ModelInfo &model) {
  const KilnModelDesc &desc = model.desc();
  RunSettings run;
  run.batchSize = desc.batch_size;
  run.optimizerKind = desc.optimizer.kind;
  run.learningRate = desc.optimizer.learning_rate;
  run.optimizerSlots =
      Optimizer(desc.optimizer, std::vector<int64_t>(), {}).slotsPerParam();
  return run;
}

std::string formatSummary(const ModelInfo &model) {
  return formatSummary(model, defaultRunSettings(model));
}

std::string formatSummary(const ModelInfo &model, const RunSettings &run) {
  const KilnModelDesc &desc = model.desc();
  std::string text =
      formatString("Model: \"%s\"\n", desc.name ? desc.name : "model");
  const bool graph = isGraph(desc);
  const std::string rule(graph ? 98 : 65, '_');
  const std::string doubleRule(graph ? 98 : 65, '=');
  text += rule + "\n";
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (graph)
    header.push_back("Connected to");
  text += formatRow(header);
  text += doubleRule + "\n";
  for (int32_t i = 0; i < desc.num_layers; ++i) {
    const KilnLayerDesc &layer = desc.layers[i];
    if (i)
      text += "\n";
    std::vector<std::string> row = {
        formatString("%s (%s)", layer.name ? layer.name : "",
                     layer.class_name ? layer.class_name : ""),
        formatShape(layer.output_rank, layer.output_shape),
        std::to_string(layer.param_count)};
    if (graph)
      row.push_back(layer.inbound ? layer.inbound : "");
    text += formatRow(row);
  }
  text += doubleRule + "\n";

  const int64_t params = model.totalParamElements();
  int64_t frozen = 0;
  for (int32_t i = 0; i < model.numParams(); ++i)
    if (desc.params[i].frozen)
      frozen += model.paramElements(i);
  text += "Total params: " + formatWithCommas(params) + "\n";
  text += "Trainable params: " + formatWithCommas(params - frozen) + "\n";
  text += "Non-trainable params: " + formatWithCommas(frozen) + "\n";
  text += rule + "\n";

  // Everything is float32 or int32: four bytes per element.
  const int64_t paramBytes = 4 * params;
  const int64_t slotBytes = run.optimizerSlots * paramBytes;
  const int64_t batch = run.batchSize;
  // Inputs and labels twice: the next batch is gathered while one trains
  // (Prefetch.h).
  int64_t sampleElements = 0;
  for (int32_t k = 0; k < model.numInputs(); ++k)
    sampleElements += 2 * model.input(k).elements;
  for (int32_t k = 0; k < model.numOutputs(); ++k)
    sampleElements +=
        2 * model.output(k).targetElements + model.output(k).elements;
  const int64_t batchBytes = 4 * batch * sampleElements;
  if (model.numInputs() > 1 || model.numOutputs() > 1) {
    text += "Inputs: " + describeTensors(model, /*inputs=*/true) + "\n";
    text += "Outputs: " + describeTensors(model, /*inputs=*/false) + "\n";
    text += formatString("Optimizer: %s (learning rate %g)\n",
                         optimizerName(run.optimizerKind),
                         double(run.learningRate));
  } else {
    text += formatString("Optimizer: %s (learning rate %g), loss: %s\n",
                         optimizerName(run.optimizerKind),
                         double(run.learningRate),
                         desc.loss_name ? desc.loss_name : "?");
  }
  if (desc.train_flops_per_sample > 0)
    text += formatString(
        "Training step: %s FLOPs per sample (matmuls and convolutions, "
        "forward and backward), %lld thread%s\n",
        formatWithCommas(desc.train_flops_per_sample).c_str(),
        static_cast<long long>(run.threads), run.threads == 1 ? "" : "s");
  else
    text += formatString("Training step: %lld thread%s\n",
                         static_cast<long long>(run.threads),
                         run.threads == 1 ? "" : "s");
  text += "Memory:\n";
  text += "  parameters:      " + formatWithCommas(paramBytes) + " bytes\n";
  // Each thread's shard writes gradients of its own (ShardedStep).
  text += formatString("  gradients:       %s bytes%s\n",
                       formatWithCommas(paramBytes * run.threads).c_str(),
                       run.threads > 1
                           ? formatString(" (x %lld threads)",
                                          static_cast<long long>(run.threads))
                                 .c_str()
                           : "");
  text += formatString("  optimizer state: %s bytes (%d slot%s per "
                       "parameter)\n",
                       formatWithCommas(slotBytes).c_str(), run.optimizerSlots,
                       run.optimizerSlots == 1 ? "" : "s");
  text += formatString("  batch buffers:   %s bytes (batch size %lld: "
                       "2 x inputs and labels, outputs)\n",
                       formatWithCommas(batchBytes).c_str(),
                       static_cast<long long>(batch));
  // Planned at compile time: the step's intermediates, per thread.
  const int64_t workspaceBytes =
      (desc.workspace_bytes_per_sample * batch + desc.workspace_bytes_fixed) *
      run.threads;
  text += formatString(
      "  step workspace:  %s bytes (compiled plan: %s bytes per sample + "
      "%s%s)\n",
      formatWithCommas(workspaceBytes).c_str(),
      formatWithCommas(desc.workspace_bytes_per_sample).c_str(),
      formatWithCommas(desc.workspace_bytes_fixed).c_str(),
      run.threads > 1 ? formatString(", x %lld threads",
                                     static_cast<long long>(run.threads))
                            .c_str()
                      : "");
  int64_t total =
      paramBytes * (1 + run.threads) + slotBytes + batchBytes + workspaceBytes;
  for (const DataMemory &data : run.data) {
    // A streamed set keeps at most the release window of its mapping
    // resident (MappedFile::kReleaseBytes), on top of labels and targets.
    int64_t window = std::min<int64_t>(
        data.mappedBytes, static_cast<int64_t>(MappedFile::kReleaseBytes));
    int64_t resident = data.residentBytes + window;
    std::string detail =
        data.mappedBytes > 0
            ? formatString("streamed: %s bytes mapped, at most %s resident",
                           formatWithCommas(data.mappedBytes).c_str(),
                           formatWithCommas(window).c_str())
            : std::string("in memory");
    text += formatString(
        "  %-16s %s bytes (%s samples, %s)\n", (data.name + " data:").c_str(),
        formatWithCommas(resident).c_str(),
        formatWithCommas(data.samples).c_str(), detail.c_str());
    total += resident;
  }
  text += "  total:           " + formatWithCommas(total) + " bytes\n";
  return text;
}

} // namespace runtime
} // namespace kiln
