//===- DataTest.cpp - Tests of the IDX readers ----------------------------===//

#include "TestUtil.h"

#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Model.h"

#include <gtest/gtest.h>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// Runs `body`, expecting an Error whose message contains every fragment.
template <typename Body>
void expectError(Body body, std::initializer_list<std::string> fragments) {
  try {
    body();
    ADD_FAILURE() << "expected an error";
  } catch (const Error &error) {
    std::string message = error.what();
    for (const std::string &fragment : fragments)
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "'" << fragment << "' not in: " << message;
  }
}

std::vector<uint8_t> sequence(size_t count) {
  std::vector<uint8_t> data(count);
  for (size_t i = 0; i < count; ++i)
    data[i] = static_cast<uint8_t>(i * 7);
  return data;
}

TEST(DataTest, ReadsPlainAndGzipIdentically) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({3, 2, 5}, sequence(30));
  writeBytes(dir.file("plain"), bytes);
  writeGzip(dir.file("packed.gz"), bytes);
  for (const char *name : {"plain", "packed.gz"}) {
    IdxData data = readIdxFile(dir.file(name), 3);
    EXPECT_EQ(data.dims, (std::vector<int64_t>{3, 2, 5}));
    EXPECT_EQ(data.itemsRead, 3);
    EXPECT_EQ(data.itemElements(), 10);
    EXPECT_EQ(data.bytes, sequence(30));
  }
}

TEST(DataTest, MaxItemsReadsPrefix) {
  TempDir dir;
  writeGzip(dir.file("f.gz"), idxBytes({4, 3}, sequence(12)));
  IdxData data = readIdxFile(dir.file("f.gz"), 2, 2);
  EXPECT_EQ(data.itemsRead, 2);
  EXPECT_EQ(data.dims[0], 4);
  EXPECT_EQ(data.bytes, sequence(6));
}

TEST(DataTest, RejectsBadMagic) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({2}, {1, 2});
  writeGzip(dir.file("train-labels-idx1-ubyte.gz"), bytes);
  expectError([&] { readIdxFile(dir.file("train-labels-idx1-ubyte.gz"), 3); },
              {"train-labels-idx1-ubyte.gz", "expected magic 0x00000803",
               "got 0x00000801"});
  // A float IDX file (type 0x0d) is not accepted for raw bytes.
  bytes[2] = 0x0d;
  writeBytes(dir.file("floats"), bytes);
  expectError([&] { readIdxFile(dir.file("floats"), 0); },
              {"floats", "0x00000d01"});
}

TEST(DataTest, RejectsMissingEmptyAndTruncatedFiles) {
  TempDir dir;
  expectError([&] { readIdxFile(dir.file("missing.gz"), 1); },
              {"missing.gz", "cannot open", "No such file"});
  writeBytes(dir.file("empty"), {});
  expectError([&] { readIdxFile(dir.file("empty"), 1); },
              {"empty", "file is empty"});

  std::vector<uint8_t> bytes = idxBytes({10, 4}, sequence(40));
  std::vector<uint8_t> shortHeader(bytes.begin(), bytes.begin() + 6);
  writeBytes(dir.file("header"), shortHeader);
  expectError([&] { readIdxFile(dir.file("header"), 2); },
              {"header", "truncated"});

  bytes.resize(bytes.size() - 5);
  writeBytes(dir.file("short"), bytes);
  writeGzip(dir.file("short.gz"), bytes);
  for (const char *name : {"short", "short.gz"})
    expectError([&] { readIdxFile(dir.file(name), 2); },
                {name, "truncated", "expected 40 bytes", "got 35"});
}

TEST(DataTest, RejectsTruncatedGzipStream) {
  TempDir dir;
  writeGzip(dir.file("full.gz"), idxBytes({100, 10}, sequence(1000)));
  std::vector<uint8_t> compressed = readBytes(dir.file("full.gz"));
  compressed.resize(compressed.size() / 2);
  writeBytes(dir.file("cut.gz"), compressed);
  expectError([&] { readIdxFile(dir.file("cut.gz"), 2); },
              {"cut.gz", "truncated"});
}

