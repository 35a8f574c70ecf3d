//===- Driver.cpp - Entry point of a compiled model's executable ----------===//

#include "kiln/runtime/Driver.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Callbacks.h"
#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Csv.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Distributed.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/GanDriver.h"
#include "kiln/runtime/KModel.h"
#include "kiln/runtime/MetricsJson.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/NamedData.h"
#include "kiln/runtime/Npy.h"
#include "kiln/runtime/Npz.h"
#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Plot.h"
#include "kiln/runtime/PredictImage.h"
#include "kiln/runtime/Progress.h"
#include "kiln/runtime/Schedule.h"
#include "kiln/runtime/StreamPolicy.h"
#include "kiln/runtime/Summary.h"
#include "kiln/runtime/TargetFromInput.h"
#include "kiln/runtime/Trainer.h"
#include "kiln/runtime/WorkerPool.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
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

/// The processes of this run (Distributed.h), set by runMain: one, or the
/// ranks of an mpirun job.
Communicator *processGroup = nullptr;

Communicator &group() { return *processGroup; }

/// Whether this process writes the run's output: alone, or rank 0 of the
/// ranks (progress, metrics, checkpoints, plots, predictions).
bool isLead() { return group().rank() == 0; }

/// loadCheckpoint; for a trainer of several ranks the file is read by rank
/// 0 only and sent to the others, so that it need not be on every node.
void loadSharedCheckpoint(const std::string &path, Trainer &trainer,
                          bool withOptimizer,
                          const CheckpointExtras &callbacks = {}) {
  if (trainer.ranks() == 1) {
    loadCheckpoint(path, trainer, withOptimizer, callbacks);
    return;
  }
  std::vector<uint8_t> bytes;
  if (isLead())
    bytes = readCheckpointFile(path);
  group().broadcast(bytes);
  decodeCheckpoint(bytes, path, trainer, withOptimizer, callbacks);
}

/// --threads, or its default for a batch of `batchSize` (runThreads).
int threadCount(const ModelInfo &model, const Options &options,
                int64_t batchSize, bool training) {
  return runThreads(model, options.threads, batchSize, training);
}

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
                    const ModelInfo &model, bool stream) {
  Dataset data =
      loadLabeledIdx(paths.images, paths.labels, maxSamples, stream);
  checkDatasetForModel(data, model, paths.images, paths.labels);
  return data;
}

/// One data set named on the command line in any of the four forms.
struct DataSource {
  LabeledPaths idx;
  std::string csv;
  std::string npyX, npyY;
  /// --input/--target NAME=FILE (or --test-input/--test-target).
  const std::vector<NamedFile> *namedInputs = nullptr;
  const std::vector<NamedFile> *namedTargets = nullptr;
  const char *inputFlag = nullptr, *targetFlag = nullptr;
};

/// The names of the model's inputs or outputs, for messages.
std::string describeNames(const ModelInfo &model, bool inputs) {
  std::string names;
  int32_t count = inputs ? model.numInputs() : model.numOutputs();
  for (int32_t k = 0; k < count; ++k)
    names +=
        (k ? ", " : "") + (inputs ? model.input(k).name : model.output(k).name);
  return names;
}

/// `--target input`: loads the inputs of a data set alone (labels, where
/// the format has them, are not needed and not kept) and checks them
/// against the model, which takes them as its targets too.
Dataset loadInputsAsTargets(const DataSource &source, int64_t maxSamples,
                            const Options &options, const ModelInfo &model) {
  checkTargetFromInput(model);
  const bool stream = options.stream.value_or(false);
  Dataset data;
  std::string name;
  if (source.namedInputs) {
    data = loadNamedData(model,
                         {*source.namedInputs, *source.namedTargets,
                          source.inputFlag, source.targetFlag},
                         /*labeled=*/false, maxSamples, stream);
    name = source.namedInputs->front().path;
  } else if (!source.csv.empty()) {
    // A label column is dropped when the file has one more column than the
    // model has inputs, as predict does.
    CsvOptions csv;
    csv.delimiter = options.delimiter;
    csv.header = options.csvHeader;
    csv.labelColumn = std::nullopt;
    csv.maxSamples = maxSamples;
    csv.stream = stream;
    data = loadCsv(source.csv, csv);
    if (data.sampleElements == model.inputElements() + 1) {
      csv.labelColumn = options.labelColumn;
      data = loadCsv(source.csv, csv);
    }
    name = source.csv;
  } else if (!source.npyX.empty()) {
    data = loadNpyInputs(source.npyX, stream, maxSamples);
    name = source.npyX;
  } else {
    IdxData images =
        readIdxFile(source.idx.images, /*expectedRank=*/0, maxSamples, stream);
    if (images.itemsRead == 0)
      fail("%s: contains no samples", source.idx.images.c_str());
    data.count = images.itemsRead;
    data.sampleElements = images.itemElements();
    data.inputs = std::move(images.bytes);
    data.mappedInputs = images.mapped;
    data.mapping = std::move(images.mapping);
    name = source.idx.images;
  }
  data.labels.clear();
  if (data.sampleElements != model.inputElements()) {
    const InputSpec &input = model.input(0);
    fail("%s: samples have %lld elements but the model input %s has %lld",
         name.c_str(), static_cast<long long>(data.sampleElements),
         formatShape(input.rank, input.shape).c_str(),
         static_cast<long long>(input.elements));
  }
  checkInputTargets(model, data, options.normalizeScale,
                    options.normalizeOffset, name);
  return data;
}

