//===- ProgressTest.cpp - Tests of the console progress format ------------===//

#include "TestUtil.h"

#include "kiln/runtime/Progress.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

TEST(ProgressTest, Bar) {
  EXPECT_EQ(formatBar(1875, 1875),
            "1875/1875 [==============================]");
  EXPECT_EQ(formatBar(0, 10), " 0/10 [..............................]");
  EXPECT_EQ(formatBar(5, 10), " 5/10 [==============>...............]");
}

TEST(ProgressTest, Values) {
  EXPECT_EQ(formatMetricValue(0.49751), "0.4975");
  EXPECT_EQ(formatMetricValue(0.0001), "1.0000e-04");
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  MetricValues values;
  values.loss = 0.4975;
  values.metrics = {0.8251};
  EXPECT_EQ(formatMetricList(model, "", values),
            " - loss: 0.4975 - accuracy: 0.8251");
  EXPECT_EQ(formatMetricList(model, "val_", values),
            " - val_loss: 0.4975 - val_accuracy: 0.8251");
}

TEST(ProgressTest, TimePerStep) {
  EXPECT_EQ(formatTimePerStep(2.4), "2s/step");
  EXPECT_EQ(formatTimePerStep(0.0021), "2ms/step");
  EXPECT_EQ(formatTimePerStep(0.00025), "250us/step");
}

TEST(ProgressTest, NonInteractivePrintsOneLinePerEpoch) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  TempDir dir;
  std::string path = dir.file("out.txt");
  std::FILE *out = std::fopen(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  {
    ConsoleReporter reporter(model, out, /*interactive=*/false);
    MeanTracker tracker(1);
    const float metric = 0.5f;
    tracker.add(1.0f, &metric, 4);
    reporter.epochBegin(1, 3, 2);
    reporter.trainStepEnd(1, 2, tracker);
    reporter.trainStepEnd(2, 2, tracker);
    EpochResult result;
    result.epoch = 1;
    result.train = tracker.mean();
    reporter.epochEnd(result);
  }
  std::fclose(out);
  std::string text = readText(path);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(
      text.rfind("Epoch 1/3\n2/2 [==============================] - 0s ", 0),
      0u)
      << text;
  EXPECT_NE(text.find("/step - loss: 1.0000 - accuracy: 0.5000\n"),
            std::string::npos)
      << text;
}

} // namespace