TEST(DataTest, RejectsCorruptGzipStream) {
  TempDir dir;
  writeGzip(dir.file("full.gz"), idxBytes({100, 10}, sequence(1000)));
  std::vector<uint8_t> compressed = readBytes(dir.file("full.gz"));
  // Flip bits of the stored CRC-32 in the trailer.
  compressed[compressed.size() - 6] ^= 0xff;
  writeBytes(dir.file("crc.gz"), compressed);
  expectError([&] { readIdxFile(dir.file("crc.gz"), 2); }, {"crc.gz"});
}

TEST(DataTest, RejectsTrailingDataAndZeroDimensions) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({2, 2}, sequence(4));
  bytes.push_back(9);
  writeBytes(dir.file("long"), bytes);
  expectError([&] { readIdxFile(dir.file("long"), 2); },
              {"long", "unexpected data after the 2 items"});
  writeBytes(dir.file("zero"), idxBytes({2, 0}, {}));
  expectError([&] { readIdxFile(dir.file("zero"), 2); },
              {"zero", "dimension 1 has size 0"});
}

TEST(DataTest, RejectsImplausibleHeader) {
  TempDir dir;
  writeBytes(dir.file("huge"),
             idxBytes({0xffffffff, 0xffffffff, 0xffffffff}, {1, 2, 3}));
  expectError([&] { readIdxFile(dir.file("huge"), 3); },
              {"huge", "implausibly large"});
}

TEST(DataTest, LoadsLabeledPairs) {
  TempDir dir;
  SyntheticData synthetic = makeSeparableData(10, 1);
  writeSyntheticIdx(synthetic, dir.path(), "train", /*gzip=*/true);
  Dataset data = loadLabeledIdx(dir.file("train-images-idx3-ubyte.gz"),
                                dir.file("train-labels-idx1-ubyte.gz"), -1);
  EXPECT_EQ(data.count, 10);
  EXPECT_EQ(data.sampleElements, 4);
  EXPECT_EQ(data.inputs, synthetic.inputs);
  ASSERT_EQ(data.labels.size(), 10u);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(data.labels[i], synthetic.labels[i]);

  Dataset prefix = loadLabeledIdx(dir.file("train-images-idx3-ubyte.gz"),
                                  dir.file("train-labels-idx1-ubyte.gz"), 3);
  EXPECT_EQ(prefix.count, 3);
  EXPECT_EQ(prefix.inputs.size(), 12u);
}

TEST(DataTest, RejectsCountMismatch) {
  TempDir dir;
  writeBytes(dir.file("images"), idxBytes({3, 2, 2}, sequence(12)));
  writeBytes(dir.file("labels"), idxBytes({2}, {0, 1}));
  expectError(
      [&] { loadLabeledIdx(dir.file("images"), dir.file("labels"), -1); },
      {"has 3 images", "has 2 labels"});
  // The check uses the header counts, even when only a prefix is read.
  expectError(
      [&] { loadLabeledIdx(dir.file("images"), dir.file("labels"), 1); },
      {"has 3 images", "has 2 labels"});
}

TEST(DataTest, ChecksShapeAndLabelsAgainstModel) {
  KilnModelDesc desc = makeTestDesc(4, 3);
  ModelInfo model(desc);
  Dataset data;
  data.count = 2;
  data.sampleElements = 4;
  data.inputs = sequence(8);
  data.labels = {0, 2};
  checkDatasetForModel(data, model, "images", "labels");

  data.labels = {0, 3};
  expectError([&] { checkDatasetForModel(data, model, "images", "labels"); },
              {"labels", "label 3 of sample 1", "3 classes"});

  data.labels = {0, 1};
  data.sampleElements = 2;
  data.count = 4;
  expectError([&] { checkDatasetForModel(data, model, "images", "labels"); },
              {"images", "2 elements", "(4,)"});
}

TEST(DataTest, WriteIdxRoundTrip) {
  TempDir dir;
  writeIdxFile(dir.file("out"), {2, 3}, sequence(6));
  IdxData data = readIdxFile(dir.file("out"), 2);
  EXPECT_EQ(data.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(data.bytes, sequence(6));
  EXPECT_FALSE(fileExists(dir.file("out.tmp")));
}

} // namespace
