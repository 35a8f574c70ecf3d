//===- Cli.cpp - Command line of a compiled model -------------------------===//

#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Png.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace kiln {
namespace runtime {

namespace {

enum CommandMask : unsigned {
  kTrain = 1,
  kEvaluate = 2,
  kPredict = 4,
  kSummary = 8,
  kExport = 16,
  kFrechet = 32,
};

unsigned maskOf(Command command) {
  switch (command) {
  case Command::Train:
    return kTrain;
  case Command::Evaluate:
    return kEvaluate;
  case Command::Predict:
    return kPredict;
  case Command::Summary:
    // The memory summary of a training run takes that run's flags.
    return kSummary | kTrain;
  case Command::Export:
    return kExport;
  case Command::Frechet:
    return kFrechet;
  case Command::None:
    break;
  }
  return 0;
}

const char *commandName(Command command) {
  switch (command) {
  case Command::Train:
    return "train";
  case Command::Evaluate:
    return "evaluate";
  case Command::Predict:
    return "predict";
  case Command::Summary:
    return "summary";
  case Command::Export:
    return "export";
  case Command::Frechet:
    return "frechet";
  case Command::None:
    break;
  }
  return "";
}

Command parseCommand(const std::string &word) {
  for (Command command : {Command::Train, Command::Evaluate, Command::Predict,
                          Command::Summary, Command::Export, Command::Frechet})
    if (word == commandName(command))
      return command;
  return Command::None;
}

int64_t parseInteger(const std::string &flag, const std::string &text,
                     int64_t minimum) {
  const char *begin = text.c_str();
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(begin, &end, 10);
  bool valid = !text.empty() &&
               !std::isspace(static_cast<unsigned char>(text[0])) &&
               *end == '\0' && errno == 0;
  if (!valid || value < minimum)
    fail("%s: expected an integer >= %lld, got '%s'", flag.c_str(),
         static_cast<long long>(minimum), text.c_str());
  return value;
}

double parseNumber(const std::string &flag, const std::string &text) {
  const char *begin = text.c_str();
  char *end = nullptr;
  errno = 0;
  double value = std::strtod(begin, &end);
  bool valid = !text.empty() &&
               !std::isspace(static_cast<unsigned char>(text[0])) &&
               *end == '\0' && errno == 0 && std::isfinite(value);
  if (!valid)
    fail("%s: expected a number, got '%s'", flag.c_str(), text.c_str());
  return value;
}

uint64_t parseSeed(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  // strtoull accepts and negates a leading '-'; a seed must be unsigned.
  bool valid = !text.empty() &&
               std::isdigit(static_cast<unsigned char>(text[0])) &&
               *end == '\0' && errno == 0;
  if (!valid)
    fail("%s: expected an integer from 0 to 18446744073709551615, got '%s'",
         flag.c_str(), text.c_str());
  return value;
}

float parseNonNegative(const std::string &flag, const std::string &text) {
  double value = parseNumber(flag, text);
  if (value < 0 || value > 3.4e38)
    fail("%s: expected a non-negative number, got '%s'", flag.c_str(),
         text.c_str());
  return static_cast<float>(value);
}

/// `NAME=FILE`, where NAME has no '/' (so that a path with '=' in a
/// directory name stays a path); nullopt otherwise.
std::optional<NamedFile> parseNamedFile(const std::string &text) {
  size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size() ||
      text.find('/') < equals)
    return std::nullopt;
  return NamedFile{text.substr(0, equals), text.substr(equals + 1)};
}

NamedFile requireNamedFile(const std::string &flag, const std::string &text) {
  std::optional<NamedFile> named = parseNamedFile(text);
  if (!named)
    fail("%s: expected NAME=FILE, got '%s'", flag.c_str(), text.c_str());
  return *named;
}

bool parseBool(const std::string &flag, const std::string &text) {
  if (text == "true" || text == "1" || text == "yes")
    return true;
  if (text == "false" || text == "0" || text == "no")
    return false;
  fail("%s: expected true or false, got '%s'", flag.c_str(), text.c_str());
}

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end - begin));
    if (end == std::string::npos)
      return parts;
    begin = end + 1;
  }
}

/// Splits `key=value,key=value` into pairs; a bare word has an empty value.
std::vector<std::pair<std::string, std::string>>
parseKeyValues(const std::string &flag, const std::string &text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string &item : split(text, ',')) {
    if (item.empty())
      fail("%s: empty item in '%s'", flag.c_str(), text.c_str());
    size_t equals = item.find('=');
    if (equals == std::string::npos)
      pairs.emplace_back(item, "");
    else
      pairs.emplace_back(item.substr(0, equals), item.substr(equals + 1));
  }
  return pairs;
}