/// Loads and checks a data set from whichever format names it.
Dataset loadSource(const DataSource &source, int64_t maxSamples,
                   const Options &options, const ModelInfo &model) {
  if (options.targetFromInput)
    return loadInputsAsTargets(source, maxSamples, options, model);
  if (source.namedInputs)
    return loadNamedData(model,
                         {*source.namedInputs, *source.namedTargets,
                          source.inputFlag, source.targetFlag},
                         /*labeled=*/true, maxSamples,
                         options.stream.value_or(false));
  // The other forms hold one input and one set of labels.
  if (model.numInputs() > 1 || model.numOutputs() > 1)
    fail("the model has %d inputs and %d outputs: give the data of each as "
         "--input NAME=FILE.npy and --target NAME=FILE.npy (inputs %s; "
         "outputs %s)",
         model.numInputs(), model.numOutputs(),
         describeNames(model, /*inputs=*/true).c_str(),
         describeNames(model, /*inputs=*/false).c_str());
  if (!source.csv.empty()) {
    CsvOptions csv;
    csv.delimiter = options.delimiter;
    csv.labelColumn = options.labelColumn;
    csv.header = options.csvHeader;
    csv.maxSamples = maxSamples;
    csv.stream = options.stream.value_or(false);
    Dataset data = loadCsv(source.csv, csv);
    checkDatasetForModel(data, model, source.csv, source.csv);
    return data;
  }
  if (!source.npyX.empty()) {
    Dataset data =
        loadNpyDataset(source.npyX, source.npyY, maxSamples,
                       model.floatTargets() ? model.targetElements() : 0,
                       options.stream.value_or(false));
    checkDatasetForModel(data, model, source.npyX, source.npyY);
    return data;
  }
  return loadChecked(source.idx, maxSamples, model,
                     options.stream.value_or(false));
}

/// The input file of a data source, for the streaming decision.
/// Appends the input files of `source` to `files`.
void addInputFiles(const DataSource &source, std::vector<DataFile> &files) {
  if (source.namedInputs) {
    for (const NamedFile &file : *source.namedInputs)
      files.push_back({file.path, DataFormat::Npy});
  } else if (!source.csv.empty()) {
    files.push_back({source.csv, DataFormat::Csv});
  } else if (!source.npyX.empty()) {
    files.push_back({source.npyX, DataFormat::Npy});
  } else {
    files.push_back({source.idx.images, DataFormat::Idx});
  }
}

DataSource namedSource(const std::vector<NamedFile> &inputs,
                       const std::vector<NamedFile> &targets,
                       const char *inputFlag, const char *targetFlag) {
  DataSource source;
  source.namedInputs = &inputs;
  source.namedTargets = &targets;
  source.inputFlag = inputFlag;
  source.targetFlag = targetFlag;
  return source;
}

DataSource trainSource(const Options &options) {
  if (!options.namedInputs.empty())
    return namedSource(options.namedInputs, options.namedTargets, "--input",
                       "--target");
  if (!options.trainCsv.empty())
    return {{}, options.trainCsv, "", ""};
  if (!options.trainX.empty())
    return {{}, "", options.trainX, options.trainY};
  return {trainPaths(options), "", "", ""};
}

DataSource testSource(const Options &options) {
  if (!options.testInputs.empty())
    return namedSource(options.testInputs, options.testTargets, "--test-input",
                       "--test-target");
  // evaluate's data.
  if (!options.namedInputs.empty())
    return namedSource(options.namedInputs, options.namedTargets, "--input",
                       "--target");
  if (!options.testCsv.empty())
    return {{}, options.testCsv, "", ""};
  if (!options.testX.empty())
    return {{}, "", options.testX, options.testY};
  return {testPaths(options), "", "", ""};
}

