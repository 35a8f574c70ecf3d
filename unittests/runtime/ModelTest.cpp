//===- ModelTest.cpp - Tests of descriptor validation and summary ---------===//

#include "TestUtil.h"

#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Summary.h"

#include <gtest/gtest.h>

#include <string>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

std::string validationError(const KilnModelDesc &desc) {
  try {
    ModelInfo model(desc);
  } catch (const Error &error) {
    return error.what();
  }
  return "<no error>";
}

TEST(ModelTest, DerivedSizes) {
  KilnModelDesc desc = makeTestDesc(784, 10);
  ModelInfo model(desc);
  EXPECT_EQ(model.paramElements(0), 7840);
  EXPECT_EQ(model.paramElements(1), 10);
  EXPECT_EQ(model.totalParamElements(), 7850);
  EXPECT_EQ(model.inputElements(), 784);
  EXPECT_EQ(model.numClasses(), 10);
}

TEST(ModelTest, RejectsOtherAbiVersion) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  desc.abi_version = KILN_ABI_VERSION + 1;
  EXPECT_EQ(validationError(desc),
            "model was compiled for runtime ABI version " +
                std::to_string(KILN_ABI_VERSION + 1) +
                ", this runtime implements version " +
                std::to_string(KILN_ABI_VERSION));
}

TEST(ModelTest, RejectsMalformedDescriptors) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  desc.train_step = nullptr;
  EXPECT_EQ(validationError(desc), "model descriptor: missing entry point");

  desc = makeTestDesc(4, 3);
  desc.input_rank = KILN_MAX_RANK + 1;
  EXPECT_EQ(validationError(desc),
            "model descriptor: input has rank " +
                std::to_string(KILN_MAX_RANK + 1) + ", expected 0.." +
                std::to_string(KILN_MAX_RANK));

  desc = makeTestDesc(4, 3);
  desc.output_shape[0] = 0;
  EXPECT_EQ(validationError(desc),
            "model descriptor: output has dimension 0 of size 0");

  desc = makeTestDesc(4, 3);
  desc.label_dtype = 7;
  EXPECT_EQ(validationError(desc), "model descriptor: unknown label dtype 7");

  // Float targets must have the output's shape.
  desc = makeTestDesc(4, 3);
  desc.label_dtype = KILN_DTYPE_F32;
  EXPECT_NE(validationError(desc).find("label dtype f32"), std::string::npos);
  desc.target_rank = desc.output_rank;
  std::copy(desc.output_shape, desc.output_shape + KILN_MAX_RANK,
            desc.target_shape);
  EXPECT_EQ(validationError(desc), "<no error>");

  desc = makeTestDesc(4, 3);
  desc.optimizer.kind = 9;
  EXPECT_EQ(validationError(desc), "model descriptor: unknown optimizer 9");
}

TEST(ModelTest, RejectsBadInitializers) {
  // makeTestDesc's parameters live in static storage: copy before editing.
  KilnModelDesc desc = makeTestDesc(4, 3);
  KilnParamDesc params[2] = {desc.params[0], desc.params[1]};
  desc.params = params;
  params[0].initializer = 42;
  EXPECT_EQ(validationError(desc),
            "model descriptor: parameter 'dense/kernel' has unknown "
            "initializer 42");

  params[0].initializer = KILN_INIT_VARIANCE_SCALING;
  params[0].init_args.scale = 2.0f;
  params[0].init_args.mode = KILN_FAN_AVG;
  EXPECT_EQ(validationError(desc), "<no error>");
  params[0].init_args.mode = 3;
  EXPECT_EQ(validationError(desc),
            "model descriptor: parameter 'dense/kernel' has bad arguments "
            "for initializer 9");

  params[0].initializer = KILN_INIT_RANDOM_NORMAL;
  params[0].init_args.stddev = -1.0f;
  EXPECT_NE(validationError(desc), "<no error>");
  params[0].initializer = KILN_INIT_RANDOM_UNIFORM;
  params[0].init_args.minval = 1.0f;
  params[0].init_args.maxval = 0.0f;
  EXPECT_NE(validationError(desc), "<no error>");
  // Identity needs a matrix.
  params[1].initializer = KILN_INIT_IDENTITY;
  params[0].initializer = KILN_INIT_ZEROS;
  EXPECT_EQ(validationError(desc),
            "model descriptor: parameter 'dense/bias' has bad arguments for "
            "initializer 10");
}

TEST(ModelTest, StateParamsMustBeFrozen) {
  // State (BatchNormalization's moving averages) is replaced by the step's
  // outputs; the optimizer must skip it, so it is always frozen too.
  KilnModelDesc desc = makeTestDesc(4, 3);
  KilnParamDesc params[2] = {desc.params[0], desc.params[1]};
  desc.params = params;
  params[1].state = 1;
  EXPECT_EQ(validationError(desc),
            "model descriptor: parameter 'dense/bias' has state 1 (frozen "
            "0), expected 0, or 1 with frozen 1");
  params[1].frozen = 1;
  EXPECT_EQ(validationError(desc), "<no error>");
  params[1].state = 2;
  EXPECT_NE(validationError(desc), "<no error>");
}

TEST(ModelTest, Shapes) {
  const int64_t shape[] = {-1, 28, 28};
  EXPECT_EQ(formatShape(3, shape), "(None, 28, 28)");
  EXPECT_EQ(formatShape(1, shape + 1), "(28,)");
  EXPECT_EQ(formatShape(0, shape), "()");
}

TEST(ModelTest, Summary) {
  KilnModelDesc desc = makeTestDesc(784, 10);
  ModelInfo model(desc);
  std::string text = formatSummary(model);
  EXPECT_EQ(formatWithCommas(101770), "101,770");
  EXPECT_EQ(formatWithCommas(12), "12");
  EXPECT_NE(text.find("Model: \"test_model\""), std::string::npos) << text;
  EXPECT_NE(text.find(" Layer (type)                Output Shape"
                      "              Param #\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" dense (Dense)               (None, 10)"
                      "                7850\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Total params: 7,850\n"), std::string::npos);
  EXPECT_NE(text.find("Trainable params: 7,850\n"), std::string::npos);
  // float32 parameters, gradients, and Adam's two slots.
  EXPECT_NE(text.find("parameters:      31,400 bytes"), std::string::npos);
  EXPECT_NE(text.find("gradients:       31,400 bytes"), std::string::npos);
  EXPECT_NE(text.find("optimizer state: 62,800 bytes"), std::string::npos);
}

} // namespace