[[noreturn]] void unknownKey(const std::string &flag, const std::string &key,
                             const char *expected) {
  fail("%s: unknown key '%s'; expected %s", flag.c_str(), key.c_str(),
       expected);
}

MonitorMode parseMode(const std::string &flag, const std::string &text) {
  if (text == "auto")
    return MonitorMode::Auto;
  if (text == "min")
    return MonitorMode::Min;
  if (text == "max")
    return MonitorMode::Max;
  fail("%s: mode must be auto, min or max, got '%s'", flag.c_str(),
       text.c_str());
}

EarlyStoppingConfig parseEarlyStopping(const std::string &flag,
                                       const std::string &text) {
  EarlyStoppingConfig config;
  for (auto &[key, value] : parseKeyValues(flag, text)) {
    std::string item = flag + " " + key;
    if (key == "monitor" && !value.empty())
      config.monitor = value;
    else if (key == "min_delta")
      config.minDelta = std::fabs(parseNumber(item, value));
    else if (key == "patience")
      config.patience = parseInteger(item, value, 0);
    else if (key == "mode")
      config.mode = parseMode(item, value);
    else if (key == "baseline")
      config.baseline = parseNumber(item, value);
    else if (key == "restore_best_weights")
      config.restoreBestWeights = value.empty() || parseBool(item, value);
    else if (key == "start_from_epoch")
      config.startFromEpoch = parseInteger(item, value, 0);
    else
      unknownKey(flag, key,
                 "monitor, min_delta, patience, mode, baseline, "
                 "restore_best_weights or start_from_epoch");
  }
  return config;
}

PlateauConfig parsePlateau(const std::string &flag, const std::string &text) {
  PlateauConfig config;
  for (auto &[key, value] : parseKeyValues(flag, text)) {
    std::string item = flag + " " + key;
    if (key == "monitor" && !value.empty())
      config.monitor = value;
    else if (key == "factor") {
      config.factor = parseNumber(item, value);
      if (config.factor >= 1.0 || config.factor < 0)
        fail("%s: expected a factor in [0, 1), got '%s'", item.c_str(),
             value.c_str());
    } else if (key == "patience")
      config.patience = parseInteger(item, value, 0);
    else if (key == "mode")
      config.mode = parseMode(item, value);
    else if (key == "min_delta")
      config.minDelta = parseNumber(item, value);
    else if (key == "cooldown")
      config.cooldown = parseInteger(item, value, 0);
    else if (key == "min_lr")
      config.minLr = parseNonNegative(item, value);
    else
      unknownKey(flag, key,
                 "monitor, factor, patience, mode, min_delta, cooldown or "
                 "min_lr");
  }
  return config;
}

ScheduleFlags parseSchedule(const std::string &flag, const std::string &text) {
  std::vector<std::pair<std::string, std::string>> pairs =
      parseKeyValues(flag, text);
  ScheduleFlags schedule;
  const std::string &name = pairs[0].first;
  if (!pairs[0].second.empty())
    fail("%s: expected a schedule name first (exponential, piecewise, "
         "cosine or constant), got '%s'",
         flag.c_str(), text.c_str());
  if (name == "constant")
    schedule.kind = KILN_SCHEDULE_CONSTANT;
  else if (name == "exponential")
    schedule.kind = KILN_SCHEDULE_EXPONENTIAL_DECAY;
  else if (name == "piecewise")
    schedule.kind = KILN_SCHEDULE_PIECEWISE_CONSTANT;
  else if (name == "cosine")
    schedule.kind = KILN_SCHEDULE_COSINE_DECAY;
  else
    fail("%s: unknown schedule '%s'; expected exponential, piecewise, "
         "cosine or constant",
         flag.c_str(), name.c_str());
  for (size_t i = 1; i < pairs.size(); ++i) {
    const std::string &key = pairs[i].first;
    const std::string &value = pairs[i].second;
    std::string item = flag + " " + key;
    if (key == "decay_steps")
      schedule.decaySteps = parseInteger(item, value, 1);
    else if (key == "decay_rate")
      schedule.decayRate = parseNonNegative(item, value);
    else if (key == "staircase")
      schedule.staircase = value.empty() || parseBool(item, value);
    else if (key == "alpha")
      schedule.alpha = parseNonNegative(item, value);
    else if (key == "warmup_target")
      schedule.warmupTarget = parseNonNegative(item, value);
    else if (key == "warmup_steps")
      schedule.warmupSteps = parseInteger(item, value, 0);
    else if (key == "boundaries")
      for (const std::string &part : split(value, ':'))
        schedule.boundaries.push_back(parseInteger(item, part, 0));
    else if (key == "values")
      for (const std::string &part : split(value, ':'))
        schedule.values.push_back(parseNonNegative(item, part));
    else
      unknownKey(flag, key,
                 "decay_steps, decay_rate, staircase, alpha, warmup_target, "
                 "warmup_steps, boundaries or values");
  }
  bool decays = schedule.kind == KILN_SCHEDULE_EXPONENTIAL_DECAY ||
                schedule.kind == KILN_SCHEDULE_COSINE_DECAY;
  if (decays && schedule.decaySteps == 0)
    fail("%s: %s needs decay_steps=N", flag.c_str(), name.c_str());
  if (schedule.kind == KILN_SCHEDULE_EXPONENTIAL_DECAY &&
      schedule.decayRate <= 0)
    fail("%s: exponential needs decay_rate=X > 0", flag.c_str());
  if (schedule.kind == KILN_SCHEDULE_PIECEWISE_CONSTANT &&
      (schedule.boundaries.empty() ||
       schedule.values.size() != schedule.boundaries.size() + 1))
    fail("%s: piecewise needs boundaries=B1:B2:... and one more "
         "values=V0:V1:...",
         flag.c_str());
  return schedule;
}

