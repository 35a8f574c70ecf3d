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
  // Flags of other commands stay out of train's help.
  EXPECT_EQ(text.find("--format"), std::string::npos);
  EXPECT_NE(text.find("--input [NAME=]FILE"), std::string::npos);
}

TEST(CliTest, NamedInputsAndTargets) {
  Options o = parse({"train", "--input", "image=a.npy", "--input=extra=b.npy",
                     "--target", "label=c.npy", "--test-input", "image=d.npy",
                     "--test-target", "label=e.npy"});
  ASSERT_EQ(o.namedInputs.size(), 2u);
  EXPECT_EQ(o.namedInputs[1].name, "extra");
  EXPECT_EQ(o.namedInputs[1].path, "b.npy");
  ASSERT_EQ(o.namedTargets.size(), 1u);
  EXPECT_EQ(o.namedTargets[0].path, "c.npy");
  EXPECT_EQ(o.testInputs[0].name, "image");
  EXPECT_EQ(o.testTargets[0].name, "label");
  EXPECT_TRUE(o.hasTrainData());
  EXPECT_TRUE(o.hasTestData());
  // predict takes one unnamed file or named ones; a '/' before '=' keeps
  // a path whole.
  EXPECT_EQ(
      parse({"predict", "--checkpoint", "c", "--input", "d/x=1.npy"}).input,
      "d/x=1.npy");
  EXPECT_EQ(parseError({"train", "--input", "a.npy"}),
            "--input: expected NAME=FILE, got 'a.npy'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--target", "y=a.npy"}),
            "--target needs --input NAME=FILE for the model inputs");
  EXPECT_EQ(parseError({"train", "--data", "d", "--input", "x=a.npy"}),
            "give one source of training data: --data, --train-images, "
            "--train, --train-x or --input NAME=FILE");
  EXPECT_EQ(parseError({"predict", "--checkpoint", "c", "--input", "a.npy",
                        "--input", "x=b.npy"}),
            "predict takes --input FILE or --input NAME=FILE, not both");
  EXPECT_EQ(parseError({"train", "--test-target", "y=a.npy", "--data", "d"}),
            "--test-target needs --test-input NAME=FILE for the model inputs");
}

TEST(CliTest, Errors) {
  EXPECT_EQ(parseError({}), "missing command: expected train, evaluate, "
                            "predict, summary, export or frechet (see --help)");
  EXPECT_EQ(parseError({"fit"}), "unknown command 'fit': expected train, "
                                 "evaluate, predict, summary, export or "
                                 "frechet");
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
  // summary takes train's flags (the run whose memory to report), not
  // the other commands'.
  EXPECT_EQ(parseError({"summary", "--data", "d"}), "<no error>");
  EXPECT_EQ(parseError({"summary", "--output", "x"}),
            "--output is not a flag of summary");
  EXPECT_EQ(parseError({"train", "--data", "d", "--stream", "--no-stream"}),
            "--stream and --no-stream cannot be combined");
  EXPECT_EQ(parseError({"predict", "--input", "x", "--no-stream", "--stream"}),
            "--stream and --no-stream cannot be combined");
}

TEST(CliTest, DataCombinations) {
  EXPECT_EQ(parseError({"train"}),
            "train needs training data: --data DIR, --train-images FILE "
            "--train-labels FILE, --train FILE.csv or --train-x X.npy "
            "--train-y Y.npy");
  EXPECT_EQ(parseError({"train", "--train-images", "a"}),
            "--train-images needs --train-labels");
  EXPECT_EQ(parseError({"train", "--data", "d", "--test-images", "a",
                        "--test-labels", "b"}),
            "--data cannot be combined with --train-images, --train-labels, "
            "--test-images or --test-labels");
  EXPECT_EQ(parseError({"train", "--train-images", "a", "--train-labels", "b",
                        "--test-labels", "c"}),
            "--test-labels needs --test-images");
  EXPECT_EQ(parseError({"evaluate", "--checkpoint", "c", "--train-images", "a",
                        "--train-labels", "b"}),
            "evaluate needs test data: --data DIR, --test-images FILE "
            "--test-labels FILE, --test FILE.csv, --test-x X.npy "
            "--test-y Y.npy or --input NAME=FILE --target NAME=FILE");
  EXPECT_EQ(parseError({"predict", "--checkpoint", "c"}),
            "predict needs --input FILE (or --input NAME=FILE for each "
            "model input)");
  EXPECT_EQ(parseError({"train", "--train-x", "x.npy"}),
            "--train-x needs --train-y");
  EXPECT_EQ(parseError({"train", "--data", "d", "--train", "t.csv"}),
            "give one source of training data: --data, --train-images, "
            "--train, --train-x or --input NAME=FILE");
  EXPECT_EQ(parseError({"train", "--train", "t.csv", "--val-x", "x"}),
            "--val-x needs --val-y");
  EXPECT_EQ(parseError({"train", "--train", "t.csv", "--val", "v.csv",
                        "--validation-split", "0.1"}),
            "--validation-split cannot be combined with validation files");
}

