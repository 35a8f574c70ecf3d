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

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {
namespace runtime {

/// Seed used when --seed is not given, so that runs are reproducible by
/// default.
constexpr uint64_t kDefaultSeed = 42;

enum class Command { None, Train, Evaluate, Predict, Summary };

/// Everything the command line can set. Unset optionals take the model's
/// training defaults.
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
  /// Use only the first N samples; -1 for all.
  int64_t maxTrainSamples = -1;
  int64_t maxTestSamples = -1;

  // Training.
  std::optional<int64_t> epochs;
  std::optional<int64_t> batchSize;
  std::optional<float> learningRate;
  uint64_t seed = kDefaultSeed;
  double validationSplit = 0.0;
  int64_t threads = 1;

  // Files and output.
  std::string checkpoint;
  std::string resume;
  std::string metricsJson;
  std::string output;
  bool quiet = false;

  /// Whether training data was named (--data or --train-images/labels).
  bool hasTrainData() const { return !dataDir.empty() || !trainImages.empty(); }
  /// Whether test data was named (--data or --test-images/labels).
  bool hasTestData() const { return !dataDir.empty() || !testImages.empty(); }
};

/// Parses `argv[1..argc)`. Throws an Error on any invalid input. With --help
/// the returned options have `help` set and are otherwise unchecked.
Options parseCommandLine(int argc, const char *const *argv);

/// The --help text of `command` (Command::None: the overview).
std::string helpText(Command command, const std::string &program);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CLI_H