/// `scale=X[,offset=Y]` of --normalize and --reference-normalize.
void parseNormalization(const std::string &flag, const std::string &text,
                        float &scale, float &offset) {
  for (auto &[key, value] : parseKeyValues(flag, text)) {
    std::string item = flag + " " + key;
    if (key == "scale")
      scale = static_cast<float>(parseNumber(item, value));
    else if (key == "offset")
      offset = static_cast<float>(parseNumber(item, value));
    else
      unknownKey(flag, key, "scale or offset");
  }
}

using Apply = void (*)(Options &, const std::string &flag,
                       const std::string &value);

/// One flag: its name, the placeholder of its value (null for switches), the
/// commands that accept it, its help line and how it sets Options.
struct FlagSpec {
  const char *name;
  const char *valueName;
  unsigned commands;
  const char *help;
  Apply apply;
  /// May be given several times (one NAME=FILE per model input or output).
  bool repeatable = false;
};

const unsigned kData = kTrain | kEvaluate;
/// The commands that run the model on data (frechet predicts on two sets).
const unsigned kRun = kTrain | kEvaluate | kPredict | kFrechet;

const FlagSpec kFlags[] = {
    {"--data", "DIR", kData | kFrechet,
     "directory with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte"
     "[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] "
     "(frechet: its t10k images are the reference set)",
     [](Options &o, const std::string &, const std::string &v) {
       o.dataDir = v;
     }},
    {"--train-images", "FILE", kData, "training images (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.trainImages = v;
     }},
    {"--train-labels", "FILE", kData, "training labels (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.trainLabels = v;
     }},
    {"--test-images", "FILE", kData | kFrechet,
     "test images (IDX, plain or .gz); frechet: the reference set",
     [](Options &o, const std::string &, const std::string &v) {
       o.testImages = v;
     }},
    {"--test-labels", "FILE", kData, "test labels (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.testLabels = v;
     }},
    {"--train", "FILE.csv", kData, "training samples as CSV",
     [](Options &o, const std::string &, const std::string &v) {
       o.trainCsv = v;
     }},
    {"--test", "FILE.csv", kData, "test samples as CSV",
     [](Options &o, const std::string &, const std::string &v) {
       o.testCsv = v;
     }},
    {"--val", "FILE.csv", kTrain, "validation samples as CSV",
     [](Options &o, const std::string &, const std::string &v) {
       o.valCsv = v;
     }},
    {"--label-column", "N", kRun,
     "CSV: 0-based column of the class label (default 0); predict drops it",
     [](Options &o, const std::string &f, const std::string &v) {
       o.labelColumn = parseInteger(f, v, 0);
     }},
    {"--delimiter", "C", kRun, "CSV: field separator (default ',')",
     [](Options &o, const std::string &f, const std::string &v) {
       if (v == "\\t" || v == "tab")
         o.delimiter = '\t';
       else if (v.size() == 1 && v[0] != '"' && v[0] != '\n')
         o.delimiter = v[0];
       else
         fail("%s: expected one character (or 'tab'), got '%s'", f.c_str(),
              v.c_str());
     }},
    {"--csv-header", "BOOL", kRun,
     "CSV: whether the first line is a header (default: detected)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.csvHeader = parseBool(f, v);
     }},
    {"--train-x", "X.npy", kData, "training inputs as a NumPy array",
     [](Options &o, const std::string &, const std::string &v) {
       o.trainX = v;
     }},
    {"--train-y", "Y.npy", kData, "training labels as a NumPy array",
     [](Options &o, const std::string &, const std::string &v) {
       o.trainY = v;
     }},
    {"--test-x", "X.npy", kData, "test inputs as a NumPy array",
     [](Options &o, const std::string &, const std::string &v) {
       o.testX = v;
     }},
    {"--test-y", "Y.npy", kData, "test labels as a NumPy array",
     [](Options &o, const std::string &, const std::string &v) {
       o.testY = v;
     }},
    {"--val-x", "X.npy", kTrain, "validation inputs as a NumPy array",
     [](Options &o, const std::string &, const std::string &v) { o.valX = v; }},
    {"--val-y", "Y.npy", kTrain, "validation labels as a NumPy array",
     [](Options &o, const std::string &, const std::string &v) { o.valY = v; }},
    {"--val-images", "FILE", kTrain, "validation images (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.valImages = v;
     }},
    {"--val-labels", "FILE", kTrain, "validation labels (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.valLabels = v;
     }},
    {"--normalize", "scale=X[,offset=Y]", kRun,
     "feed every input element as x * X + Y (e.g. scale=0.00392156862745)",
     [](Options &o, const std::string &f, const std::string &v) {
       parseNormalization(f, v, o.normalizeScale, o.normalizeOffset);
     }},
    {"--stream", nullptr, kRun,
     "serve the inputs from a read-only memory mapping instead of memory "
     "(.gz files are decompressed, CSV and non-float32 NumPy inputs "
     "converted, into a temporary file); the default when the data would "
     "take more than half of the available memory",
     [](Options &o, const std::string &, const std::string &) {
       if (o.stream == false)
         fail("--stream and --no-stream cannot be combined");
       o.stream = true;
     }},
    {"--no-stream", nullptr, kRun,
     "load the inputs into memory even when they would take more than half "
     "of the available memory",
     [](Options &o, const std::string &, const std::string &) {
       if (o.stream == true)
         fail("--stream and --no-stream cannot be combined");
       o.stream = false;
     }},
    {"--input", "[NAME=]FILE", kRun,
     "NAME=FILE: the .npy data of the model input NAME (repeat for each "
     "input; train: training data); predict also takes one FILE: IDX (plain "
     "or .gz), .npy or .csv; frechet: the samples to measure, one FILE",
     [](Options &o, const std::string &f, const std::string &v) {
       if (o.command == Command::Frechet)
         o.input = v;
       else if (std::optional<NamedFile> named = parseNamedFile(v))
         o.namedInputs.push_back(std::move(*named));
       else if (o.command == Command::Predict)
         o.input = v;
       else
         fail("%s: expected NAME=FILE, got '%s'", f.c_str(), v.c_str());
     },
     /*repeatable=*/true},
    {"--target", "NAME=FILE|input", kData,
     "the .npy labels or targets of the model output NAME (repeat for "
     "each output); 'input': the model's input (after --normalize) is its "
     "target, an autoencoder, and the data need no labels",
     [](Options &o, const std::string &f, const std::string &v) {
       if (v == "input")
         o.targetFromInput = true;
       else
         o.namedTargets.push_back(requireNamedFile(f, v));
     },
     /*repeatable=*/true},
    {"--test-input", "NAME=FILE", kTrain,
     "test data (.npy) of the model input NAME, evaluated after training",
     [](Options &o, const std::string &f, const std::string &v) {
       o.testInputs.push_back(requireNamedFile(f, v));
     },
     /*repeatable=*/true},
    {"--test-target", "NAME=FILE", kTrain,
     "test labels or targets (.npy) of the model output NAME",
     [](Options &o, const std::string &f, const std::string &v) {
       o.testTargets.push_back(requireNamedFile(f, v));
     },
     /*repeatable=*/true},
    {"--epochs", "N", kTrain,
     "total number of epochs, counting those of a resumed checkpoint "
     "(default: the model's)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.epochs = parseInteger(f, v, 0);
     }},
    {"--batch-size", "N", kRun, "samples per batch (default: the model's)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.batchSize = parseInteger(f, v, 1);
     }},
    {"--learning-rate", "X", kTrain,
     "optimizer learning rate (default: the model's)",
     [](Options &o, const std::string &f, const std::string &v) {
       double rate = parseNumber(f, v);
       if (rate < 0)
         fail("%s: expected a non-negative number, got '%s'", f.c_str(),
              v.c_str());
       o.learningRate = static_cast<float>(rate);
     }},
    {"--optimizer", "NAME", kTrain,
     "sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax or nadam "
     "(default: the model's); another optimizer than the model's starts "
     "from its Keras defaults",
     [](Options &o, const std::string &f, const std::string &v) {
       std::optional<int32_t> kind = optimizerKindFromName(v);
       if (!kind)
         fail("%s: unknown optimizer '%s'; expected %s", f.c_str(), v.c_str(),
              optimizerNamesText().c_str());
       o.optimizer.kind = kind;
     }},
    {"--momentum", "X", kTrain, "SGD, RMSprop: momentum in [0, 1]",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.momentum = parseNonNegative(f, v);
     }},
    {"--nesterov", "BOOL", kTrain, "SGD: Nesterov momentum",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.nesterov = parseBool(f, v);
     }},
    {"--beta-1", "X", kTrain, "Adam-like: first-moment decay",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.beta1 = parseNonNegative(f, v);
     }},
    {"--beta-2", "X", kTrain, "Adam-like: second-moment decay",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.beta2 = parseNonNegative(f, v);
     }},
    {"--epsilon", "X", kTrain, "numerical-stability constant",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.epsilon = parseNonNegative(f, v);
     }},
    {"--amsgrad", "BOOL", kTrain, "Adam, AdamW: the AMSGrad variant",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.amsgrad = parseBool(f, v);
     }},
    {"--rho", "X", kTrain, "RMSprop, Adadelta: decay of running averages",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.rho = parseNonNegative(f, v);
     }},
    {"--centered", "BOOL", kTrain, "RMSprop: centered second moment",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.centered = parseBool(f, v);
     }},
    {"--initial-accumulator-value", "X", kTrain,
     "Adagrad: starting accumulator value",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.initialAccumulatorValue = parseNonNegative(f, v);
     }},
    {"--weight-decay", "X", kTrain,
     "decoupled weight decay, p -= p * X * lr (0: none)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.weightDecay = parseNonNegative(f, v);
     }},
    {"--clipnorm", "X", kTrain, "clip each gradient to L2 norm X (0: none)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.clipnorm = parseNonNegative(f, v);
     }},
    {"--clipvalue", "X", kTrain, "clip gradient elements to [-X, X] (0: none)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.clipvalue = parseNonNegative(f, v);
     }},
    {"--global-clipnorm", "X", kTrain,
     "clip all gradients to global L2 norm X (0: none)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.optimizer.globalClipnorm = parseNonNegative(f, v);
     }},
    {"--lr-schedule", "SPEC", kTrain,
     "exponential,decay_steps=N,decay_rate=R[,staircase] | "
     "piecewise,boundaries=B1:B2,values=V0:V1:V2 | "
     "cosine,decay_steps=N[,alpha=A][,warmup_target=T,warmup_steps=W] | "
     "constant; the initial rate is the learning rate",
     [](Options &o, const std::string &f, const std::string &v) {
       o.schedule = parseSchedule(f, v);
     }},
    {"--early-stopping", "K=V,...", kTrain,
     "stop when a metric stops improving: monitor=val_loss, min_delta=0, "
     "patience=0, mode=auto, baseline, restore_best_weights=false, "
     "start_from_epoch=0",
     [](Options &o, const std::string &f, const std::string &v) {
       o.earlyStopping = parseEarlyStopping(f, v);
     }},
    {"--reduce-lr-on-plateau", "K=V,...", kTrain,
     "scale the rate down on a plateau: monitor=val_loss, factor=0.1, "
     "patience=10, mode=auto, min_delta=1e-4, cooldown=0, min_lr=0",
     [](Options &o, const std::string &f, const std::string &v) {
       o.plateau = parsePlateau(f, v);
     }},
    {"--seed", "N", kTrain,
     "seed of initialization and shuffling (default: 42)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.seed = parseSeed(f, v);
     }},
    {"--validation-split", "F", kTrain,
     "fraction in [0, 1) of the training set, taken from its end, to "
     "validate on after each epoch",
     [](Options &o, const std::string &f, const std::string &v) {
       double split = parseNumber(f, v);
       if (split < 0 || split >= 1)
         fail("%s: expected a fraction in [0, 1), got '%s'", f.c_str(),
              v.c_str());
       o.validationSplit = split;
     }},
    {"--threads", "N", kRun,
     "threads per step: the batch is split across them (default: every "
     "available core, at most one per 8 rows of the batch and, to train, "
     "per 256 FLOPs of the step per parameter; results are bitwise "
     "reproducible for a given count)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.threads = parseInteger(f, v, 1);
     }},
    {"--checkpoint", "FILE", kRun | kExport,
     "train: write a checkpoint after every epoch; evaluate, predict, "
     "export, frechet: the checkpoint to load (evaluate, predict and "
     "frechet of a model compiled with weights may leave it out)",
     [](Options &o, const std::string &, const std::string &v) {
       o.checkpoint = v;
     }},
    {"--resume", "FILE", kTrain, "continue training from a checkpoint",
     [](Options &o, const std::string &, const std::string &v) {
       o.resume = v;
     }},
    {"--metrics-json", "FILE", kData | kFrechet,
     "write per-epoch and test metrics as JSON lines (frechet: "
     "{\"frechet_distance\": ...})",
     [](Options &o, const std::string &, const std::string &v) {
       o.metricsJson = v;
     }},
    {"--output", "FILE", kPredict | kExport | kFrechet,
     "predict: write predictions to FILE instead of standard output: CSV, "
     "a float32 NumPy array of the outputs when FILE ends in .npy, or a "
     "PNG grid of the outputs as images when FILE ends in .png; "
     "export: the file to write; frechet: the NAME of the model output "
     "whose values are the features (default: the first output)",
     [](Options &o, const std::string &, const std::string &v) {
       o.output = v;
     }},
    {"--format", "npz|kmodel", kExport,
     "export: npz (one float32 .npy array per parameter, named like the "
     "parameter, for numpy.load) or kmodel",
     [](Options &o, const std::string &f, const std::string &v) {
       if (v != "npz" && v != "kmodel")
         fail("%s: expected npz or kmodel, got '%s'", f.c_str(), v.c_str());
       o.exportFormat = v;
     }},
    {"--plot", "FILE.svg", kTrain,
     "draw the loss and metrics of every epoch (train and validation) as "
     "an SVG chart",
     [](Options &o, const std::string &, const std::string &v) { o.plot = v; }},
    {"--quiet", nullptr, kRun,
     "no progress output (final test results are still printed)",
     [](Options &o, const std::string &, const std::string &) {
       o.quiet = true;
     }},
    {"--max-train-samples", "N", kData, "use only the first N training samples",
     [](Options &o, const std::string &f, const std::string &v) {
       o.maxTrainSamples = parseInteger(f, v, 1);
     }},
    {"--max-test-samples", "N", kData, "use only the first N test samples",
     [](Options &o, const std::string &f, const std::string &v) {
       o.maxTestSamples = parseInteger(f, v, 1);
     }},
    {"--grid-columns", "N", kPredict,
     "--output FILE.png: tiles per row (default: about a square grid)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.gridColumns = parseInteger(f, v, 1);
     }},
    {"--with-inputs", nullptr, kPredict,
     "--output FILE.png: draw each row of inputs above the row of their "
     "outputs (an autoencoder's originals and reconstructions)",
     [](Options &o, const std::string &, const std::string &) {
       o.withInputs = true;
     }},
    {"--pixel-range", "auto|unit|tanh|minmax", kPredict,
     "--output FILE.png: values to pixels: clip [0,1], clip [-1,1], the "
     "min-max of the values, or auto (unit if all in [0,1], else tanh if "
     "all in [-1,1], else minmax; inputs and outputs decided apart)",
     [](Options &o, const std::string &f, const std::string &v) {
       parsePixelRange(f, v);
       o.pixelRange = v;
     }},
    {"--max-samples", "N", kPredict | kFrechet,
     "predict only the first N input samples (frechet: of each set)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.maxPredictSamples = parseInteger(f, v, 1);
     }},
    {"--reference", "FILE", kFrechet,
     "the reference set: IDX (plain or .gz), .npy or .csv",
     [](Options &o, const std::string &, const std::string &v) {
       o.reference = v;
     }},
    {"--reference-normalize", "scale=X[,offset=Y]", kFrechet,
     "feed every element of the reference set as x * X + Y (--normalize "
     "applies to --input only)",
     [](Options &o, const std::string &f, const std::string &v) {
       parseNormalization(f, v, o.referenceScale, o.referenceOffset);
     }},
};

