//===- Driver.cpp - Entry point of a compiled model's executable ----------===//

#include "kiln/runtime/Driver.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/MetricsJson.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Progress.h"
#include "kiln/runtime/Summary.h"
#include "kiln/runtime/Trainer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln {
namespace runtime {

std::string findIdxFile(const std::string &directory,
                        const std::string &baseName) {
  std::string path = directory + "/" + baseName;
  struct stat info;
  if (::stat(path.c_str(), &info) == 0)
    return path;
  if (::stat((path + ".gz").c_str(), &info) == 0)
    return path + ".gz";
  fail("%s: no %s or %s.gz", directory.c_str(), baseName.c_str(),
       baseName.c_str());
}

namespace {

/// Where the image and label files of one data set are.
struct LabeledPaths {
  std::string images;
  std::string labels;
};

LabeledPaths trainPaths(const Options &options) {
  if (!options.dataDir.empty())
    return {findIdxFile(options.dataDir, "train-images-idx3-ubyte"),
            findIdxFile(options.dataDir, "train-labels-idx1-ubyte")};
  return {options.trainImages, options.trainLabels};
}

LabeledPaths testPaths(const Options &options) {
  if (!options.dataDir.empty())
    return {findIdxFile(options.dataDir, "t10k-images-idx3-ubyte"),
            findIdxFile(options.dataDir, "t10k-labels-idx1-ubyte")};
  return {options.testImages, options.testLabels};
}

Dataset loadChecked(const LabeledPaths &paths, int64_t maxSamples,
                    const ModelInfo &model) {
  Dataset data = loadLabeledIdx(paths.images, paths.labels, maxSamples);
  checkDatasetForModel(data, model, paths.images, paths.labels);
  return data;
}

/// Saves a checkpoint at the end of every epoch.
class CheckpointWriter : public TrainingObserver {
public:
  CheckpointWriter(const Trainer &trainer, std::string path)
      : trainer_(trainer), path_(std::move(path)) {}
  void epochEnd(const EpochResult &) override {
    saveCheckpoint(path_, trainer_);
  }

private:
  const Trainer &trainer_;
  std::string path_;
};

/// Prints `Test loss: ...` and one `Test <metric>: ...` line per metric, the
/// last line being the headline number (e.g. `Test accuracy: 0.8712`).
void printTestResult(const ModelInfo &model, const MetricValues &result) {
  std::printf("Test loss: %s\n", formatMetricValue(result.loss).c_str());
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    std::printf("Test %s: %s\n", model.metricName(i),
                formatMetricValue(result.metrics[i]).c_str());
  std::fflush(stdout);
}

/// The batch size to allocate for: the requested one, but no larger than
/// the largest data set, since a batch never holds more samples than that.
/// Batching is unchanged, so results are too, and an absurd --batch-size
/// cannot request absurd buffers.
int64_t effectiveBatchSize(const Options &options, const ModelInfo &model,
                           int64_t largestDataset) {
  int64_t requested = options.batchSize.value_or(model.desc().batch_size);
  return std::max<int64_t>(1, std::min(requested, largestDataset));
}

bool stdoutIsTerminal() { return ::isatty(fileno(stdout)) == 1; }

void runTrain(const ModelInfo &model, const Options &options) {
  const KilnModelDesc &desc = model.desc();
  Dataset train =
      loadChecked(trainPaths(options), options.maxTrainSamples, model);
  Dataset test;
  if (options.hasTestData())
    test = loadChecked(testPaths(options), options.maxTestSamples, model);

  // Like Keras, validate on the last fraction of the training set, taken
  // before any shuffling.
  DataView fitData(train);
  DataView validation;
  const bool hasValidation = options.validationSplit > 0;
  if (hasValidation) {
    int64_t splitAt = static_cast<int64_t>(
        std::floor(double(train.count) * (1.0 - options.validationSplit)));
    if (splitAt <= 0 || splitAt >= train.count)
      fail("--validation-split %g of %lld samples leaves no training or no "
           "validation samples",
           options.validationSplit, static_cast<long long>(train.count));
    validation = fitData.slice(splitAt, train.count - splitAt);
    fitData = fitData.slice(0, splitAt);
  }

  KilnOptimizerDesc optimizer = desc.optimizer;
  if (options.learningRate)
    optimizer.learning_rate = *options.learningRate;
  Trainer trainer(
      model, optimizer,
      effectiveBatchSize(options, model, std::max(train.count, test.count)));
  if (!options.resume.empty())
    loadCheckpoint(options.resume, trainer);
  else
    trainer.initialize(options.seed);

  std::vector<TrainingObserver *> observers;
  std::unique_ptr<ConsoleReporter> console;
  if (!options.quiet) {
    console =
        std::make_unique<ConsoleReporter>(model, stdout, stdoutIsTerminal());
    observers.push_back(console.get());
  }
  std::unique_ptr<MetricsJsonWriter> metrics;
  if (!options.metricsJson.empty()) {
    metrics = std::make_unique<MetricsJsonWriter>(model, options.metricsJson);
    observers.push_back(metrics.get());
  }
  std::unique_ptr<CheckpointWriter> checkpoints;
  if (!options.checkpoint.empty()) {
    // The first checkpoint is written only after an epoch: find out now,
    // not an epoch later, whether it can be.
    AtomicFile probe(options.checkpoint);
    checkpoints =
        std::make_unique<CheckpointWriter>(trainer, options.checkpoint);
    observers.push_back(checkpoints.get());
  }

  trainer.fit(fitData, hasValidation ? &validation : nullptr,
              options.epochs.value_or(desc.epochs), observers);

  if (test.count > 0) {
    MetricValues result = trainer.evaluate(DataView(test), console.get());
    printTestResult(model, result);
    if (metrics)
      metrics->writeTestRecord(result);
  }
  if (metrics)
    metrics->commit();
}

void runEvaluate(const ModelInfo &model, const Options &options) {
  Dataset test = loadChecked(testPaths(options), options.maxTestSamples, model);
  std::unique_ptr<MetricsJsonWriter> metrics;
  if (!options.metricsJson.empty())
    metrics = std::make_unique<MetricsJsonWriter>(model, options.metricsJson);
  Trainer trainer(model, model.desc().optimizer,
                  effectiveBatchSize(options, model, test.count));
  loadCheckpoint(options.checkpoint, trainer);

  std::unique_ptr<ConsoleReporter> console;
  if (!options.quiet)
    console =
        std::make_unique<ConsoleReporter>(model, stdout, stdoutIsTerminal());
  MetricValues result = trainer.evaluate(DataView(test), console.get());
  printTestResult(model, result);
  if (metrics) {
    metrics->writeTestRecord(result);
    metrics->commit();
  }
}

/// Appends the CSV line of one prediction: the index of the largest output
/// (the first on ties), then every output in shortest round-trip form.
void appendPredictionLine(std::string &out, const float *values,
                          int64_t count) {
  int64_t best = 0;
  for (int64_t i = 1; i < count; ++i)
    if (values[i] > values[best])
      best = i;
  out += std::to_string(best);
  char buffer[32];
  for (int64_t i = 0; i < count; ++i) {
    std::to_chars_result result =
        std::to_chars(buffer, buffer + sizeof(buffer), values[i]);
    out += ',';
    out.append(buffer, result.ptr);
  }
  out += '\n';
}

void runPredict(const ModelInfo &model, const Options &options) {
  IdxData input = readIdxFile(options.input, /*expectedRank=*/0);
  if (input.itemElements() != model.inputElements()) {
    const KilnModelDesc &desc = model.desc();
    fail("%s: items have %lld elements but the model input %s has %lld",
         options.input.c_str(), static_cast<long long>(input.itemElements()),
         formatShape(desc.input_rank, desc.input_shape).c_str(),
         static_cast<long long>(model.inputElements()));
  }
  Dataset samples;
  samples.count = input.itemsRead;
  samples.sampleElements = input.itemElements();
  samples.inputs = std::move(input.bytes);

  Trainer trainer(model, model.desc().optimizer,
                  effectiveBatchSize(options, model, samples.count));
  loadCheckpoint(options.checkpoint, trainer);

  std::unique_ptr<AtomicFile> file;
  if (!options.output.empty())
    file = std::make_unique<AtomicFile>(options.output);
  const int64_t outputs = model.outputElements();
  std::string text;
  trainer.predict(DataView(samples), [&](const float *values, int64_t n) {
    text.clear();
    for (int64_t i = 0; i < n; ++i)
      appendPredictionLine(text, values + i * outputs, outputs);
    if (file)
      file->write(text);
    else if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
      fail("standard output: write error");
  });
  if (file)
    file->commit();
  else if (std::fflush(stdout) != 0)
    fail("standard output: write error");
}

} // namespace

int runMain(const KilnModelDesc &desc, int argc, char **argv) {
  std::string program = argc > 0 && argv[0] ? argv[0] : "model";
  try {
    ModelInfo model(desc);
    Options options = parseCommandLine(argc, argv);
    if (options.help) {
      std::fputs(helpText(options.command, program).c_str(), stdout);
      return 0;
    }
    switch (options.command) {
    case Command::Summary:
      std::fputs(formatSummary(model).c_str(), stdout);
      break;
    case Command::Train:
      runTrain(model, options);
      break;
    case Command::Evaluate:
      runEvaluate(model, options);
      break;
    case Command::Predict:
      runPredict(model, options);
      break;
    case Command::None:
      break;
    }
    return 0;
  } catch (const Error &error) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", error.what());
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: out of memory\n");
  } catch (const std::exception &error) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", error.what());
  }
  return 1;
}

} // namespace runtime
} // namespace kiln
