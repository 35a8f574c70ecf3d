//===- ExecutableTest.cpp - Tests of a linked model executable ------------===//
//
// Runs kiln-tiny-model, which is TinyModel.o linked with libkiln_runtime.a
// exactly as kilnc links a generated object, and checks the command-line
// contract: output, files, exit status and error lines.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/checkpoint_generated.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <sstream>

extern char **environ;

using namespace kiln::test;

namespace {

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

/// Runs the model executable with `args`, capturing both output streams.
RunResult runModel(const TempDir &dir, std::vector<std::string> args) {
  args.insert(args.begin(), KILN_TINY_MODEL_PATH);
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(&arg[0]);
  argv.push_back(nullptr);
  std::string outPath = dir.file("stdout.txt"),
              errPath = dir.file("stderr.txt");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RunResult result;
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) ==
      0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = readText(outPath);
  result.err = readText(errPath);
  return result;
}

/// Expects exit status 1 and exactly one `error: ...` line containing
/// `fragment` on stderr.
void expectFailure(const RunResult &result, const std::string &fragment) {
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
      << result.err;
  EXPECT_NE(result.err.find(fragment), std::string::npos) << result.err;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> result;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    result.push_back(line);
  return result;
}

class ExecutableTest : public ::testing::Test {
protected:
  ExecutableTest() {
    writeSyntheticIdx(makeSeparableData(400, 1), dir.path(), "train", true);
    writeSyntheticIdx(makeSeparableData(100, 2), dir.path(), "t10k", false);
  }
  TempDir dir;
};

TEST_F(ExecutableTest, Summary) {
  RunResult result = runModel(dir, {"summary"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("Model: \"tiny_softmax\""), std::string::npos);
  EXPECT_NE(result.out.find("Total params: 15"), std::string::npos);
}

TEST_F(ExecutableTest, Help) {
  RunResult result = runModel(dir, {"train", "--help"});
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.out.find("--metrics-json FILE"), std::string::npos);
  EXPECT_TRUE(result.err.empty());
}

TEST_F(ExecutableTest, TrainWritesProgressMetricsAndCheckpoint) {
  std::string metrics = dir.file("m.jsonl");
  RunResult result =
      runModel(dir, {"train", "--data", dir.path(), "--epochs", "3",
                     "--metrics-json", metrics, "--validation-split", "0.25",
                     "--checkpoint", dir.file("c.ckpt")});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;
  std::vector<std::string> out = lines(result.out);
  // Per epoch: "Epoch i/3" and one progress line (stdout is not a terminal);
  // then the test evaluation line, the test loss and the test accuracy.
  ASSERT_EQ(out.size(), 9u) << result.out;
  EXPECT_EQ(out[0], "Epoch 1/3");
  EXPECT_EQ(out[1].rfind("38/38 [==============================] - ", 0), 0u)
      << out[1];
  EXPECT_NE(out[1].find(" - val_accuracy: "), std::string::npos);
  EXPECT_EQ(out[6].rfind("13/13 [=", 0), 0u) << out[6];
  EXPECT_EQ(out[7].rfind("Test loss: ", 0), 0u);
  EXPECT_EQ(out[8].rfind("Test accuracy: ", 0), 0u);
  EXPECT_EQ(result.out.find('\r'), std::string::npos);

  std::vector<std::string> records = lines(readText(metrics));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].rfind("{\"epoch\":1,\"loss\":", 0), 0u) << records[0];
  for (const char *key : {"\"accuracy\":", "\"val_loss\":", "\"val_accuracy\":",
                          "\"seconds\":", "\"samples_per_second\":"})
    EXPECT_NE(records[2].find(key), std::string::npos) << key;
  EXPECT_EQ(records[3].rfind("{\"test_loss\":", 0), 0u);
  EXPECT_NE(records[3].find(",\"test_accuracy\":"), std::string::npos);
  EXPECT_FALSE(fileExists(metrics + ".tmp"));
  EXPECT_TRUE(fileExists(dir.file("c.ckpt")));

  RunResult evaluated =
      runModel(dir, {"evaluate", "--checkpoint", dir.file("c.ckpt"),
                     "--test-images", dir.file("t10k-images-idx3-ubyte"),
                     "--test-labels", dir.file("t10k-labels-idx1-ubyte")});
  ASSERT_EQ(evaluated.status, 0) << evaluated.err;
  // Evaluating the checkpoint reproduces the test result of training.
  EXPECT_EQ(lines(evaluated.out).back(), out[8]);
}

TEST_F(ExecutableTest, ResumeEqualsStraightRunBitwise) {
  std::vector<std::string> common = {"--data", dir.path(), "--quiet", "--seed",
                                     "9"};
  auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"train"};
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult result = runModel(dir, args);
    EXPECT_EQ(result.status, 0) << result.err;
    return result;
  };
  train({"--epochs", "3", "--checkpoint", dir.file("straight.ckpt")});
  train({"--epochs", "2", "--checkpoint", dir.file("resumed.ckpt")});
  RunResult resumed =
      train({"--epochs", "3", "--resume", dir.file("resumed.ckpt"),
             "--checkpoint", dir.file("resumed.ckpt")});
  EXPECT_EQ(readBytes(dir.file("straight.ckpt")),
            readBytes(dir.file("resumed.ckpt")));
  // --quiet keeps only the final results.
  EXPECT_EQ(lines(resumed.out).size(), 2u) << resumed.out;
}