const FlagSpec *findFlag(const std::string &name) {
  for (const FlagSpec &flag : kFlags)
    if (name == flag.name)
      return &flag;
  return nullptr;
}

/// Checks combinations that single flags cannot: required flags and data
/// sources that must come in pairs.
/// Fails unless both or neither of a pair of flags were given.
void checkPair(const std::string &a, const char *aName, const std::string &b,
               const char *bName) {
  if (a.empty() != b.empty())
    fail("%s needs %s", a.empty() ? bName : aName, a.empty() ? aName : bName);
}

void checkOptions(const Options &o) {
  if (!o.dataDir.empty() && (!o.trainImages.empty() || !o.trainLabels.empty() ||
                             !o.testImages.empty() || !o.testLabels.empty()))
    fail("--data cannot be combined with --train-images, --train-labels, "
         "--test-images or --test-labels");
  if (o.targetFromInput) {
    // The inputs are the targets: label files are optional (and unread).
    if (!o.namedTargets.empty() || !o.testTargets.empty())
      fail("--target input cannot be combined with --target NAME=FILE or "
           "--test-target");
    for (auto [labels, flag] : {std::pair{&o.trainY, "--train-y"},
                                {&o.testY, "--test-y"},
                                {&o.valY, "--val-y"}})
      if (!labels->empty())
        fail("--target input takes the targets from the inputs; %s is not "
             "read",
             flag);
  } else {
    checkPair(o.trainImages, "--train-images", o.trainLabels, "--train-labels");
    // frechet reads the images of --test-images alone.
    if (o.command != Command::Frechet)
      checkPair(o.testImages, "--test-images", o.testLabels, "--test-labels");
    checkPair(o.valImages, "--val-images", o.valLabels, "--val-labels");
    checkPair(o.trainX, "--train-x", o.trainY, "--train-y");
    checkPair(o.testX, "--test-x", o.testY, "--test-y");
    checkPair(o.valX, "--val-x", o.valY, "--val-y");
  }
  if (!o.trainLabels.empty() && o.trainImages.empty())
    fail("--train-labels needs --train-images");
  if (!o.testLabels.empty() && o.testImages.empty())
    fail("--test-labels needs --test-images");
  if (!o.valLabels.empty() && o.valImages.empty())
    fail("--val-labels needs --val-images");
  const bool pngOutput = o.output.size() >= 4 &&
                         o.output.compare(o.output.size() - 4, 4, ".png") == 0;
  if (!pngOutput &&
      (o.withInputs || o.gridColumns > 0 || o.pixelRange != "auto"))
    fail("--with-inputs, --grid-columns and --pixel-range need --output "
         "FILE.png");
  auto sources = [](std::initializer_list<bool> given) {
    int count = 0;
    for (bool g : given)
      count += g;
    return count;
  };
  bool idxTrain = !o.dataDir.empty() || !o.trainImages.empty();
  bool namedTrain = o.command != Command::Evaluate && !o.namedInputs.empty();
  if (sources({idxTrain, !o.trainCsv.empty(), !o.trainX.empty(), namedTrain}) >
      1)
    fail("give one source of training data: --data, --train-images, "
         "--train, --train-x or --input NAME=FILE");
  bool idxTest = !o.dataDir.empty() || !o.testImages.empty();
  bool namedTest = !o.testInputs.empty() ||
                   (o.command == Command::Evaluate && !o.namedInputs.empty());
  if (sources({idxTest, !o.testCsv.empty(), !o.testX.empty(), namedTest}) > 1)
    fail("give one source of test data: --data, --test-images, --test, "
         "--test-x or --%sinput NAME=FILE",
         o.command == Command::Evaluate ? "" : "test-");
  if (!o.namedTargets.empty() && o.namedInputs.empty())
    fail("--target needs --input NAME=FILE for the model inputs");
  if (!o.testTargets.empty() && o.testInputs.empty())
    fail("--test-target needs --test-input NAME=FILE for the model inputs");
  if (sources({!o.valImages.empty(), !o.valCsv.empty(), !o.valX.empty()}) > 1)
    fail("give one source of validation data: --val-images, --val or --val-x");
  if (o.hasValidationData() && o.validationSplit > 0)
    fail("--validation-split cannot be combined with validation files");
  if (o.optimizer.clipnorm.value_or(0) > 0 &&
      o.optimizer.globalClipnorm.value_or(0) > 0)
    fail("--clipnorm and --global-clipnorm cannot be combined");
  if (o.plateau && o.schedule &&
      o.schedule->kind != KILN_SCHEDULE_CONSTANT)
    fail("--reduce-lr-on-plateau needs a constant learning rate, not "
         "--lr-schedule");

  switch (o.command) {
  case Command::Train:
    if (!o.hasTrainData())
      fail("train needs training data: --data DIR, --train-images FILE "
           "--train-labels FILE, --train FILE.csv or --train-x X.npy "
           "--train-y Y.npy");
    break;
  case Command::Evaluate:
    // Without --checkpoint, the model's own weights (checked by the driver).
    if (!o.hasTestData() && o.namedInputs.empty())
      fail("evaluate needs test data: --data DIR, --test-images FILE "
           "--test-labels FILE, --test FILE.csv, --test-x X.npy "
           "--test-y Y.npy or --input NAME=FILE --target NAME=FILE");
    break;
  case Command::Predict:
    if (o.input.empty() && o.namedInputs.empty())
      fail("predict needs --input FILE (or --input NAME=FILE for each model "
           "input)");
    if (!o.input.empty() && !o.namedInputs.empty())
      fail("predict takes --input FILE or --input NAME=FILE, not both");
    break;
  case Command::Export:
    if (o.checkpoint.empty())
      fail("export needs --checkpoint FILE");
    if (o.exportFormat.empty())
      fail("export needs --format npz|kmodel");
    if (o.output.empty())
      fail("export needs --output FILE");
    break;
  case Command::Frechet: {
    if (o.input.empty())
      fail("frechet needs --input FILE (the samples to measure)");
    int references = sources(
        {!o.reference.empty(), !o.testImages.empty(), !o.dataDir.empty()});
    if (references != 1)
      fail("frechet needs one reference set: --reference FILE, "
           "--test-images FILE or --data DIR");
    break;
  }
  case Command::Summary:
  case Command::None:
    break;
  }
}

} // namespace