TEST(CliTest, DataFlags) {
  Options o = parse({"train", "--train", "t.csv", "--test", "s.csv",
                     "--val", "v.csv", "--label-column", "3", "--delimiter",
                     ";", "--csv-header", "false", "--normalize",
                     "scale=0.5,offset=-1"});
  EXPECT_EQ(o.trainCsv, "t.csv");
  EXPECT_EQ(o.valCsv, "v.csv");
  EXPECT_EQ(o.labelColumn, 3);
  EXPECT_EQ(o.delimiter, ';');
  EXPECT_EQ(o.csvHeader, false);
  EXPECT_EQ(o.normalizeScale, 0.5f);
  EXPECT_EQ(o.normalizeOffset, -1.0f);
  EXPECT_TRUE(o.hasTestData());
  EXPECT_TRUE(o.hasValidationData());
  o = parse({"train", "--train-x", "x.npy", "--train-y", "y.npy",
             "--val-images", "a", "--val-labels", "b"});
  EXPECT_EQ(o.trainX, "x.npy");
  EXPECT_EQ(o.valImages, "a");
  EXPECT_EQ(parseError({"train", "--train", "t", "--delimiter", "ab"}),
            "--delimiter: expected one character (or 'tab'), got 'ab'");
  EXPECT_EQ(parseError({"train", "--train", "t", "--normalize", "mean=1"}),
            "--normalize: unknown key 'mean'; expected scale or offset");
}

TEST(CliTest, OptimizerFlags) {
  Options o = parse({"train", "--data", "d", "--optimizer", "RMSprop",
                     "--momentum", "0.5", "--centered", "true", "--rho",
                     "0.8", "--clipvalue", "1", "--weight-decay", "0.01"});
  EXPECT_EQ(o.optimizer.kind, KILN_OPTIMIZER_RMSPROP);
  EXPECT_EQ(*o.optimizer.momentum, 0.5f);
  EXPECT_EQ(*o.optimizer.centered, true);
  EXPECT_EQ(*o.optimizer.rho, 0.8f);
  EXPECT_EQ(*o.optimizer.clipvalue, 1.0f);
  EXPECT_EQ(*o.optimizer.weightDecay, 0.01f);
  EXPECT_EQ(parseError({"train", "--data", "d", "--optimizer", "lion"}),
            "--optimizer: unknown optimizer 'lion'; expected sgd, adam, "
            "adamw, rmsprop, adagrad, adadelta, adamax or nadam");
  EXPECT_EQ(parseError({"train", "--data", "d", "--clipnorm", "1",
                        "--global-clipnorm", "1"}),
            "--clipnorm and --global-clipnorm cannot be combined");
  EXPECT_EQ(parseError({"train", "--data", "d", "--nesterov", "maybe"}),
            "--nesterov: expected true or false, got 'maybe'");
}

