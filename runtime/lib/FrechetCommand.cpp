//===- FrechetCommand.cpp - The frechet command of a model ----------------===//
//
// `./model frechet --input A --reference B`: both sets are predicted, the
// values of one model output are taken as each sample's feature vector,
// and the Fréchet distance between the Gaussians fitted to the two sets
// (Frechet.h) is printed as `frechet_distance: D` (docs/cli.md).
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Driver.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Frechet.h"
#include "kiln/runtime/MetricsJson.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace kiln {
namespace runtime {

namespace {

/// Above this many features the covariances (n² doubles each, several of
/// them) and the O(n³) square roots stop being a quick measurement.
constexpr int64_t kMaxFeatures = 4096;

/// The index of the output named by --output, or 0 without it.
int32_t featureOutput(const ModelInfo &model, const std::string &name) {
  if (name.empty())
    return 0;
  int32_t index = model.findOutput(name);
  if (index >= 0)
    return index;
  std::string names;
  for (int32_t k = 0; k < model.numOutputs(); ++k)
    names += (k ? ", " : "") + model.output(k).name;
  fail("--output: the model has no output '%s' (its outputs: %s)", name.c_str(),
       names.c_str());
}

/// One set's feature vectors: output `k` of every sample, predicted in
/// batches as `predict` would (the same batch size, so the same values).
std::vector<float> predictFeatures(const ModelInfo &model,
                                   const Options &options, const Dataset &data,
                                   int32_t k, float scale, float offset) {
  const int64_t batch = std::max<int64_t>(
      1, std::min(options.batchSize.value_or(model.desc().batch_size),
                  data.count));
  Trainer trainer(model, model.desc().optimizer, batch);
  trainer.setThreads(
      runThreads(model, options.threads, batch, /*training=*/false));
  trainer.batchBuffers().setNormalization(scale, offset);
  if (!options.checkpoint.empty())
    loadCheckpoint(options.checkpoint, trainer, /*withOptimizer=*/false);
  else if (model.hasInitialValues())
    trainer.initialize(options.seed);
  else
    fail("frechet needs --checkpoint FILE (the model was compiled without "
         "weights of its own)");

  const int64_t elements = model.output(k).elements;
  std::vector<float> features;
  features.reserve(static_cast<size_t>(data.count * elements));
  trainer.predict(DataView(data), [&](const float *const *values, int64_t n) {
    features.insert(features.end(), values[k], values[k] + n * elements);
  });
  return features;
}

/// Loads one set and fits its Gaussian; `path` names it in errors.
GaussianStatistics setStatistics(const ModelInfo &model, const Options &options,
                                 const std::string &path, int32_t k,
                                 float scale, float offset, int64_t &count) {
  Options forSet = options;
  forSet.input = path;
  Dataset data = loadPredictInputs(model, forSet);
  if (data.count < 2)
    fail("%s: the Frechet distance needs at least 2 samples, got %lld",
         path.c_str(), static_cast<long long>(data.count));
  std::vector<float> features =
      predictFeatures(model, options, data, k, scale, offset);
  const int64_t elements = model.output(k).elements;
  for (size_t i = 0; i < features.size(); ++i)
    if (!std::isfinite(features[i]))
      fail("%s: the output %s of sample %lld is not finite", path.c_str(),
           model.output(k).name.c_str(),
           static_cast<long long>(static_cast<int64_t>(i) / elements));
  count = data.count;
  return computeStatistics(features.data(), data.count, elements);
}

} // namespace

std::string frechetReferencePath(const Options &options) {
  if (!options.reference.empty())
    return options.reference;
  if (!options.testImages.empty())
    return options.testImages;
  return findIdxFile(options.dataDir, "t10k-images-idx3-ubyte");
}

void runFrechet(const ModelInfo &model, const Options &options) {
  if (model.numInputs() != 1)
    fail("frechet needs a model with one input; this one has %d",
         model.numInputs());
  const int32_t k = featureOutput(model, options.output);
  const OutputSpec &output = model.output(k);
  if (output.elements > kMaxFeatures)
    fail("the output %s has %lld elements: the Frechet distance takes at "
         "most %lld features (name a smaller output with --output NAME)",
         output.name.c_str(), static_cast<long long>(output.elements),
         static_cast<long long>(kMaxFeatures));
  // Fail before the predictions, not after, when the file cannot be written.
  std::unique_ptr<AtomicFile> metrics;
  if (!options.metricsJson.empty())
    metrics = std::make_unique<AtomicFile>(options.metricsJson);

  int64_t count = 0, referenceCount = 0;
  GaussianStatistics samples =
      setStatistics(model, options, options.input, k, options.normalizeScale,
                    options.normalizeOffset, count);
  GaussianStatistics reference = setStatistics(
      model, options, frechetReferencePath(options), k, options.referenceScale,
      options.referenceOffset, referenceCount);
  const double distance = frechetDistance(samples, reference);

  if (!options.quiet)
    std::printf("samples: %lld, reference samples: %lld, features: %lld "
                "(output %s)\n",
                static_cast<long long>(count),
                static_cast<long long>(referenceCount),
                static_cast<long long>(output.elements), output.name.c_str());
  std::printf("frechet_distance: %s\n", formatJsonNumber(distance).c_str());
  std::fflush(stdout);
  if (metrics) {
    metrics->write(formatString(
        "{\"frechet_distance\":%s,\"samples\":%lld,\"reference_samples\":%lld,"
        "\"features\":%lld}\n",
        formatJsonNumber(distance).c_str(), static_cast<long long>(count),
        static_cast<long long>(referenceCount),
        static_cast<long long>(output.elements)));
    metrics->commit();
  }
}

} // namespace runtime
} // namespace kiln
