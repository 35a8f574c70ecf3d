//===- TargetFromInputTest.cpp - `--target input` (autoencoders) ----------===//

#include "TestUtil.h"

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/TargetFromInput.h"

#include <gtest/gtest.h>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// A descriptor of `inputs` float inputs and `outputs` float targets under
/// `loss`; the output descriptor lives in `output`.
KilnModelDesc floatTargetDesc(int64_t inputs, int64_t outputs, const char *loss,
                              KilnOutputDesc &output) {
  KilnModelDesc desc = makeTestDesc(inputs, outputs);
  desc.label_dtype = KILN_DTYPE_F32;
  desc.target_rank = 1;
  desc.target_shape[0] = outputs;
  desc.loss_name = loss;
  output = desc.outputs[0];
  output.label_dtype = KILN_DTYPE_F32;
  output.target_rank = 1;
  output.target_shape[0] = outputs;
  output.loss_name = loss;
  desc.outputs = &output;
  return desc;
}

std::string errorOf(const std::function<void()> &run) {
  try {
    run();
  } catch (const Error &error) {
    return error.what();
  }
  return "<no error>";
}

TEST(TargetFromInputTest, ModelChecks) {
  KilnOutputDesc output;
  KilnModelDesc desc = floatTargetDesc(4, 4, "mean_squared_error", output);
  ModelInfo model(desc);
  EXPECT_EQ(errorOf([&] { checkTargetFromInput(model); }), "<no error>");

  KilnOutputDesc narrow;
  KilnModelDesc other = floatTargetDesc(4, 3, "mean_squared_error", narrow);
  ModelInfo mismatch(other);
  EXPECT_EQ(errorOf([&] { checkTargetFromInput(mismatch); }),
            "--target input: the output dense (3,) has 3 elements but the "
            "input x (4,) has 4");

  KilnModelDesc sparse = makeTestDesc(4, 4);
  ModelInfo classifier(sparse);
  EXPECT_EQ(errorOf([&] { checkTargetFromInput(classifier); }),
            "--target input: the loss of output dense "
            "(sparse_categorical_crossentropy) takes class labels; an "
            "autoencoder needs a loss of float targets (mse, mae, huber, "
            "binary_crossentropy)");
}

TEST(TargetFromInputTest, TargetsAreTheNormalizedInputs) {
  KilnOutputDesc output;
  KilnModelDesc desc = floatTargetDesc(2, 2, "mean_squared_error", output);
  ModelInfo model(desc);
  Dataset data;
  data.count = 3;
  data.sampleElements = 2;
  data.inputs = {0, 51, 102, 153, 204, 255};
  BatchBuffers batch(model, 4);
  batch.setNormalization(0.5f, 1.0f);
  batch.setTargetFromInput(true);
  const int64_t indices[] = {2, 0};
  batch.gather(DataView(data), indices, 2);
  const float *x = static_cast<const float *>(batch.inputs());
  const float *y = static_cast<const float *>(batch.labels());
  const std::vector<float> expected = {103.0f, 128.5f, 1.0f, 26.5f};
  EXPECT_EQ(std::vector<float>(x, x + 4), expected);
  EXPECT_EQ(std::vector<float>(y, y + 4), expected);
  // Without the setting, a data set without targets leaves y alone.
  BatchBuffers plain(model, 4);
  plain.gatherRange(DataView(data), 1, 1);
  const float *z = static_cast<const float *>(plain.labels());
  EXPECT_EQ(z[0], 0.0f);
}

TEST(TargetFromInputTest, BinaryCrossEntropyNeedsUnitTargets) {
  KilnOutputDesc output;
  KilnModelDesc desc = floatTargetDesc(2, 2, "binary_crossentropy", output);
  ModelInfo model(desc);
  Dataset data;
  data.count = 2;
  data.sampleElements = 2;
  data.inputs = {0, 3, 255, 9};
  EXPECT_EQ(
      errorOf([&] { checkInputTargets(model, data, 1.0f, 0.0f, "x.idx"); }),
      "x.idx: --target input with binary_crossentropy needs targets "
      "in [0, 1], but the inputs (after --normalize) range over "
      "[0, 255]; for pixels give --normalize scale=0.00392156862745");
  EXPECT_EQ(errorOf([&] {
              checkInputTargets(model, data, 1.0f / 255.0f, 0.0f, "x.idx");
            }),
            "<no error>");
  // Float inputs, and an offset that leaves the range.
  Dataset floats;
  floats.count = 1;
  floats.sampleElements = 2;
  floats.floatInputs = true;
  floats.floats = {0.0f, 1.0f};
  EXPECT_EQ(
      errorOf([&] { checkInputTargets(model, floats, 1.0f, 0.0f, "x.npy"); }),
      "<no error>");
  EXPECT_NE(errorOf([&] {
              checkInputTargets(model, floats, 2.0f, -1.0f, "x.npy");
            }).find("range over [-1, 1]"),
            std::string::npos);
}

TEST(TargetFromInputTest, CommandLine) {
  const char *train[] = {"model", "train",    "--train-images",
                         "x.idx", "--target", "input"};
  Options options = parseCommandLine(6, train);
  EXPECT_TRUE(options.targetFromInput);
  EXPECT_TRUE(options.trainLabels.empty());
  // Without --target input the labels are still required.
  EXPECT_EQ(errorOf([&] { parseCommandLine(4, train); }),
            "--train-images needs --train-labels");
  const char *labels[] = {"model",     "train", "--train-x", "x.npy",
                          "--train-y", "y.npy", "--target",  "input"};
  EXPECT_EQ(errorOf([&] { parseCommandLine(8, labels); }),
            "--target input takes the targets from the inputs; --train-y is "
            "not read");
  const char *predict[] = {
      "model",    "predict",       "--input",       "x.npy",
      "--output", "o.png",         "--with-inputs", "--grid-columns",
      "4",        "--pixel-range", "tanh",          "--max-samples",
      "8"};
  Options png = parseCommandLine(13, predict);
  EXPECT_TRUE(png.withInputs);
  EXPECT_EQ(png.gridColumns, 4);
  EXPECT_EQ(png.pixelRange, "tanh");
  EXPECT_EQ(png.maxPredictSamples, 8);
  predict[5] = "o.csv";
  EXPECT_EQ(errorOf([&] { parseCommandLine(13, predict); }),
            "--with-inputs, --grid-columns and --pixel-range need --output "
            "FILE.png");
  const char *range[] = {"model", "predict",       "--input",
                         "x.npy", "--pixel-range", "sigmoid"};
  EXPECT_EQ(errorOf([&] { parseCommandLine(6, range); }),
            "--pixel-range: expected auto, unit, tanh or minmax, got "
            "'sigmoid'");
}

} // namespace
