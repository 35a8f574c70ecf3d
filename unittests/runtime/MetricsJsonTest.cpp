//===- MetricsJsonTest.cpp - Tests of the metrics JSON lines --------------===//

#include "TestUtil.h"

#include "kiln/runtime/MetricsJson.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

TEST(MetricsJsonTest, Numbers) {
  EXPECT_EQ(formatJsonNumber(0.5), "0.5");
  EXPECT_EQ(formatJsonNumber(3), "3");
  EXPECT_EQ(formatJsonNumber(0.1), "0.1");
  EXPECT_EQ(formatJsonNumber(1e-9), "1e-09");
  EXPECT_EQ(formatJsonNumber(NAN), "null");
  EXPECT_EQ(formatJsonNumber(INFINITY), "null");
}

TEST(MetricsJsonTest, Strings) {
  EXPECT_EQ(quoteJsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(MetricsJsonTest, EpochRecord) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  EpochResult result;
  result.epoch = 2;
  result.train.loss = 0.25;
  result.train.metrics = {0.875};
  result.seconds = 1.5;
  result.samplesPerSecond = 40000;
  EXPECT_EQ(formatEpochRecord(model, result),
            "{\"epoch\":2,\"loss\":0.25,\"accuracy\":0.875,\"seconds\":1.5,"
            "\"samples_per_second\":40000}");
  result.hasValidation = true;
  result.validation.loss = 0.5;
  result.validation.metrics = {0.75};
  EXPECT_EQ(formatEpochRecord(model, result),
            "{\"epoch\":2,\"loss\":0.25,\"accuracy\":0.875,\"val_loss\":0.5,"
            "\"val_accuracy\":0.75,\"seconds\":1.5,"
            "\"samples_per_second\":40000}");
}

TEST(MetricsJsonTest, TestRecord) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  MetricValues result;
  result.loss = 0.375;
  result.metrics = {0.8712};
  EXPECT_EQ(formatTestRecord(model, result),
            "{\"test_loss\":0.375,\"test_accuracy\":0.8712}");
}

TEST(MetricsJsonTest, WriterPublishesOnlyOnCommit) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  MetricValues test;
  test.loss = 1;
  test.metrics = {0.5};
  {
    MetricsJsonWriter writer(model, path);
    EpochResult result;
    result.epoch = 1;
    result.train = test;
    writer.epochEnd(result);
    // Lines are visible in the temporary file while the run goes on.
    EXPECT_NE(readText(path + ".tmp").find("\"epoch\":1"), std::string::npos);
    EXPECT_FALSE(fileExists(path));
    writer.writeTestRecord(test);
    writer.commit();
  }
  EXPECT_FALSE(fileExists(path + ".tmp"));
  EXPECT_EQ(readText(path),
            "{\"epoch\":1,\"loss\":1,\"accuracy\":0.5,\"seconds\":0,"
            "\"samples_per_second\":0}\n"
            "{\"test_loss\":1,\"test_accuracy\":0.5}\n");
}

TEST(MetricsJsonTest, UncommittedWriterLeavesNothing) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  {
    MetricsJsonWriter writer(model, path);
    EpochResult result;
    result.train.metrics = {0.5};
    writer.epochEnd(result);
  }
  EXPECT_FALSE(fileExists(path));
  EXPECT_FALSE(fileExists(path + ".tmp"));
}

} // namespace
