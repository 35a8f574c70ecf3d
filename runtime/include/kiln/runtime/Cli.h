//===- Cli.h - Command line of a compiled model -----------------*- C++ -*-===//
//
// Parses `./model <command> [flags]` (see DESIGN.md, "The generated
// executable"). Flags take their value as the next argument or after '='
// (`--epochs 5`, `--epochs=5`). Numbers are parsed strictly: the whole
// argument must be a number in range. Every problem becomes an Error whose
// message names the flag and the offending text.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CLI_H
#define KILN_RUNTIME_CLI_H

#include "kiln/runtime/Callbacks.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// Seed used when --seed is not given, so that runs are reproducible by
/// default.
constexpr uint64_t kDefaultSeed = 42;

enum class Command { None, Train, Evaluate, Predict, Summary, Export, Frechet };

/// Optimizer settings of the command line; each set field overrides the
/// model's. With `kind` naming another optimizer than the model's, the
/// others start from that optimizer's Keras defaults instead.
struct OptimizerFlags {
  std::optional<int32_t> kind;
  std::optional<float> momentum, beta1, beta2, epsilon, rho,
      initialAccumulatorValue, weightDecay, clipnorm, clipvalue,
      globalClipnorm;
  std::optional<bool> nesterov, amsgrad, centered;
};

/// A learning-rate schedule of --lr-schedule.
struct ScheduleFlags {
  int32_t kind = 0; ///< enum KilnLrSchedule
  int64_t decaySteps = 0;
  float decayRate = 0.0f;
  bool staircase = false;
  float alpha = 0.0f;
  std::optional<float> warmupTarget;
  int64_t warmupSteps = 0;
  std::vector<int64_t> boundaries;
  std::vector<float> values;
};

/// Everything the command line can set. Unset optionals take the model's
/// training defaults.
/// A data file for one named model input or output (`NAME=FILE`).
struct NamedFile {
  std::string name;
  std::string path;
};

struct Options {
  Command command = Command::None;
  bool help = false;

  // Data.
  std::string dataDir;
  std::string trainImages;
  std::string trainLabels;
  std::string testImages;
  std::string testLabels;
  std::string input;
  /// CSV files (--train, --test, --val) and their layout.
  std::string trainCsv;
  std::string testCsv;
  std::string valCsv;
  int64_t labelColumn = 0;
  char delimiter = ',';
  /// --csv-header: nullopt detects a header line, else forces it.
  std::optional<bool> csvHeader;
  /// NumPy files.
  std::string trainX;
  std::string trainY;
  std::string testX;
  std::string testY;
  std::string valX;
  std::string valY;
  /// --input/--target NAME=FILE, NumPy files for the named inputs and
  /// outputs: train's training data, evaluate's and predict's data.
  std::vector<NamedFile> namedInputs;
  std::vector<NamedFile> namedTargets;
  /// --test-input/--test-target NAME=FILE: train's test data.
  std::vector<NamedFile> testInputs;
  std::vector<NamedFile> testTargets;
  /// Explicit IDX validation files.
  std::string valImages;
  std::string valLabels;
  /// --normalize: every input element becomes x * scale + offset.
  float normalizeScale = 1.0f;
  float normalizeOffset = 0.0f;
  /// Use only the first N samples; -1 for all.
  int64_t maxTrainSamples = -1;
  int64_t maxTestSamples = -1;

  // Training.
  std::optional<int64_t> epochs;
  std::optional<int64_t> batchSize;
  std::optional<float> learningRate;
  OptimizerFlags optimizer;
  std::optional<ScheduleFlags> schedule;
  std::optional<EarlyStoppingConfig> earlyStopping;
  std::optional<PlateauConfig> plateau;
  uint64_t seed = kDefaultSeed;
  double validationSplit = 0.0;
  /// Threads per step (ShardedStep); 0: the default (defaultThreadCount).
  int64_t threads = 0;

  // Files and output.
  std::string checkpoint;
  std::string resume;
  std::string metricsJson;
  /// train: an SVG plot of the per-epoch loss and metrics.
  std::string plot;
  std::string output;
  /// export: "npz" or "kmodel".
  std::string exportFormat;
  bool quiet = false;
  /// --stream (true) or --no-stream (false): memory-map the data files
  /// (MappedFile) or load them; unset, the driver decides by the data's
  /// size (StreamPolicy).
  std::optional<bool> stream;

  /// --target input (train, evaluate, summary): the targets of the model's
  /// output are its input (an autoencoder; see TargetFromInput.h), so the
  /// data sets need no labels.
  bool targetFromInput = false;
  /// predict --output FILE.png: the image grid's columns (0: automatic),
  /// whether each row of inputs is drawn above its row of outputs, the
  /// float-to-pixel mapping ("auto", "unit", "tanh", "minmax"; Png.h).
  int64_t gridColumns = 0;
  bool withInputs = false;
  std::string pixelRange = "auto";
  /// predict --max-samples: only the first N input samples; -1 for all.
  int64_t maxPredictSamples = -1;

  /// frechet: the reference set (--reference FILE; --test-images and
  /// --data name it too), and --reference-normalize, which applies to it
  /// as --normalize applies to --input.
  std::string reference;
  float referenceScale = 1.0f;
  float referenceOffset = 0.0f;

  /// Whether training data was named (--data, --train-images/labels,
  /// --train or --train-x/y).
  bool hasTrainData() const {
    return !dataDir.empty() || !trainImages.empty() || !trainCsv.empty() ||
           !trainX.empty() || !namedInputs.empty();
  }
  /// Whether test data was named.
  bool hasTestData() const {
    return !dataDir.empty() || !testImages.empty() || !testCsv.empty() ||
           !testX.empty() || !testInputs.empty();
  }
  /// Whether validation files were named.
  bool hasValidationData() const {
    return !valImages.empty() || !valCsv.empty() || !valX.empty();
  }
};

/// Parses `argv[1..argc)`. Throws an Error on any invalid input. With --help
/// the returned options have `help` set and are otherwise unchecked.
Options parseCommandLine(int argc, const char *const *argv);

/// The --help text of `command` (Command::None: the overview).
std::string helpText(Command command, const std::string &program);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CLI_H
