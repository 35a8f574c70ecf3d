//===- StreamPolicyTest.cpp - Tests of the automatic streaming rule -------===//

#include "TestUtil.h"

#include "kiln/runtime/Error.h"
#include "kiln/runtime/StreamPolicy.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// Sets KILN_STREAM_THRESHOLD for one test.
class ThresholdOverride {
public:
  explicit ThresholdOverride(const char *value) {
    ::setenv("KILN_STREAM_THRESHOLD", value, 1);
  }
  ~ThresholdOverride() { ::unsetenv("KILN_STREAM_THRESHOLD"); }
};

TEST(StreamPolicyTest, ParsesMemAvailable) {
  EXPECT_EQ(parseMemAvailable("MemTotal:       16318196 kB\n"
                              "MemFree:         1021032 kB\n"
                              "MemAvailable:    9876543 kB\n"),
            std::optional<uint64_t>(uint64_t(9876543) * 1024));
  EXPECT_EQ(parseMemAvailable("MemTotal: 1 kB\n"), std::nullopt);
  EXPECT_EQ(parseMemAvailable(""), std::nullopt);
}

TEST(StreamPolicyTest, ContentSizeReadsTheGzipTrailer) {
  TempDir dir;
  std::vector<uint8_t> bytes(100000, 7);
  writeBytes(dir.file("plain"), bytes);
  writeGzip(dir.file("packed.gz"), bytes);
  EXPECT_EQ(contentSize(dir.file("plain")), 100000u);
  EXPECT_EQ(contentSize(dir.file("packed.gz")), 100000u);
  // A file that merely starts like gzip but is too short stays as it is.
  writeBytes(dir.file("short"), {0x1f, 0x8b, 1});
  EXPECT_EQ(contentSize(dir.file("short")), 3u);
  try {
    contentSize(dir.file("missing"));
    FAIL() << "no error for a missing file";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("missing: cannot open"),
              std::string::npos)
        << error.what();
  }
}

TEST(StreamPolicyTest, EstimatesPerFormat) {
  TempDir dir;
  writeBytes(dir.file("f"), std::vector<uint8_t>(1000, 1));
  EXPECT_EQ(estimateLoadBytes({dir.file("f"), DataFormat::Idx}), 1000u);
  EXPECT_EQ(estimateLoadBytes({dir.file("f"), DataFormat::Npy}), 3000u);
  EXPECT_EQ(estimateLoadBytes({dir.file("f"), DataFormat::Csv}), 5000u);
}

TEST(StreamPolicyTest, DecidesByTheThreshold) {
  TempDir dir;
  writeBytes(dir.file("a"), std::vector<uint8_t>(1000, 1));
  writeBytes(dir.file("b"), std::vector<uint8_t>(500, 1));
  std::vector<DataFile> files = {{dir.file("a"), DataFormat::Idx},
                                 {dir.file("b"), DataFormat::Idx}};
  {
    ThresholdOverride threshold("1500");
    StreamDecision decision = decideStreaming(std::nullopt, files);
    EXPECT_FALSE(decision.stream);
    EXPECT_EQ(decision.estimate, 1500u);
    EXPECT_EQ(decision.threshold, 1500u);
  }
  {
    ThresholdOverride threshold("1499");
    StreamDecision decision = decideStreaming(std::nullopt, files);
    EXPECT_TRUE(decision.stream);
    EXPECT_TRUE(decision.automatic);
    // The flags win over the rule.
    EXPECT_FALSE(decideStreaming(false, files).stream);
    EXPECT_TRUE(decideStreaming(true, files).stream);
    EXPECT_FALSE(decideStreaming(true, files).automatic);
  }
  {
    ThresholdOverride threshold("12x");
    try {
      decideStreaming(std::nullopt, files);
      FAIL() << "no error for a bad threshold";
    } catch (const Error &error) {
      EXPECT_EQ(std::string(error.what()),
                "KILN_STREAM_THRESHOLD: expected a number of bytes, got "
                "'12x'");
    }
  }
  // Without the override, the machine's memory decides: a few bytes never
  // stream.
  EXPECT_FALSE(decideStreaming(std::nullopt, files).stream);
}

} // namespace
