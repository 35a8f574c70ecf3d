//===- NamedData.cpp - Data of models with named inputs and outputs -------===//

#include "kiln/runtime/NamedData.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Npy.h"

#include <cmath>
#include <cstring>

namespace kiln {
namespace runtime {

namespace {

/// The names of the model's inputs (or outputs), for messages.
template <typename Spec>
std::string listNames(int32_t count, const Spec &spec) {
  std::string names;
  for (int32_t k = 0; k < count; ++k)
    names += (k ? ", '" : "'") + spec(k).name + "'";
  return names;
}

/// Orders `files` by the model's inputs (or outputs): entry k names the
/// file of index k. Fails on unknown, repeated and missing names.
template <typename Find, typename Spec>
std::vector<std::string> orderByName(const std::vector<NamedFile> &files,
                                     int32_t count, Find find, Spec spec,
                                     const char *flag, const char *what) {
  std::vector<std::string> paths(static_cast<size_t>(count));
  for (const NamedFile &file : files) {
    int32_t k = find(file.name);
    if (k < 0)
      fail("%s %s=%s: the model has no %s '%s'; its %ss are %s", flag,
           file.name.c_str(), file.path.c_str(), what, file.name.c_str(), what,
           listNames(count, spec).c_str());
    if (!paths[k].empty())
      fail("%s %s: given twice", flag, file.name.c_str());
    paths[k] = file.path;
  }
  for (int32_t k = 0; k < count; ++k)
    if (paths[k].empty())
      fail("no data for the model %s '%s': give %s %s=FILE.npy", what,
           spec(k).name.c_str(), flag, spec(k).name.c_str());
  return paths;
}

/// Samples in `array` and elements per sample.
std::pair<int64_t, int64_t> sampleLayout(const NpyArray &array) {
  int64_t count = array.shape.empty() ? 0 : array.shape[0];
  int64_t elements = 1;
  for (size_t i = 1; i < array.shape.size(); ++i)
    elements *= array.shape[i];
  return {count, elements};
}

/// Checks that `array` at `path` holds (at least, with `truncated`) `count`
/// samples, like the first file `firstPath`.
void checkCount(const NpyArray &array, const std::string &path, int64_t count,
                bool truncated, const std::string &firstPath) {
  int64_t have = sampleLayout(array).first;
  if (truncated ? have < count : have != count)
    fail("%s holds %lld samples but %s holds %lld", path.c_str(),
         static_cast<long long>(have), firstPath.c_str(),
         static_cast<long long>(count));
}

uint32_t floatWord(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  return word;
}

/// Input k >= 1 of `count` samples as a Column of its model dtype.
Column inputColumn(const NpyArray &array, const std::string &path,
                   const InputSpec &input, int64_t count) {
  int64_t elements = sampleLayout(array).second;
  if (elements != input.elements)
    fail("%s: samples have %lld elements but the model input '%s' %s has "
         "%lld",
         path.c_str(), static_cast<long long>(elements), input.name.c_str(),
         formatShape(input.rank, input.shape).c_str(),
         static_cast<long long>(input.elements));
  Column column;
  column.elements = elements;
  column.words.resize(static_cast<size_t>(count * elements));
  for (int64_t i = 0, e = count * elements; i < e; ++i) {
    double value = array.at(i);
    column.words[i] = input.intValues
                          ? static_cast<uint32_t>(static_cast<int32_t>(value))
                          : floatWord(static_cast<float>(value));
  }
  return column;
}

/// The labels of output k >= 1: class indices or float targets.
Column labelColumn(const NpyArray &array, const std::string &path,
                   const OutputSpec &output, int64_t count) {
  Column column;
  column.elements = output.targetElements;
  column.words.resize(static_cast<size_t>(count * output.targetElements));
  int64_t elements = sampleLayout(array).second;
  if (output.floatTargets) {
    if (elements != output.targetElements)
      fail("%s: targets have %lld elements per sample but the model output "
           "'%s' %s has %lld",
           path.c_str(), static_cast<long long>(elements), output.name.c_str(),
           formatShape(output.rank, output.shape).c_str(),
           static_cast<long long>(output.targetElements));
    for (int64_t i = 0, e = count * elements; i < e; ++i) {
      float value = static_cast<float>(array.at(i));
      if (!std::isfinite(value))
        fail("%s: target element %lld is not finite", path.c_str(),
             static_cast<long long>(i));
      column.words[i] = floatWord(value);
    }
    return column;
  }
  if (elements != 1 || array.shape.size() > 2)
    fail("%s: expected class labels of shape (N,) or (N, 1) for the model "
         "output '%s'",
         path.c_str(), output.name.c_str());
  for (int64_t i = 0; i < count; ++i) {
    double label = array.at(i);
    if (!(label >= 0 && label == std::floor(label) &&
          label < double(output.elements)))
      fail("%s: label %lld is %g, expected a class index below %lld (the "
           "model output '%s')",
           path.c_str(), static_cast<long long>(i), label,
           static_cast<long long>(output.elements), output.name.c_str());
    column.words[i] = static_cast<uint32_t>(static_cast<int32_t>(label));
  }
  return column;
}

} // namespace

Dataset loadNamedData(const ModelInfo &model, const NamedSources &sources,
                      bool labeled, int64_t maxSamples, bool stream) {
  std::vector<std::string> inputs = orderByName(
      sources.inputs, model.numInputs(),
      [&](const std::string &name) { return model.findInput(name); },
      [&](int32_t k) -> const InputSpec & { return model.input(k); },
      sources.inputFlag, "input");
  std::vector<std::string> targets;
  if (labeled)
    targets = orderByName(
        sources.targets, model.numOutputs(),
        [&](const std::string &name) { return model.findOutput(name); },
        [&](int32_t k) -> const OutputSpec & { return model.output(k); },
        sources.targetFlag, "output");
  else if (!sources.targets.empty())
    fail("%s: predict takes no targets", sources.targetFlag);

  Dataset data;
  if (labeled) {
    const OutputSpec &first = model.output(0);
    data =
        loadNpyDataset(inputs[0], targets[0], maxSamples,
                       first.floatTargets ? first.targetElements : 0, stream);
    checkDatasetForModel(data, model, inputs[0], targets[0]);
  } else {
    data = loadNpyInputs(inputs[0]);
    if (maxSamples >= 0 && maxSamples < data.count)
      data.count = maxSamples;
    if (data.sampleElements != model.inputElements())
      fail("%s: samples have %lld elements but the model input '%s' has %lld",
           inputs[0].c_str(), static_cast<long long>(data.sampleElements),
           model.input(0).name.c_str(),
           static_cast<long long>(model.inputElements()));
  }
  // The other files must hold as many samples as the first (at least as
  // many when only the first `maxSamples` are used).
  bool truncated = maxSamples >= 0;
  for (int32_t k = 1; k < model.numInputs(); ++k) {
    NpyArray array = readNpy(inputs[k]);
    checkCount(array, inputs[k], data.count, truncated, inputs[0]);
    data.moreInputs.push_back(
        inputColumn(array, inputs[k], model.input(k), data.count));
  }
  for (int32_t k = 1; labeled && k < model.numOutputs(); ++k) {
    NpyArray array = readNpy(targets[k]);
    checkCount(array, targets[k], data.count, truncated, inputs[0]);
    data.moreLabels.push_back(
        labelColumn(array, targets[k], model.output(k), data.count));
  }
  return data;
}

} // namespace runtime
} // namespace kiln