DataSource validationSource(const Options &options) {
  if (!options.valCsv.empty())
    return {{}, options.valCsv, "", ""};
  if (!options.valX.empty())
    return {{}, "", options.valX, options.valY};
  return {{options.valImages, options.valLabels}, "", "", ""};
}

/// The model's optimizer with the command line's overrides applied. The
/// schedule's arrays point into `options`.
KilnOptimizerDesc optimizerConfig(const KilnModelDesc &desc,
                                  const Options &options) {
  const OptimizerFlags &flags = options.optimizer;
  KilnOptimizerDesc c = desc.optimizer;
  if (flags.kind && *flags.kind != c.kind)
    c = defaultOptimizerConfig(*flags.kind);
  auto set = [](auto &field, const auto &value) {
    if (value)
      field = *value;
  };
  set(c.learning_rate, options.learningRate);
  set(c.momentum, flags.momentum);
  set(c.beta_1, flags.beta1);
  set(c.beta_2, flags.beta2);
  set(c.epsilon, flags.epsilon);
  set(c.rho, flags.rho);
  set(c.initial_accumulator_value, flags.initialAccumulatorValue);
  set(c.weight_decay, flags.weightDecay);
  set(c.clipnorm, flags.clipnorm);
  set(c.clipvalue, flags.clipvalue);
  set(c.global_clipnorm, flags.globalClipnorm);
  if (flags.nesterov)
    c.nesterov = *flags.nesterov;
  if (flags.amsgrad)
    c.amsgrad = *flags.amsgrad;
  if (flags.centered)
    c.centered = *flags.centered;
  if (flags.clipnorm.value_or(0) > 0)
    c.global_clipnorm = 0;
  if (flags.globalClipnorm.value_or(0) > 0)
    c.clipnorm = 0;
  if (const std::optional<ScheduleFlags> &schedule = options.schedule) {
    c.schedule = schedule->kind;
    c.decay_steps = schedule->decaySteps;
    c.decay_rate = schedule->decayRate;
    c.staircase = schedule->staircase;
    c.alpha = schedule->alpha;
    c.has_warmup = schedule->warmupTarget.has_value();
    c.warmup_target = schedule->warmupTarget.value_or(0.0f);
    c.warmup_steps = schedule->warmupSteps;
    c.num_boundaries = static_cast<int32_t>(schedule->boundaries.size());
    c.boundaries = schedule->boundaries.data();
    c.values = schedule->values.data();
    if (schedule->kind == KILN_SCHEDULE_PIECEWISE_CONSTANT)
      c.learning_rate = schedule->values[0];
  }
  if (options.plateau && c.schedule != KILN_SCHEDULE_CONSTANT)
    fail("--reduce-lr-on-plateau needs a constant learning rate, but the "
         "model uses a %s schedule",
         scheduleName(c.schedule));
  checkOptimizerConfig(c);
  return c;
}

/// Loads the parameters of evaluate and predict: --checkpoint, or without
/// it the values the model was compiled with.
void loadParameters(const ModelInfo &model, const Options &options,
                    Trainer &trainer, const char *command) {
  if (!options.checkpoint.empty()) {
    loadSharedCheckpoint(options.checkpoint, trainer, /*withOptimizer=*/false);
    return;
  }
  if (!model.hasInitialValues())
    fail("%s needs --checkpoint FILE (the model was compiled without "
         "weights of its own)",
         command);
  trainer.initialize(options.seed);
}

/// The signal that interrupted training, 0 if none; set by the handler.
volatile int interruptSignal = 0;

extern "C" void onInterrupt(int signal) { interruptSignal = signal; }

/// Routes SIGINT and SIGTERM to `interruptSignal` while training runs.
/// With several ranks SIGTERM keeps its MPI handler: mpirun sends it to end
/// the job when a rank failed (the others may be blocked waiting for the
/// failed one; MpiCommunicator.cpp) and when it gets Ctrl-C itself. SIGUSR1,
/// which mpirun forwards to every rank, interrupts instead: the ranks agree
/// on the step and rank 0 writes the checkpoint.
class InterruptHandler {
public:
  InterruptHandler() : distributed_(group().size() > 1) {
    struct sigaction action = {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &oldInt_);
    ::sigaction(distributed_ ? SIGUSR1 : SIGTERM, &action, &oldOther_);
  }
  ~InterruptHandler() {
    ::sigaction(SIGINT, &oldInt_, nullptr);
    ::sigaction(distributed_ ? SIGUSR1 : SIGTERM, &oldOther_, nullptr);
  }

private:
  bool distributed_;
  struct sigaction oldInt_, oldOther_;
};

