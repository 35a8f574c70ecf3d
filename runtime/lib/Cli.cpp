//===- Cli.cpp - Command line of a compiled model -------------------------===//

#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Error.h"

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
    return kSummary;
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
  case Command::None:
    break;
  }
  return "";
}

Command parseCommand(const std::string &word) {
  for (Command command :
       {Command::Train, Command::Evaluate, Command::Predict, Command::Summary})
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
};

[[noreturn]] void unsupportedFormat(Options &, const std::string &flag,
                                    const std::string &) {
  fail("%s: CSV and NumPy inputs are not supported by this runtime yet; "
       "use IDX files (--data DIR or --train-images/--train-labels)",
       flag.c_str());
}

const unsigned kData = kTrain | kEvaluate;
const unsigned kRun = kTrain | kEvaluate | kPredict;

const FlagSpec kFlags[] = {
    {"--data", "DIR", kData,
     "directory with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte"
     "[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]",
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
    {"--test-images", "FILE", kData, "test images (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.testImages = v;
     }},
    {"--test-labels", "FILE", kData, "test labels (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.testLabels = v;
     }},
    {"--train", "FILE.csv", kData, "(not supported yet)", unsupportedFormat},
    {"--test", "FILE.csv", kData, "(not supported yet)", unsupportedFormat},
    {"--label-column", "N", kData, "(not supported yet)", unsupportedFormat},
    {"--train-x", "X.npy", kData, "(not supported yet)", unsupportedFormat},
    {"--train-y", "Y.npy", kData, "(not supported yet)", unsupportedFormat},
    {"--input", "FILE", kPredict, "inputs to predict (IDX, plain or .gz)",
     [](Options &o, const std::string &, const std::string &v) {
       o.input = v;
     }},
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
     "worker threads (>= 1; runs single-threaded "
     "for now)",
     [](Options &o, const std::string &f, const std::string &v) {
       o.threads = parseInteger(f, v, 1);
     }},
    {"--checkpoint", "FILE", kRun,
     "train: write a checkpoint after every epoch; evaluate, predict: the "
     "checkpoint to load",
     [](Options &o, const std::string &, const std::string &v) {
       o.checkpoint = v;
     }},
    {"--resume", "FILE", kTrain, "continue training from a checkpoint",
     [](Options &o, const std::string &, const std::string &v) {
       o.resume = v;
     }},
    {"--metrics-json", "FILE", kData,
     "write per-epoch and test metrics as JSON lines",
     [](Options &o, const std::string &, const std::string &v) {
       o.metricsJson = v;
     }},
    {"--output", "FILE", kPredict,
     "write predictions as CSV to FILE instead of standard output",
     [](Options &o, const std::string &, const std::string &v) {
       o.output = v;
     }},
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
};

const FlagSpec *findFlag(const std::string &name) {
  for (const FlagSpec &flag : kFlags)
    if (name == flag.name)
      return &flag;
  return nullptr;
}

/// Checks combinations that single flags cannot: required flags and data
/// sources that must come in pairs.
void checkOptions(const Options &o) {
  if (!o.dataDir.empty() && (!o.trainImages.empty() || !o.trainLabels.empty() ||
                             !o.testImages.empty() || !o.testLabels.empty()))
    fail("--data cannot be combined with --train-images, --train-labels, "
         "--test-images or --test-labels");
  if (o.trainImages.empty() != o.trainLabels.empty())
    fail("%s", o.trainImages.empty() ? "--train-labels needs --train-images"
                                     : "--train-images needs --train-labels");
  if (o.testImages.empty() != o.testLabels.empty())
    fail("%s", o.testImages.empty() ? "--test-labels needs --test-images"
                                    : "--test-images needs --test-labels");

  switch (o.command) {
  case Command::Train:
    if (!o.hasTrainData())
      fail("train needs training data: --data DIR, or --train-images FILE "
           "--train-labels FILE");
    break;
  case Command::Evaluate:
    if (o.checkpoint.empty())
      fail("evaluate needs --checkpoint FILE");
    if (!o.hasTestData())
      fail("evaluate needs test data: --data DIR, or --test-images FILE "
           "--test-labels FILE");
    break;
  case Command::Predict:
    if (o.checkpoint.empty())
      fail("predict needs --checkpoint FILE");
    if (o.input.empty())
      fail("predict needs --input FILE");
    break;
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
    fail("missing command: expected train, evaluate, predict or summary "
         "(see --help)");
  options.command = parseCommand(args[0]);
  if (options.command == Command::None)
    fail("unknown command '%s': expected train, evaluate, predict or summary",
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
    if (!seen.insert(name).second)
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
        "\n"
        "Run '%s <command> --help' for the flags of a command.\n",
        program.c_str(), program.c_str());

  static const char *const usages[] = {
      "",
      "train --data DIR | --train-images F --train-labels F "
      "[--test-images F --test-labels F] [flags]",
      "evaluate --checkpoint FILE --data DIR | --test-images F "
      "--test-labels F [flags]",
      "predict --checkpoint FILE --input FILE [--output FILE.csv] [flags]",
      "summary",
  };
  std::string text = formatString("usage: %s %s\n", program.c_str(),
                                  usages[static_cast<int>(command)]);
  if (command == Command::Predict)
    text += "\nWrites one CSV line per sample: the predicted class, then "
            "the model's outputs.\n";
  std::string flags;
  for (const FlagSpec &flag : kFlags) {
    if (!(flag.commands & maskOf(command)) ||
        std::strcmp(flag.help, "(not supported yet)") == 0)
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