Options parseCommandLine(int argc, const char *const *argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);

  // --help wins over everything else, so that `train --epochs x --help`
  // still shows help rather than a parse error.
  for (const std::string &arg : args) {
    if (arg == "--help" || arg == "-h")
      options.help = true;
  }
  if (!args.empty() && args[0] == "help") {
    options.help = true;
    args.erase(args.begin());
  }
  if (options.help) {
    if (!args.empty())
      options.command = parseCommand(args[0]);
    return options;
  }

  if (args.empty())
    fail("missing command: expected train, evaluate, predict, summary, "
         "export or frechet (see --help)");
  options.command = parseCommand(args[0]);
  if (options.command == Command::None)
    fail("unknown command '%s': expected train, evaluate, predict, summary, "
         "export or frechet",
         args[0].c_str());
  const char *command = commandName(options.command);

  std::set<std::string> seen;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      fail("unexpected argument '%s' for %s", arg.c_str(), command);
    std::string name = arg;
    std::string value;
    bool hasInlineValue = false;
    size_t equals = arg.find('=');
    if (equals != std::string::npos) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
      hasInlineValue = true;
    }
    const FlagSpec *flag = findFlag(name);
    if (!flag)
      fail("unknown flag '%s' (see %s --help)", name.c_str(), command);
    if (!(flag->commands & maskOf(options.command)))
      fail("%s is not a flag of %s", name.c_str(), command);
    if (!seen.insert(name).second && !flag->repeatable)
      fail("%s given more than once", name.c_str());
    if (!flag->valueName) {
      if (hasInlineValue)
        fail("%s takes no value", name.c_str());
    } else if (!hasInlineValue) {
      // A following flag is not taken as the value: `--checkpoint --quiet`
      // is a forgotten file name, not a file called "--quiet".
      if (i + 1 >= args.size() || args[i + 1].compare(0, 2, "--") == 0)
        fail("%s: missing value %s", name.c_str(), flag->valueName);
      value = args[++i];
    }
    if (flag->valueName && value.empty())
      fail("%s: empty value", name.c_str());
    flag->apply(options, name, value);
  }
  checkOptions(options);
  return options;
}

