//===- NamedDataTest.cpp - Data of models with several inputs and outputs -===//

#include "TestUtil.h"

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/NamedData.h"
#include "kiln/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// A descriptor with inputs "image" (2 x 2 floats) and "extra" (3 int32s),
/// and outputs "label" (4 classes) and "score" (2 float targets).
class NamedDataTest : public ::testing::Test {
protected:
  NamedDataTest() {
    desc = makeTestDesc(4, 4);
    inputs[0] = {"image", 2, {2, 2}, KILN_DTYPE_F32};
    inputs[1] = {"extra", 1, {3}, KILN_DTYPE_I32};
    outputs[0] = {"label",
                  1,
                  {4},
                  KILN_DTYPE_I32,
                  0,
                  {},
                  "sparse_categorical_crossentropy",
                  1.0f};
    outputs[1] = {"score", 1, {2}, KILN_DTYPE_F32, 1, {2}, "mean_squared_error",
                  0.5f};
    desc.num_inputs = 2;
    desc.inputs = inputs;
    desc.num_outputs = 2;
    desc.outputs = outputs;
    // Three samples per file; sample i's values are made from i.
    std::vector<float> image, extra, label, score;
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 4; ++j)
        image.push_back(float(10 * i + j));
      for (int j = 0; j < 3; ++j)
        extra.push_back(float(100 * i + j));
      label.push_back(float(3 - i));
      score.push_back(0.5f * i);
      score.push_back(-0.25f * i);
    }
    writeNpy(dir.file("image.npy"), {3, 2, 2}, image.data());
    writeNpy(dir.file("extra.npy"), {3, 3}, extra.data());
    writeNpy(dir.file("label.npy"), {3}, label.data());
    writeNpy(dir.file("score.npy"), {3, 2}, score.data());
    writeNpy(dir.file("short.npy"), {2, 3}, extra.data());
  }

  std::vector<NamedFile> files(std::initializer_list<const char *> names) {
    std::vector<NamedFile> result;
    for (const char *name : names)
      result.push_back({name, dir.file(std::string(name) + ".npy")});
    return result;
  }

  /// The message of the Error loadNamedData throws.
  std::string loadError(const std::vector<NamedFile> &in,
                        const std::vector<NamedFile> &out) {
    ModelInfo model(desc);
    try {
      loadNamedData(model, {in, out, "--input", "--target"}, true, -1, false);
    } catch (const Error &error) {
      return error.what();
    }
    return "<no error>";
  }

  TempDir dir;
  KilnModelDesc desc;
  KilnInputDesc inputs[2];
  KilnOutputDesc outputs[2];
};

TEST_F(NamedDataTest, LoadsEveryArrayInModelOrder) {
  ModelInfo model(desc);
  // Given in another order than the model's.
  std::vector<NamedFile> in = files({"extra", "image"});
  std::vector<NamedFile> out = files({"score", "label"});
  Dataset data =
      loadNamedData(model, {in, out, "--input", "--target"}, true, -1, false);
  ASSERT_EQ(data.count, 3);
  EXPECT_EQ(data.floats[5], 11.0f); // image: sample 1, element 1
  EXPECT_EQ(data.labels, (std::vector<int32_t>{3, 2, 1}));
  ASSERT_EQ(data.moreInputs.size(), 1u);
  ASSERT_EQ(data.moreLabels.size(), 1u);
  // extra is int32, score float: each stored as its 4-byte word.
  EXPECT_EQ(int32_t(data.moreInputs[0].words[3]), 100);
  float score;
  std::memcpy(&score, &data.moreLabels[0].words[4], sizeof score);
  EXPECT_EQ(score, 1.0f);
}

TEST_F(NamedDataTest, BatchesGatherEveryColumn) {
  ModelInfo model(desc);
  Dataset data =
      loadNamedData(model,
                    {files({"image", "extra"}), files({"label", "score"}),
                     "--input", "--target"},
                    true, -1, false);
  // A slice and a gather keep the columns in step with input 0.
  DataView tail = DataView(data).slice(1, 2);
  BatchBuffers batch(model, 2);
  const int64_t order[] = {1, 0};
  batch.gather(tail, order, 2);
  const float *image = static_cast<const float *>(batch.input(0));
  const int32_t *extra = static_cast<const int32_t *>(batch.input(1));
  const int32_t *label = static_cast<const int32_t *>(batch.labels(0));
  const float *score = static_cast<const float *>(batch.labels(1));
  EXPECT_EQ(image[0], 20.0f); // sample 2 first
  EXPECT_EQ(image[4], 10.0f);
  EXPECT_EQ(extra[0], 200);
  EXPECT_EQ(extra[3], 100);
  EXPECT_EQ(label[0], 1);
  EXPECT_EQ(label[1], 2);
  EXPECT_EQ(score[0], 1.0f);
  EXPECT_EQ(score[3], -0.25f);
}

TEST_F(NamedDataTest, RefusesWhatDoesNotFit) {
  EXPECT_EQ(loadError(files({"image"}), files({"label", "score"})),
            "no data for the model input 'extra': give --input "
            "extra=FILE.npy");
  EXPECT_NE(
      loadError(files({"image", "extra", "score"}), files({"label", "score"}))
          .find("the model has no input 'score'; its inputs are "
                "'image', 'extra'"),
      std::string::npos);
  std::vector<NamedFile> twice = files({"image", "extra", "extra"});
  EXPECT_EQ(loadError(twice, files({"label", "score"})),
            "--input extra: given twice");
  std::vector<NamedFile> shortExtra = files({"image"});
  shortExtra.push_back({"extra", dir.file("short.npy")});
  EXPECT_NE(loadError(shortExtra, files({"label", "score"}))
                .find("short.npy holds 2 samples but"),
            std::string::npos);
  // Float targets of another width than the output.
  std::vector<NamedFile> badLabels = files({"label"});
  badLabels.push_back({"score", dir.file("extra.npy")});
  EXPECT_NE(loadError(files({"image", "extra"}), badLabels)
                .find("targets have 3 elements per sample but the model "
                      "output 'score'"),
            std::string::npos);
}

} // namespace