TEST_F(ExecutableTest, Predict) {
  ASSERT_EQ(runModel(dir, {"train", "--data", dir.path(), "--quiet",
                           "--checkpoint", dir.file("c.ckpt")})
                .status,
            0);
  RunResult result = runModel(
      dir, {"predict", "--checkpoint", dir.file("c.ckpt"), "--input",
            dir.file("t10k-images-idx3-ubyte"), "--output", dir.file("p.csv")});
  ASSERT_EQ(result.status, 0) << result.err;
  std::vector<std::string> rows = lines(readText(dir.file("p.csv")));
  ASSERT_EQ(rows.size(), 100u);
  // class,p0,p1,p2
  EXPECT_EQ(std::count(rows[0].begin(), rows[0].end(), ','), 3);
  EXPECT_TRUE(rows[0][0] >= '0' && rows[0][0] <= '2');

  RunResult toStdout =
      runModel(dir, {"predict", "--checkpoint", dir.file("c.ckpt"), "--input",
                     dir.file("t10k-images-idx3-ubyte")});
  EXPECT_EQ(toStdout.out, readText(dir.file("p.csv")));
}

TEST_F(ExecutableTest, BadFlags) {
  expectFailure(
      runModel(dir, {"train", "--data", dir.path(), "--batch-size", "0"}),
      "--batch-size: expected an integer >= 1, got '0'");
  expectFailure(
      runModel(dir, {"train", "--data", dir.path(), "--epochs", "-2"}),
      "--epochs");
  expectFailure(runModel(dir, {"train", "--data", dir.path(), "--bogus"}),
                "unknown flag '--bogus'");
  expectFailure(runModel(dir, {}), "missing command");
}

TEST_F(ExecutableTest, BadData) {
  expectFailure(runModel(dir, {"train", "--data", dir.file("nowhere")}),
                "no train-images-idx3-ubyte or train-images-idx3-ubyte.gz");

  writeGzip(dir.file("bad.gz"), idxBytes({2}, {0, 1}));
  expectFailure(
      runModel(dir, {"train", "--train-images", dir.file("bad.gz"),
                     "--train-labels", dir.file("train-labels-idx1-ubyte.gz")}),
      "bad.gz: expected magic 0x00000803, got 0x00000801");

  writeBytes(dir.file("labels5"),
             idxBytes({400}, std::vector<uint8_t>(400, 5)));
  expectFailure(runModel(dir, {"train", "--train-images",
                               dir.file("train-images-idx3-ubyte.gz"),
                               "--train-labels", dir.file("labels5")}),
                "labels5: label 5 of sample 0 is out of range for 3 classes");

  writeBytes(dir.file("wide"),
             idxBytes({2, 3, 3}, std::vector<uint8_t>(18, 1)));
  writeBytes(dir.file("two"), idxBytes({2}, {0, 1}));
  expectFailure(runModel(dir, {"train", "--train-images", dir.file("wide"),
                               "--train-labels", dir.file("two")}),
                "wide: samples have 9 elements but the model input (4,) "
                "has 4");

  expectFailure(runModel(dir, {"train", "--train-images",
                               dir.file("train-images-idx3-ubyte.gz"),
                               "--train-labels", dir.file("two")}),
                "has 400 images but");
}

TEST_F(ExecutableTest, FailedRunLeavesNoOutputFiles) {
  std::string metrics = dir.file("m.jsonl");
  RunResult result =
      runModel(dir, {"train", "--data", dir.path(), "--learning-rate", "3e38",
                     "--epochs", "50", "--metrics-json", metrics});
  expectFailure(result, "non-finite loss");
  EXPECT_NE(result.err.find(" at epoch "), std::string::npos);
  EXPECT_NE(result.err.find(", step "), std::string::npos);
  EXPECT_FALSE(fileExists(metrics));
  EXPECT_FALSE(fileExists(metrics + ".tmp"));
}

TEST_F(ExecutableTest, RefusesBadCheckpoint) {
  ASSERT_EQ(runModel(dir, {"train", "--data", dir.path(), "--quiet", "--epochs",
                           "1", "--checkpoint", dir.file("c.ckpt")})
                .status,
            0);
  std::vector<uint8_t> bytes = readBytes(dir.file("c.ckpt"));
  bytes.resize(bytes.size() - 9);
  writeBytes(dir.file("cut.ckpt"), bytes);
  expectFailure(runModel(dir, {"train", "--data", dir.path(), "--resume",
                               dir.file("cut.ckpt")}),
                "cut.ckpt: truncated checkpoint");
  bytes = readBytes(dir.file("c.ckpt"));
  bytes[bytes.size() / 2] ^= 1;
  writeBytes(dir.file("flipped.ckpt"), bytes);
  expectFailure(runModel(dir, {"evaluate", "--data", dir.path(), "--checkpoint",
                               dir.file("flipped.ckpt")}),
                "flipped.ckpt: checkpoint checksum mismatch");
  // Another model's checkpoint: a valid file with another fingerprint.
  bytes = readBytes(dir.file("c.ckpt"));
  bytes.resize(bytes.size() - 8);
  kiln::checkpoint::Checkpoint *root =
      kiln::checkpoint::GetMutableSizePrefixedCheckpoint(bytes.data());
  root->mutate_fingerprint(root->fingerprint() ^ 1);
  kiln::runtime::appendChecksum(bytes);
  writeBytes(dir.file("other.ckpt"), bytes);
  expectFailure(runModel(dir, {"evaluate", "--data", dir.path(), "--checkpoint",
                               dir.file("other.ckpt")}),
                "checkpoint belongs to another model");
}

} // namespace