/// Checks that a callback's monitored quantity will exist.
void checkMonitor(const ModelInfo &model, const std::string &flag,
                  const std::string &monitor, bool hasValidation) {
  std::string name = monitor;
  if (name.compare(0, 4, "val_") == 0) {
    if (!hasValidation)
      fail("%s monitors '%s' but there is no validation data "
           "(--validation-split or validation files)",
           flag.c_str(), monitor.c_str());
    name = name.substr(4);
  }
  if (name == "loss")
    return;
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    if (name == model.metricName(i))
      return;
  fail("%s: the model reports no '%s'", flag.c_str(), monitor.c_str());
}

/// Saves a checkpoint at the end of every epoch.
class CheckpointWriter : public TrainingObserver {
public:
  CheckpointWriter(const Trainer &trainer, std::string path,
                   CheckpointExtras callbacks)
      : trainer_(trainer), path_(std::move(path)), callbacks_(callbacks) {}
  void epochEnd(const EpochResult &) override {
    saveCheckpoint(path_, trainer_, callbacks_);
  }

private:
  const Trainer &trainer_;
  std::string path_;
  CheckpointExtras callbacks_;
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
  KilnOptimizerDesc optimizer = optimizerConfig(desc, options);
  Dataset train =
      loadSource(trainSource(options), options.maxTrainSamples, options, model);
  Dataset test;
  if (options.hasTestData())
    test =
        loadSource(testSource(options), options.maxTestSamples, options, model);
  Dataset validationFiles;
  if (options.hasValidationData())
    validationFiles = loadSource(validationSource(options), -1, options, model);

  // Like Keras, validate on the last fraction of the training set, taken
  // before any shuffling, or on the validation files.
  DataView fitData(train);
  DataView validation;
  const bool hasValidation =
      options.validationSplit > 0 || options.hasValidationData();
  if (options.hasValidationData()) {
    validation = DataView(validationFiles);
  } else if (hasValidation) {
    int64_t splitAt = static_cast<int64_t>(
        std::floor(double(train.count) * (1.0 - options.validationSplit)));
    if (splitAt <= 0 || splitAt >= train.count)
      fail("--validation-split %g of %lld samples leaves no training or no "
           "validation samples",
           options.validationSplit, static_cast<long long>(train.count));
    validation = fitData.slice(splitAt, train.count - splitAt);
    fitData = fitData.slice(0, splitAt);
  }
  if (options.earlyStopping)
    checkMonitor(model, "--early-stopping", options.earlyStopping->monitor,
                 hasValidation);
  if (options.plateau)
    checkMonitor(model, "--reduce-lr-on-plateau", options.plateau->monitor,
                 hasValidation);

  Trainer trainer(model, optimizer,
                  effectiveBatchSize(options, model,
                                     std::max({train.count, test.count,
                                               validationFiles.count})));
  trainer.setThreads(
      threadCount(model, options, trainer.batchSize(), /*training=*/true));
  trainer.batchBuffers().setNormalization(options.normalizeScale,
                                          options.normalizeOffset);
  trainer.batchBuffers().setTargetFromInput(options.targetFromInput);
  if (group().size() > 1)
    trainer.setCommunicator(&group());
  // Only the lead writes: the other ranks observe nothing but callbacks.
  const bool lead = isLead();