TEST(CliTest, ScheduleAndCallbackFlags) {
  Options o = parse({"train", "--data", "d", "--lr-schedule",
                     "piecewise,boundaries=10:20,values=0.1:0.01:0.001",
                     "--early-stopping",
                     "monitor=val_accuracy,patience=2,min_delta=0.01,"
                     "restore_best_weights=true"});
  ASSERT_TRUE(o.schedule);
  EXPECT_EQ(o.schedule->kind, KILN_SCHEDULE_PIECEWISE_CONSTANT);
  EXPECT_EQ(o.schedule->boundaries, (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(o.schedule->values.size(), 3u);
  ASSERT_TRUE(o.earlyStopping);
  EXPECT_EQ(o.earlyStopping->monitor, "val_accuracy");
  EXPECT_EQ(o.earlyStopping->patience, 2);
  EXPECT_DOUBLE_EQ(o.earlyStopping->minDelta, 0.01);
  EXPECT_TRUE(o.earlyStopping->restoreBestWeights);
  o = parse({"train", "--data", "d", "--lr-schedule",
             "cosine,decay_steps=100,warmup_target=0.1,warmup_steps=10"});
  EXPECT_EQ(o.schedule->kind, KILN_SCHEDULE_COSINE_DECAY);
  EXPECT_EQ(*o.schedule->warmupTarget, 0.1f);
  o = parse({"train", "--data", "d", "--reduce-lr-on-plateau",
             "factor=0.5,patience=1"});
  EXPECT_DOUBLE_EQ(o.plateau->factor, 0.5);
  EXPECT_EQ(parseError({"train", "--data", "d", "--lr-schedule",
                        "exponential,decay_rate=0.5"}),
            "--lr-schedule: exponential needs decay_steps=N");
  EXPECT_EQ(parseError({"train", "--data", "d", "--early-stopping",
                        "patience=x"}),
            "--early-stopping patience: expected an integer >= 0, got 'x'");
  EXPECT_EQ(parseError({"train", "--data", "d", "--lr-schedule",
                        "exponential,decay_steps=5,decay_rate=0.5",
                        "--reduce-lr-on-plateau", "patience=1"}),
            "--reduce-lr-on-plateau needs a constant learning rate, not "
            "--lr-schedule");
}

} // namespace

TEST(CliTest, FrechetFlags) {
  Options o =
      parse({"frechet", "--checkpoint", "c", "--input", "g=1.npy",
             "--reference", "r.npy", "--output", "features", "--max-samples",
             "100", "--normalize", "scale=127.5,offset=127.5",
             "--reference-normalize", "scale=2", "--metrics-json", "m.json"});
  EXPECT_EQ(o.command, Command::Frechet);
  // One file, even with '=' in its name: frechet measures a single input.
  EXPECT_EQ(o.input, "g=1.npy");
  EXPECT_TRUE(o.namedInputs.empty());
  EXPECT_EQ(o.reference, "r.npy");
  EXPECT_EQ(o.output, "features");
  EXPECT_EQ(o.maxPredictSamples, 100);
  EXPECT_FLOAT_EQ(o.normalizeScale, 127.5f);
  EXPECT_FLOAT_EQ(o.normalizeOffset, 127.5f);
  EXPECT_FLOAT_EQ(o.referenceScale, 2.0f);
  EXPECT_FLOAT_EQ(o.referenceOffset, 0.0f);
  EXPECT_EQ(o.metricsJson, "m.json");

  // --test-images and --data name the reference set; no labels needed.
  EXPECT_EQ(parse({"frechet", "--input", "a", "--test-images", "t"}).testImages,
            "t");
  EXPECT_EQ(parse({"frechet", "--input", "a", "--data", "d"}).dataDir, "d");

  EXPECT_EQ(parseError({"frechet", "--reference", "r"}),
            "frechet needs --input FILE (the samples to measure)");
  EXPECT_EQ(parseError({"frechet", "--input", "a"}),
            "frechet needs one reference set: --reference FILE, "
            "--test-images FILE or --data DIR");
  EXPECT_EQ(parseError(
                {"frechet", "--input", "a", "--reference", "r", "--data", "d"}),
            "frechet needs one reference set: --reference FILE, "
            "--test-images FILE or --data DIR");
  EXPECT_EQ(parseError({"frechet", "--input", "a", "--reference", "r",
                        "--epochs", "2"}),
            "--epochs is not a flag of frechet");
  EXPECT_EQ(parseError({"predict", "--input", "a", "--reference", "r"}),
            "--reference is not a flag of predict");
  EXPECT_EQ(parseError({"frechet", "--input", "a", "--reference", "r",
                        "--reference-normalize", "shift=1"}),
            "--reference-normalize: unknown key 'shift'; expected scale or "
            "offset");
}
