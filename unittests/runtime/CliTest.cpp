//===- CliTest.cpp - Tests of command-line parsing ------------------------===//

#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Error.h"

#include <gtest/gtest.h>

using namespace kiln::runtime;

namespace {

Options parse(std::vector<const char *> args) {
  args.insert(args.begin(), "model");
  return parseCommandLine(static_cast<int>(args.size()), args.data());
}

std::string parseError(std::vector<const char *> args) {
  try {
    parse(args);
  } catch (const Error &error) {
    return error.what();
  }
  return "<no error>";
}

TEST(CliTest, TrainFlags) {
  Options o = parse({"train",
                     "--data",
                     "dir",
                     "--epochs",
                     "3",
                     "--batch-size=64",
                     "--learning-rate",
                     "1e-3",
                     "--seed",
                     "7",
                     "--validation-split",
                     "0.1",
                     "--threads",
                     "2",
                     "--checkpoint",
                     "c.ckpt",
                     "--metrics-json",
                     "m.jsonl",
                     "--quiet",
                     "--max-train-samples",
                     "100",
                     "--max-test-samples",
                     "10"});
  EXPECT_EQ(o.command, Command::Train);
  EXPECT_EQ(o.dataDir, "dir");
  EXPECT_EQ(*o.epochs, 3);
  EXPECT_EQ(*o.batchSize, 64);
  EXPECT_FLOAT_EQ(*o.learningRate, 1e-3f);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_DOUBLE_EQ(o.validationSplit, 0.1);
  EXPECT_EQ(o.threads, 2);
  EXPECT_EQ(o.checkpoint, "c.ckpt");
  EXPECT_EQ(o.metricsJson, "m.jsonl");
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.maxTrainSamples, 100);
  EXPECT_EQ(o.maxTestSamples, 10);
}

TEST(CliTest, Defaults) {
  Options o = parse({"train", "--train-images", "a", "--train-labels", "b"});
  EXPECT_FALSE(o.epochs.has_value());
  EXPECT_FALSE(o.batchSize.has_value());
  EXPECT_FALSE(o.learningRate.has_value());
  EXPECT_EQ(o.seed, kDefaultSeed);
  EXPECT_EQ(o.maxTrainSamples, -1);
  EXPECT_FALSE(o.hasTestData());
}

TEST(CliTest, OtherCommands) {
  EXPECT_EQ(parse({"summary"}).command, Command::Summary);
  Options e = parse({"evaluate", "--checkpoint", "c", "--test-images", "a",
                     "--test-labels", "b"});
  EXPECT_EQ(e.command, Command::Evaluate);
  Options p = parse(
      {"predict", "--checkpoint", "c", "--input", "x", "--output", "y.csv"});
  EXPECT_EQ(p.input, "x");
  EXPECT_EQ(p.output, "y.csv");
}

TEST(CliTest, Help) {
  EXPECT_TRUE(parse({"--help"}).help);
  Options o = parse({"train", "--epochs", "bad", "--help"});
  EXPECT_TRUE(o.help);
  EXPECT_EQ(o.command, Command::Train);
  EXPECT_EQ(parse({"help", "predict"}).command, Command::Predict);
  std::string text = helpText(Command::Train, "./model");
  EXPECT_NE(text.find("--validation-split F"), std::string::npos);
  EXPECT_NE(text.find("default: 42"), std::string::npos);
  EXPECT_EQ(text.find("--input"), std::string::npos);
}

TEST(CliTest, Errors) {
  EXPECT_EQ(parseError({}), "missing command: expected train, evaluate, "
                            "predict or summary (see --help)");
  EXPECT_EQ(parseError({"fit"}), "unknown command 'fit': expected train, "
                                 "evaluate, predict or summary");
  EXPECT_EQ(parseError({"train", "--data", "d", "--epoch", "3"}),
            "unknown flag '--epoch' (see train --help)");
  EXPECT_EQ(parseError({"train", "--data"}), "--data: missing value DIR");
  EXPECT_EQ(parseError({"train", "--data", "d", "--epochs"}),
            "--epochs: missing value N");
  EXPECT_EQ(parseError({"train", "--checkpoint", "--quiet", "--data", "d"}),
            "--checkpoint: missing value FILE");
  EXPECT_EQ(parseError({"train", "--data", "d", "--epochs", "x"}),
            "--epochs: expected an integer >= 0, got 'x'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--epochs", "-1"}),
            "--epochs: expected an integer >= 0, got '-1'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--epochs", "3x"}),
            "--epochs: expected an integer >= 0, got '3x'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--epochs", " 3"}),
            "--epochs: expected an integer >= 0, got ' 3'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--batch-size", "0"}),
            "--batch-size: expected an integer >= 1, got '0'");
  EXPECT_EQ(
      parseError({"train", "--data", "d", "--epochs", "99999999999999999999"}),
      "--epochs: expected an integer >= 0, got '99999999999999999999'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--learning-rate", "fast"}),
            "--learning-rate: expected a number, got 'fast'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--learning-rate", "nan"}),
            "--learning-rate: expected a number, got 'nan'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--seed", "-5"}),
            "--seed: expected an integer from 0 to 18446744073709551615, "
            "got '-5'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--validation-split", "1"}),
            "--validation-split: expected a fraction in [0, 1), got '1'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--threads", "0"}),
            "--threads: expected an integer >= 1, got '0'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--quiet=yes"}),
            "--quiet takes no value");
  EXPECT_EQ(
      parseError({"train", "--data", "d", "--epochs", "1", "--epochs", "2"}),
      "--epochs given more than once");
  EXPECT_EQ(parseError({"train", "--data", "d", "extra"}),
            "unexpected argument 'extra' for train");
  EXPECT_EQ(parseError({"predict", "--checkpoint", "c", "--input", "x",
                        "--epochs", "2"}),
            "--epochs is not a flag of predict");
  EXPECT_EQ(parseError({"summary", "--data", "d"}),
            "--data is not a flag of summary");
}

TEST(CliTest, DataCombinations) {
  EXPECT_EQ(parseError({"train"}), "train needs training data: --data DIR, "
                                   "or --train-images FILE --train-labels "
                                   "FILE");
  EXPECT_EQ(parseError({"train", "--train-images", "a"}),
            "--train-images needs --train-labels");
  EXPECT_EQ(parseError({"train", "--data", "d", "--test-images", "a",
                        "--test-labels", "b"}),
            "--data cannot be combined with --train-images, --train-labels, "
            "--test-images or --test-labels");
  EXPECT_EQ(parseError({"train", "--train-images", "a", "--train-labels", "b",
                        "--test-labels", "c"}),
            "--test-labels needs --test-images");
  EXPECT_EQ(parseError({"evaluate", "--data", "d"}),
            "evaluate needs --checkpoint FILE");
  EXPECT_EQ(parseError({"evaluate", "--checkpoint", "c", "--train-images", "a",
                        "--train-labels", "b"}),
            "evaluate needs test data: --data DIR, or --test-images FILE "
            "--test-labels FILE");
  EXPECT_EQ(parseError({"predict", "--checkpoint", "c"}),
            "predict needs --input FILE");
  EXPECT_NE(parseError({"train", "--train-x", "x.npy"}).find("not supported"),
            std::string::npos);
}

} // namespace