  std::vector<TrainingObserver *> observers;
  std::unique_ptr<ConsoleReporter> console;
  if (!options.quiet && lead) {
    console =
        std::make_unique<ConsoleReporter>(model, stdout, stdoutIsTerminal());
    observers.push_back(console.get());
  }
  std::unique_ptr<MetricsJsonWriter> metrics;
  if (!options.metricsJson.empty() && lead) {
    metrics = std::make_unique<MetricsJsonWriter>(model, options.metricsJson);
    observers.push_back(metrics.get());
  }
  std::unique_ptr<PlotWriter> plot;
  if (!options.plot.empty() && lead) {
    // Fail now, not after the first epoch, when the file cannot be written.
    AtomicFile probe(options.plot);
    plot = std::make_unique<PlotWriter>(model, options.plot);
    observers.push_back(plot.get());
  }
  // Callbacks act before the checkpoint of the epoch is written.
  std::unique_ptr<ReduceLROnPlateau> plateau;
  if (options.plateau) {
    plateau = std::make_unique<ReduceLROnPlateau>(trainer, *options.plateau);
    observers.push_back(plateau.get());
  }
  std::unique_ptr<EarlyStopping> earlyStopping;
  if (options.earlyStopping) {
    earlyStopping =
        std::make_unique<EarlyStopping>(trainer, *options.earlyStopping);
    observers.push_back(earlyStopping.get());
  }
  // The callbacks' state comes with the rest from a resumed checkpoint.
  CheckpointExtras callbackStates;
  if (earlyStopping)
    callbackStates.earlyStopping = &earlyStopping->state();
  if (plateau)
    callbackStates.plateau = &plateau->state();
  if (!options.resume.empty())
    loadSharedCheckpoint(options.resume, trainer, /*withOptimizer=*/true,
                         callbackStates);
  else
    trainer.initialize(options.seed);

  std::unique_ptr<CheckpointWriter> checkpoints;
  if (!options.checkpoint.empty() && lead) {
    // The first checkpoint is written only after an epoch: find out now,
    // not an epoch later, whether it can be.
    AtomicFile probe(options.checkpoint);
    checkpoints =
        std::make_unique<CheckpointWriter>(trainer, options.checkpoint,
                                           callbackStates);
    observers.push_back(checkpoints.get());
  }

  {
    InterruptHandler handler;
    trainer.setInterruptFlag(&interruptSignal);
    try {
      trainer.fit(fitData, hasValidation ? &validation : nullptr,
                  options.epochs.value_or(desc.epochs), observers);
    } catch (const Interrupted &interrupted) {
      std::fflush(stdout);
      const char *name = interruptSignal == SIGTERM   ? "SIGTERM"
                         : interruptSignal == SIGUSR1 ? "SIGUSR1"
                                                      : "SIGINT";
      if (options.checkpoint.empty())
        fail("%s: %s; no --checkpoint was given, so nothing was saved", name,
             interrupted.what());
      if (lead)
        saveCheckpoint(options.checkpoint, trainer, callbackStates);
      // The other ranks wait until the lead has saved: their error ends
      // the job.
      std::vector<uint8_t> done;
      group().broadcast(done);
      fail("%s: %s; checkpoint written to %s (continue with --resume %s)", name,
           interrupted.what(), options.checkpoint.c_str(),
           options.checkpoint.c_str());
    }
  }
  if (earlyStopping) {
    if (int64_t stopped = earlyStopping->stoppedEpoch();
        stopped && !options.quiet && lead)
      std::printf("Epoch %lld: early stopping\n",
                  static_cast<long long>(stopped));
    if (int64_t best = earlyStopping->finish(); best && !options.quiet && lead)
      std::printf("Restoring model weights from the end of the best epoch: "
                  "%lld.\n",
                  static_cast<long long>(best));
    if (earlyStopping->stoppedEpoch() && checkpoints)
      saveCheckpoint(options.checkpoint, trainer, callbackStates);
  }

  if (test.count > 0) {
    MetricValues result = trainer.evaluate(DataView(test), console.get());
    if (lead)
      printTestResult(model, result);
    if (metrics)
      metrics->writeTestRecord(result);
  }
  if (metrics)
    metrics->commit();
}

void runEvaluate(const ModelInfo &model, const Options &options) {
  Dataset test =
      loadSource(testSource(options), options.maxTestSamples, options, model);
  std::unique_ptr<MetricsJsonWriter> metrics;
  if (!options.metricsJson.empty() && isLead())
    metrics = std::make_unique<MetricsJsonWriter>(model, options.metricsJson);
  Trainer trainer(model, model.desc().optimizer,
                  effectiveBatchSize(options, model, test.count));
  trainer.setThreads(
      threadCount(model, options, trainer.batchSize(), /*training=*/false));
  trainer.batchBuffers().setNormalization(options.normalizeScale,
                                          options.normalizeOffset);
  trainer.batchBuffers().setTargetFromInput(options.targetFromInput);
  // Evaluation is sharded over the ranks like training.
  if (group().size() > 1)
    trainer.setCommunicator(&group());
  loadParameters(model, options, trainer, "evaluate");

  std::unique_ptr<ConsoleReporter> console;
  if (!options.quiet && isLead())
    console =
        std::make_unique<ConsoleReporter>(model, stdout, stdoutIsTerminal());
  MetricValues result = trainer.evaluate(DataView(test), console.get());
  if (!isLead())
    return;
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

/// Whether `path` ends in `suffix`.
bool endsWith(const std::string &path, const char *suffix) {
  size_t n = std::strlen(suffix);
  return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
}

} // namespace

