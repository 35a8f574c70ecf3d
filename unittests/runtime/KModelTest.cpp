//===- KModelTest.cpp - Tests of `export --format kmodel` -----------------===//

#include "TestUtil.h"

#include "kiln/runtime/Error.h"
#include "kiln/runtime/KModel.h"
#include "kiln/runtime/model_generated.h"

#include <gtest/gtest.h>

#include <limits>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// A small description as kilnc embeds it: no weights.
std::string description() {
  kiln::fb::ModelT model;
  model.name = "tiny";
  auto input = std::make_unique<kiln::fb::InputT>();
  input->name = "x";
  input->shape = {4};
  model.inputs.push_back(std::move(input));
  auto layer = std::make_unique<kiln::fb::LayerT>();
  layer->name = "dense";
  layer->class_name = "Dense";
  layer->units = 3;
  model.layers.push_back(std::move(layer));
  flatbuffers::FlatBufferBuilder builder;
  kiln::fb::FinishModelBuffer(builder, kiln::fb::Model::Pack(builder, &model));
  return std::string(reinterpret_cast<const char *>(builder.GetBufferPointer()),
                     builder.GetSize());
}

std::string errorOf(const std::string &bytes,
                    const std::vector<NamedTensor> &weights) {
  try {
    buildKModel(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                weights);
  } catch (const Error &error) {
    return error.what();
  }
  return "";
}

TEST(KModelTest, AddsTheWeightsToTheDescription) {
  std::string desc = description();
  const float kernel[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -0.5f};
  const float bias[3] = {0.25f, 0, -1};
  std::string bytes = buildKModel(
      reinterpret_cast<const uint8_t *>(desc.data()), desc.size(),
      {{"dense/kernel", {4, 3}, kernel}, {"dense/bias", {3}, bias}});
  std::vector<uint8_t> aligned(bytes.begin(), bytes.end());
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  ASSERT_TRUE(kiln::fb::VerifyModelBuffer(verifier));
  ASSERT_TRUE(kiln::fb::ModelBufferHasIdentifier(aligned.data()));
  std::unique_ptr<kiln::fb::ModelT> model(
      kiln::fb::GetModel(aligned.data())->UnPack());
  EXPECT_EQ(model->name, "tiny");
  ASSERT_EQ(model->layers.size(), 1u);
  EXPECT_EQ(model->layers[0]->units, 3);
  ASSERT_EQ(model->weights.size(), 2u);
  EXPECT_EQ(model->weights[0]->name, "dense/kernel");
  EXPECT_EQ(model->weights[0]->shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(model->weights[0]->data, std::vector<float>(kernel, kernel + 12));
  EXPECT_EQ(model->weights[1]->name, "dense/bias");
  EXPECT_EQ(model->weights[1]->data, std::vector<float>(bias, bias + 3));

  // Exporting again replaces the weights rather than adding to them.
  std::string again =
      buildKModel(aligned.data(), aligned.size(), {{"dense/bias", {3}, bias}});
  std::vector<uint8_t> alignedAgain(again.begin(), again.end());
  model.reset(kiln::fb::GetModel(alignedAgain.data())->UnPack());
  ASSERT_EQ(model->weights.size(), 1u);
  EXPECT_EQ(model->weights[0]->name, "dense/bias");
}

TEST(KModelTest, Errors) {
  const float bias[3] = {0, 1, 2};
  EXPECT_EQ(errorOf("", {}),
            "this executable embeds no model description (it was compiled "
            "without one); export --format kmodel needs it, use --format npz");
  std::string desc = description();
  EXPECT_EQ(errorOf(desc.substr(0, desc.size() / 2), {}),
            "model descriptor: the embedded model description (" +
                std::to_string(desc.size() / 2) + " bytes) is corrupt");
  const float nan[1] = {std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(errorOf(desc, {{"dense/bias", {3}, bias}, {"bad", {1}, nan}}),
            "parameter 'bad': element 0 is not finite; refusing to export it");
}

TEST(KModelTest, WritesAtomically) {
  TempDir dir;
  std::string desc = description();
  const float bias[3] = {0, 1, 2};
  writeKModel(dir.file("m.kmodel"),
              reinterpret_cast<const uint8_t *>(desc.data()), desc.size(),
              {{"dense/bias", {3}, bias}});
  EXPECT_TRUE(fileExists(dir.file("m.kmodel")));
  EXPECT_FALSE(fileExists(dir.file("m.kmodel.tmp")));
  std::string text = readText(dir.file("m.kmodel"));
  EXPECT_EQ(text.substr(4, 4), "KILN");
}

} // namespace