std::string helpText(Command command, const std::string &program) {
  if (command == Command::None)
    return formatString(
        "usage: %s <command> [flags]\n"
        "\n"
        "Commands:\n"
        "  summary   print layers, shapes, parameter counts and memory\n"
        "  train     train the model, then evaluate it on the test set\n"
        "  evaluate  evaluate a checkpoint on test data\n"
        "  predict   write the predictions of a checkpoint as CSV\n"
        "  export    write a checkpoint's weights as .npz or .kmodel\n"
        "  frechet   the Frechet distance between two sets in the space of "
        "an output\n"
        "\n"
        "Run '%s <command> --help' for the flags of a command.\n",
        program.c_str(), program.c_str());

  static const char *const usages[] = {
      "",
      "train --data DIR | --train-images F --train-labels F "
      "[--test-images F --test-labels F]\n"
      "             | --train F.csv [--test F.csv] | --train-x X.npy "
      "--train-y Y.npy [--test-x X.npy --test-y Y.npy] [flags]",
      "evaluate --checkpoint FILE --data DIR | --test-images F "
      "--test-labels F | --test F.csv | --test-x X.npy --test-y Y.npy "
      "[flags]",
      "predict --checkpoint FILE --input FILE [--output "
      "FILE.csv|FILE.npy|FILE.png] [flags]",
      "summary [train's flags: the data and settings of the run whose "
      "memory to report]",
      "export --checkpoint FILE --format npz|kmodel --output FILE",
      "frechet --checkpoint FILE --input FILE (--reference FILE | "
      "--test-images FILE | --data DIR) [--output NAME] [flags]",
  };
  std::string text = formatString("usage: %s %s\n", program.c_str(),
                                  usages[static_cast<int>(command)]);
  if (command == Command::Predict)
    text += "\nWrites one CSV line per sample: the predicted class, then "
            "the model's outputs.\n";
  if (command == Command::Frechet)
    text += "\nPredicts both sets, fits a Gaussian to the values of one "
            "output (the features)\nof each and prints "
            "'frechet_distance: D', the squared Frechet distance of the "
            "FID.\n";
  std::string flags;
  for (const FlagSpec &flag : kFlags) {
    if (!(flag.commands & maskOf(command)))
      continue;
    std::string left = flag.name;
    if (flag.valueName)
      left += std::string(" ") + flag.valueName;
    flags += formatString("  %-26s %s\n", left.c_str(), flag.help);
  }
  flags += formatString("  %-26s %s\n", "--help", "show this help");
  return text + "\nFlags:\n" + flags;
}

} // namespace runtime
} // namespace kiln