Dataset loadPredictInputs(const ModelInfo &model, const Options &options) {
  if (!options.namedInputs.empty())
    return loadNamedData(
        model,
        {options.namedInputs, options.namedTargets, "--input", "--target"},
        /*labeled=*/false, options.maxPredictSamples,
        options.stream.value_or(false));
  if (model.numInputs() > 1)
    fail("the model has %d inputs: give the data of each as --input "
         "NAME=FILE.npy (%s)",
         model.numInputs(), describeNames(model, /*inputs=*/true).c_str());
  const std::string &path = options.input;
  Dataset samples;
  const bool stream = options.stream.value_or(false);
  if (endsWith(path, ".npy") || endsWith(path, ".npy.gz")) {
    samples = loadNpyInputs(path, stream, options.maxPredictSamples);
  } else if (endsWith(path, ".csv") || endsWith(path, ".csv.gz")) {
    // A label column is dropped when the file has one more column than the
    // model has inputs.
    CsvOptions csv;
    csv.delimiter = options.delimiter;
    csv.header = options.csvHeader;
    csv.labelColumn = std::nullopt;
    csv.stream = stream;
    csv.maxSamples = options.maxPredictSamples;
    samples = loadCsv(path, csv);
    if (samples.sampleElements == model.inputElements() + 1) {
      csv.labelColumn = options.labelColumn;
      samples = loadCsv(path, csv);
      samples.labels.clear();
    }
  } else {
    IdxData input = readIdxFile(path, /*expectedRank=*/0,
                                options.maxPredictSamples, stream);
    samples.count = input.itemsRead;
    samples.sampleElements = input.itemElements();
    samples.inputs = std::move(input.bytes);
    samples.mappedInputs = input.mapped;
    samples.mapping = std::move(input.mapping);
  }
  if (samples.sampleElements != model.inputElements()) {
    const KilnModelDesc &desc = model.desc();
    fail("%s: items have %lld elements but the model input %s has %lld",
         path.c_str(), static_cast<long long>(samples.sampleElements),
         formatShape(desc.input_rank, desc.input_shape).c_str(),
         static_cast<long long>(model.inputElements()));
  }
  return samples;
}

namespace {

void runPredict(const ModelInfo &model, const Options &options) {
  if (endsWith(options.output, ".png"))
    checkPredictionImage(model, options);
  Dataset samples = loadPredictInputs(model, options);

  Trainer trainer(model, model.desc().optimizer,
                  effectiveBatchSize(options, model, samples.count));
  trainer.setThreads(
      threadCount(model, options, trainer.batchSize(), /*training=*/false));
  trainer.batchBuffers().setNormalization(options.normalizeScale,
                                          options.normalizeOffset);
  loadParameters(model, options, trainer, "predict");

  if (endsWith(options.output, ".png")) {
    writePredictionImage(model, options, samples, trainer);
    return;
  }

  // Several outputs: one array per output, named after it, in an .npz.
  if (model.numOutputs() > 1) {
    if (!endsWith(options.output, ".npz"))
      fail("the model has %d outputs (%s): predict writes them as arrays of "
           "one --output FILE.npz",
           model.numOutputs(), describeNames(model, /*inputs=*/false).c_str());
    std::vector<std::vector<float>> all(model.numOutputs());
    trainer.predict(DataView(samples),
                    [&](const float *const *values, int64_t n) {
                      for (int32_t k = 0; k < model.numOutputs(); ++k)
                        all[k].insert(all[k].end(), values[k],
                                      values[k] + n * model.output(k).elements);
                    });
    std::vector<ZipMember> members;
    for (int32_t k = 0; k < model.numOutputs(); ++k) {
      const OutputSpec &output = model.output(k);
      std::vector<int64_t> shape = {samples.count};
      shape.insert(shape.end(), output.shape, output.shape + output.rank);
      members.push_back(
          {output.name + ".npy", encodeNpy(shape, all[k].data())});
    }
    writeZip(options.output, members);
    return;
  }

  const int64_t outputs = model.outputElements();
  if (endsWith(options.output, ".npy")) {
    std::vector<float> all;
    all.reserve(static_cast<size_t>(samples.count * outputs));
    trainer.predict(DataView(samples),
                    [&](const float *const *values, int64_t n) {
                      all.insert(all.end(), values[0], values[0] + n * outputs);
                    });
    std::vector<int64_t> shape = {samples.count};
    const KilnModelDesc &desc = model.desc();
    shape.insert(shape.end(), desc.output_shape,
                 desc.output_shape + desc.output_rank);
    writeNpy(options.output, shape, all.data());
    return;
  }

  std::unique_ptr<AtomicFile> file;
  if (!options.output.empty())
    file = std::make_unique<AtomicFile>(options.output);
  std::string text;
  trainer.predict(DataView(samples), [&](const float *const *batch, int64_t n) {
    const float *values = batch[0];
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

/// `export`: the checkpoint's parameters in another format.
void runExport(const ModelInfo &model, const Options &options) {
  Trainer trainer(model, model.desc().optimizer, 1);
  loadCheckpoint(options.checkpoint, trainer, /*withOptimizer=*/false);
  if (options.exportFormat == "kmodel") {
    // Every parameter, BatchNormalization's moving averages included.
    std::vector<NamedTensor> weights;
    for (int32_t i = 0; i < model.numParams(); ++i) {
      const KilnParamDesc &param = model.desc().params[i];
      weights.push_back(
          {param.name,
           std::vector<int64_t>(param.shape, param.shape + param.rank),
           trainer.params()[i].data()});
    }
    writeKModel(options.output, model.desc().description,
                static_cast<size_t>(model.desc().description_size), weights);
    return;
  }
  std::vector<ZipMember> members;
  for (int32_t i = 0; i < model.numParams(); ++i) {
    const KilnParamDesc &param = model.desc().params[i];
    std::vector<int64_t> shape(param.shape, param.shape + param.rank);
    members.push_back({std::string(param.name) + ".npy",
                       encodeNpy(shape, trainer.params()[i].data())});
  }
  writeZip(options.output, members);
}

/// A file of predict's --input, its format told by its name as
/// loadPredictInputs tells it.
DataFile predictInputFile(const std::string &path) {
  DataFormat format = DataFormat::Idx;
  if (endsWith(path, ".npy") || endsWith(path, ".npy.gz"))
    format = DataFormat::Npy;
  else if (endsWith(path, ".csv") || endsWith(path, ".csv.gz"))
    format = DataFormat::Csv;
  return {path, format};
}

/// The input files `options.command` reads (labels are small and always
/// loaded).
std::vector<DataFile> inputFiles(const Options &options) {
  std::vector<DataFile> files;
  switch (options.command) {
  case Command::Train:
  case Command::Summary:
    if (options.hasTrainData())
      addInputFiles(trainSource(options), files);
    if (options.hasTestData())
      addInputFiles(testSource(options), files);
    if (options.hasValidationData())
      addInputFiles(validationSource(options), files);
    break;
  case Command::Evaluate:
    addInputFiles(testSource(options), files);
    break;
  case Command::Predict:
    if (!options.namedInputs.empty()) {
      for (const NamedFile &file : options.namedInputs)
        files.push_back({file.path, DataFormat::Npy});
      break;
    }
    files.push_back(predictInputFile(options.input));
    break;
  case Command::Frechet:
    files.push_back(predictInputFile(options.input));
    files.push_back(predictInputFile(frechetReferencePath(options)));
    break;
  case Command::Export:
  case Command::None:
    break;
  }
  return files;
}

/// Settles --stream/--no-stream, or without them the size rule
/// (StreamPolicy), and says so when the rule chose streaming.
void resolveStreaming(Options &options) {
  std::vector<DataFile> files = inputFiles(options);
  if (files.empty())
    return;
  StreamDecision decision = decideStreaming(options.stream, files);
  options.stream = decision.stream;
  if (decision.automatic && !options.quiet)
    std::fprintf(
        stderr,
        "note: streaming the data from disk: loading it would take "
        "about %s bytes, more than the threshold of %s bytes (half "
        "of MemAvailable, or KILN_STREAM_THRESHOLD); --no-stream "
        "loads it anyway\n",
        formatWithCommas(static_cast<int64_t>(decision.estimate)).c_str(),
        formatWithCommas(static_cast<int64_t>(decision.threshold)).c_str());
}

/// The memory a loaded data set holds, for summary.
DataMemory dataMemory(const std::string &name, const Dataset &data) {
  DataMemory memory;
  memory.name = name;
  memory.samples = data.count;
  const int64_t inputBytes =
      data.count * data.sampleElements * (data.floatInputs ? 4 : 1);
  if (data.mapping)
    memory.mappedBytes = inputBytes;
  else
    memory.residentBytes =
        static_cast<int64_t>(data.inputs.size() + 4 * data.floats.size());
  memory.residentBytes +=
      static_cast<int64_t>(4 * data.labels.size() + 4 * data.targets.size());
  return memory;
}

/// `summary`: the model, and the memory of the training run the flags
/// describe (its data loaded as train would load them).
void runSummary(const ModelInfo &model, const Options &options) {
  RunSettings run = defaultRunSettings(model);
  KilnOptimizerDesc optimizer = optimizerConfig(model.desc(), options);
  run.optimizerKind = optimizer.kind;
  run.learningRate = optimizer.learning_rate;
  run.optimizerSlots =
      Optimizer(optimizer, std::vector<int64_t>(), {}).slotsPerParam();
  int64_t largest = 0;
  if (options.hasTrainData()) {
    Dataset train = loadSource(trainSource(options), options.maxTrainSamples,
                               options, model);
    run.data.push_back(dataMemory("train", train));
    largest = std::max(largest, train.count);
  }
  if (options.hasTestData()) {
    Dataset test =
        loadSource(testSource(options), options.maxTestSamples, options, model);
    run.data.push_back(dataMemory("test", test));
    largest = std::max(largest, test.count);
  }
  if (options.hasValidationData()) {
    Dataset validation =
        loadSource(validationSource(options), -1, options, model);
    run.data.push_back(dataMemory("validation", validation));
    largest = std::max(largest, validation.count);
  }
  run.batchSize = largest > 0 ? effectiveBatchSize(options, model, largest)
                              : options.batchSize.value_or(run.batchSize);
  run.threads = threadCount(model, options, run.batchSize, /*training=*/true);
  std::fputs(formatSummary(model, run).c_str(), stdout);
}

} // namespace

int runThreads(const ModelInfo &model, int64_t requested, int64_t batchSize,
               bool training) {
  if (requested > 0)
    return static_cast<int>(requested);
  if (group().size() > 1)
    return 1;
  int64_t parameters = 0;
  for (int32_t i = 0; i < model.numParams(); ++i)
    parameters += model.paramElements(i);
  return defaultThreadCount(availableCores(), batchSize,
                            training ? model.desc().train_flops_per_sample : 0,
                            parameters);
}

/// "rank R of N: " when several ranks run, so that errors say whose they are.
static std::string rankPrefix(const Communicator *processes) {
  if (!processes || processes->size() == 1)
    return "";
  return formatString("rank %d of %d: ", processes->rank(), processes->size());
}

int runMain(const KilnModelDesc &desc, int argc, char **argv) {
  std::string program = argc > 0 && argv[0] ? argv[0] : "model";
  std::unique_ptr<Communicator> processes;
  // A failure on one rank must end them all: the others may wait for it.
  auto failed = [&]() {
    if (processes && processes->size() > 1)
      processes->abort(1);
    return 1;
  };
  try {
    processes = connectProcesses(&argc, &argv);
    processGroup = processes.get();
    ModelInfo model(desc);
    // A GAN trains and samples with its own loop; `summary` and `predict`
    // (the generator) are the ordinary commands.
    if (desc.gan && argc > 1 && isGanCommand(argv[1])) {
      runGanCommand(model, argc, argv);
      return 0;
    }
    Options options = parseCommandLine(argc, argv);
    if (options.help) {
      std::fputs(helpText(options.command, program).c_str(), stdout);
      return 0;
    }
    resolveStreaming(options);
    // Training and evaluation run on every rank; the other commands are
    // not distributed and run on the lead only.
    switch (options.command) {
    case Command::Summary:
      if (isLead())
        runSummary(model, options);
      break;
    case Command::Train:
      runTrain(model, options);
      break;
    case Command::Evaluate:
      runEvaluate(model, options);
      break;
    case Command::Predict:
      if (isLead())
        runPredict(model, options);
      break;
    case Command::Export:
      if (isLead())
        runExport(model, options);
      break;
    case Command::Frechet:
      if (isLead())
        runFrechet(model, options);
      break;
    case Command::None:
      break;
    }
    return 0;
  } catch (const Error &error) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s%s\n", rankPrefix(processes.get()).c_str(),
                 error.what());
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %sout of memory\n",
                 rankPrefix(processes.get()).c_str());
  } catch (const std::exception &error) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s%s\n", rankPrefix(processes.get()).c_str(),
                 error.what());
  }
  return failed();
}

} // namespace runtime
} // namespace kiln
