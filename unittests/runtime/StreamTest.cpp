//===- StreamTest.cpp - Tests of memory-mapped (--stream) data ------------===//
//
// The mapped readers must accept exactly what the in-memory readers accept,
// give the same bytes, and reject the same broken files with the same
// messages.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Csv.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/MappedFile.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// The message of the Error `body` throws, or "" when it throws none.
template <typename Body> std::string errorOf(Body body) {
  try {
    body();
  } catch (const Error &error) {
    return error.what();
  }
  return "";
}

/// Expects both readers to fail on `path` with the same message, which
/// contains `fragment`.
void expectSameError(const std::string &path, int rank,
                     const std::string &fragment) {
  std::string inMemory = errorOf([&] { readIdxFile(path, rank); });
  std::string mapped =
      errorOf([&] { readIdxFile(path, rank, -1, /*stream=*/true); });
  EXPECT_NE(mapped.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << mapped;
  EXPECT_EQ(mapped, inMemory);
}

std::vector<uint8_t> sequence(size_t count) {
  std::vector<uint8_t> data(count);
  for (size_t i = 0; i < count; ++i)
    data[i] = static_cast<uint8_t>(i * 13 + 5);
  return data;
}

TEST(StreamTest, MapsPlainAndGzipIdx) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxBytes({3, 2, 5}, sequence(30));
  writeBytes(dir.file("plain"), bytes);
  writeGzip(dir.file("packed.gz"), bytes);
  for (const char *name : {"plain", "packed.gz"}) {
    IdxData data = readIdxFile(dir.file(name), 3, -1, /*stream=*/true);
    EXPECT_TRUE(data.bytes.empty());
    ASSERT_TRUE(data.mapping);
    EXPECT_EQ(data.dims, (std::vector<int64_t>{3, 2, 5}));
    EXPECT_EQ(data.itemsRead, 3);
    EXPECT_EQ(std::vector<uint8_t>(data.data(), data.data() + 30),
              sequence(30));
  }
}

TEST(StreamTest, MaxItemsMapsPrefixAndIgnoresTheRest) {
  TempDir dir;
  writeGzip(dir.file("f.gz"), idxBytes({4, 3}, sequence(12)));
  IdxData data = readIdxFile(dir.file("f.gz"), 2, 2, /*stream=*/true);
  EXPECT_EQ(data.itemsRead, 2);
  EXPECT_EQ(data.dims[0], 4);
  EXPECT_EQ(std::vector<uint8_t>(data.data(), data.data() + 6), sequence(6));
}

TEST(StreamTest, RejectsBrokenFilesLikeTheInMemoryReader) {
  TempDir dir;
  expectSameError(dir.file("missing"), 1, "No such file");
  writeBytes(dir.file("empty"), {});
  expectSameError(dir.file("empty"), 1, "file is empty");
  writeBytes(dir.file("magic"), {0, 0, 8});
  expectSameError(dir.file("magic"), 1, "inside the IDX magic");
  writeBytes(dir.file("rank"), idxBytes({2}, {1, 2}));
  expectSameError(dir.file("rank"), 3, "expected magic");

  std::vector<uint8_t> bytes = idxBytes({10, 4}, sequence(40));
  writeBytes(dir.file("header"),
             std::vector<uint8_t>(bytes.begin(), bytes.begin() + 6));
  expectSameError(dir.file("header"), 2, "inside the IDX header");
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 5);
  writeBytes(dir.file("short"), cut);
  writeGzip(dir.file("short.gz"), cut);
  expectSameError(dir.file("short"), 2, "expected 40 bytes of data");
  expectSameError(dir.file("short.gz"), 2, "got 35");

  std::vector<uint8_t> longer = bytes;
  longer.push_back(7);
  writeBytes(dir.file("long"), longer);
  expectSameError(dir.file("long"), 2, "unexpected data after the 10 items");
  writeBytes(dir.file("zero"), idxBytes({2, 0}, {}));
  expectSameError(dir.file("zero"), 2, "dimension 1 has size 0");
  writeBytes(dir.file("huge"),
             idxBytes({0xffffffff, 0xffffffff, 0xffffffff}, {1, 2, 3}));
  expectSameError(dir.file("huge"), 3, "implausibly large");
}

TEST(StreamTest, RejectsTruncatedAndCorruptGzip) {
  TempDir dir;
  writeGzip(dir.file("full.gz"), idxBytes({100, 10}, sequence(1000)));
  std::vector<uint8_t> compressed = readBytes(dir.file("full.gz"));
  std::vector<uint8_t> half(compressed.begin(),
                            compressed.begin() + compressed.size() / 2);
  writeBytes(dir.file("cut.gz"), half);
  std::string message =
      errorOf([&] { readIdxFile(dir.file("cut.gz"), 2, -1, true); });
  EXPECT_NE(message.find("cut.gz: truncated"), std::string::npos) << message;

  compressed[compressed.size() - 6] ^= 0xff; // The stored CRC-32.
  writeBytes(dir.file("crc.gz"), compressed);
  message = errorOf([&] { readIdxFile(dir.file("crc.gz"), 2, -1, true); });
  EXPECT_NE(message.find("crc.gz: read error"), std::string::npos) << message;
}

TEST(StreamTest, LabeledPairsGatherBitwiseAsInMemory) {
  TempDir dir;
  SyntheticData synthetic = makeSeparableData(50, 3);
  writeSyntheticIdx(synthetic, dir.path(), "train", /*gzip=*/true);
  std::string images = dir.file("train-images-idx3-ubyte.gz");
  std::string labels = dir.file("train-labels-idx1-ubyte.gz");
  Dataset memory = loadLabeledIdx(images, labels, -1);
  Dataset mapped = loadLabeledIdx(images, labels, -1, /*stream=*/true);
  ASSERT_TRUE(mapped.mapping);
  EXPECT_TRUE(mapped.inputs.empty());
  EXPECT_EQ(mapped.count, memory.count);
  EXPECT_EQ(mapped.labels, memory.labels);

  KilnModelDesc desc = makeTestDesc(4, 2);
  ModelInfo model(desc);
  BatchBuffers a(model, 8), b(model, 8);
  const int64_t indices[] = {49, 0, 17, 3, 3, 40, 22, 8};
  a.gather(DataView(memory), indices, 8);
  b.gather(DataView(mapped), indices, 8);
  EXPECT_EQ(std::memcmp(a.inputs(), b.inputs(), 8 * 4 * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(a.labels(), b.labels(), 8 * sizeof(int32_t)), 0);
  // Dropping the resident pages leaves the data readable.
  mapped.mapping->release();
  b.gatherRange(DataView(mapped).slice(10, 20), 5, 8);
  a.gatherRange(DataView(memory).slice(10, 20), 5, 8);
  EXPECT_EQ(std::memcmp(a.inputs(), b.inputs(), 8 * 4 * sizeof(float)), 0);
}

TEST(StreamTest, MapsNpyBytesAndFloats) {
  TempDir dir;
  const float values[] = {0.5f, -1.25f, 3.0f, 4.0f, 1e-3f, 7.0f};
  writeNpy(dir.file("x.npy"), {3, 2}, values);
  const float labels[] = {0, 1, 1};
  writeNpy(dir.file("y.npy"), {3}, labels);
  Dataset memory = loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"), -1);
  Dataset mapped =
      loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"), -1, 0, true);
  ASSERT_TRUE(mapped.mappedFloats);
  EXPECT_TRUE(mapped.floats.empty());
  EXPECT_EQ(std::vector<float>(mapped.mappedFloats, mapped.mappedFloats + 6),
            memory.floats);
  EXPECT_EQ(mapped.labels, memory.labels);
  EXPECT_EQ(DataView(mapped).mapping, mapped.mapping.get());

  // Truncated array data: the same error as without streaming.
  std::string bytes = encodeNpy({3, 2}, values);
  bytes.resize(bytes.size() - 3);
  writeBytes(dir.file("cut.npy"),
             std::vector<uint8_t>(bytes.begin(), bytes.end()));
  std::string inMemory = errorOf([&] { readNpy(dir.file("cut.npy")); });
  std::string streamed = errorOf([&] { readNpy(dir.file("cut.npy"), true); });
  EXPECT_NE(streamed.find("truncated"), std::string::npos) << streamed;
  EXPECT_EQ(streamed, inMemory);
}

TEST(StreamTest, MappedFileOfEmptyAndGzipFiles) {
  TempDir dir;
  writeBytes(dir.file("empty"), {});
  std::shared_ptr<MappedFile> empty = MappedFile::open(dir.file("empty"));
  EXPECT_EQ(empty->size(), 0u);
  empty->release();
  writeGzip(dir.file("g.gz"), sequence(100000));
  std::shared_ptr<MappedFile> file = MappedFile::open(dir.file("g.gz"));
  ASSERT_EQ(file->size(), 100000u);
  EXPECT_EQ(std::vector<uint8_t>(file->data(), file->data() + 100000),
            sequence(100000));
  for (int i = 0; i < 3; ++i)
    file->noteRead(MappedFile::kReleaseBytes);
  EXPECT_EQ(file->data()[99999], sequence(100000)[99999]);
  std::string message = errorOf([&] { MappedFile::open(dir.path()); });
  EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
}

TEST(StreamTest, SpoolFileMapsWhatWasAppended) {
  SpoolFile spool("source.csv");
  std::vector<uint8_t> data = sequence(3 * SpoolFile::kBufferBytes + 123);
  // Uneven pieces, across the buffer's boundaries.
  size_t done = 0, piece = 1;
  while (done < data.size()) {
    size_t n = std::min(piece, data.size() - done);
    spool.append(data.data() + done, n);
    done += n;
    piece = piece * 7 + 1;
  }
  EXPECT_EQ(spool.size(), data.size());
  std::shared_ptr<MappedFile> file = spool.map();
  ASSERT_EQ(file->size(), data.size());
  EXPECT_EQ(std::memcmp(file->data(), data.data(), data.size()), 0);
  EXPECT_EQ(file->path(), "source.csv");
}

/// Expects `streamed` to hold the floats and labels of `loaded`, bitwise,
/// from a mapping.
void expectSameFloats(const Dataset &loaded, const Dataset &streamed) {
  ASSERT_TRUE(loaded.floatInputs);
  ASSERT_TRUE(streamed.floatInputs);
  EXPECT_EQ(streamed.count, loaded.count);
  EXPECT_EQ(streamed.sampleElements, loaded.sampleElements);
  EXPECT_EQ(streamed.labels, loaded.labels);
  EXPECT_TRUE(streamed.floats.empty());
  ASSERT_NE(streamed.mappedFloats, nullptr);
  ASSERT_NE(streamed.mapping, nullptr);
  ASSERT_EQ(loaded.floats.size(),
            size_t(streamed.count * streamed.sampleElements));
  EXPECT_EQ(std::memcmp(streamed.mappedFloats, loaded.floats.data(),
                        loaded.floats.size() * sizeof(float)),
            0);
}

TEST(StreamTest, CsvStreamsTheSameFloats) {
  TempDir dir;
  // 3000 x 100 values: more than one chunk of the spool.
  std::string text = "\"a\",b";
  for (int c = 2; c <= 100; ++c)
    text += ",c" + std::to_string(c);
  text += "\n";
  for (int r = 0; r < 3000; ++r) {
    text += std::to_string(r % 7);
    for (int c = 0; c < 100; ++c)
      text += "," + std::to_string((r * 31 + c * 17) % 1000 / 7.0);
    text += r % 2 ? "\r\n" : "\n";
  }
  std::vector<uint8_t> bytes(text.begin(), text.end());
  writeBytes(dir.file("d.csv"), bytes);
  writeGzip(dir.file("d.csv.gz"), bytes);
  CsvOptions options;
  Dataset loaded = loadCsv(dir.file("d.csv"), options);
  options.stream = true;
  expectSameFloats(loaded, loadCsv(dir.file("d.csv"), options));
  expectSameFloats(loaded, loadCsv(dir.file("d.csv.gz"), options));
  options.maxSamples = 10;
  Dataset few = loadCsv(dir.file("d.csv"), options);
  EXPECT_EQ(few.count, 10);
  EXPECT_EQ(std::memcmp(few.mappedFloats, loaded.floats.data(),
                        10 * 100 * sizeof(float)),
            0);

  // A bad record late in the file: the same error either way.
  text += "1,2,3\n";
  writeBytes(dir.file("bad.csv"),
             std::vector<uint8_t>(text.begin(), text.end()));
  CsvOptions plain;
  std::string inMemory = errorOf([&] { loadCsv(dir.file("bad.csv"), plain); });
  plain.stream = true;
  std::string streamed = errorOf([&] { loadCsv(dir.file("bad.csv"), plain); });
  EXPECT_EQ(streamed,
            dir.file("bad.csv") + ":3002: expected 101 fields, got 3");
  EXPECT_EQ(streamed, inMemory);
}

TEST(StreamTest, NpyConvertsOtherTypesIntoAMapping) {
  TempDir dir;
  // float64 and int32 inputs of 3000 x 100 (more than one chunk).
  const int64_t rows = 3000, cols = 100;
  std::vector<double> f64(rows * cols);
  std::vector<int32_t> i32(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    f64[i] = (i * 0.37) / 3.0 - 11.0;
    i32[i] = static_cast<int32_t>(i % 5000 - 2500);
  }
  std::vector<float> labels(rows);
  for (int64_t r = 0; r < rows; ++r)
    labels[r] = float(r % 3);
  auto save = [&](const std::string &name, const char *descr, const void *data,
                  size_t size) {
    std::string header = std::string("{'descr': '") + descr +
                         "', 'fortran_order': False, 'shape': (" +
                         std::to_string(rows) + ", " + std::to_string(cols) +
                         "), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string bytes("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    bytes += header;
    bytes.append(static_cast<const char *>(data), size);
    writeBytes(dir.file(name),
               std::vector<uint8_t>(bytes.begin(), bytes.end()));
  };
  save("f64.npy", "<f8", f64.data(), f64.size() * 8);
  save("i32.npy", "<i4", i32.data(), i32.size() * 4);
  std::string y = encodeNpy({rows}, labels.data());
  writeBytes(dir.file("y.npy"), std::vector<uint8_t>(y.begin(), y.end()));
  for (const char *name : {"f64.npy", "i32.npy"}) {
    SCOPED_TRACE(name);
    Dataset loaded = loadNpyDataset(dir.file(name), dir.file("y.npy"), -1);
    Dataset streamed = loadNpyDataset(dir.file(name), dir.file("y.npy"), -1, 0,
                                      /*stream=*/true);
    expectSameFloats(loaded, streamed);
  }
  // predict's inputs stream too.
  Dataset inputs = loadNpyInputs(dir.file("f64.npy"), /*stream=*/true);
  EXPECT_NE(inputs.mappedFloats, nullptr);
  EXPECT_EQ(inputs.count, rows);

  // A non-finite element: the same error either way.
  f64[12345] = std::numeric_limits<double>::infinity();
  save("inf.npy", "<f8", f64.data(), f64.size() * 8);
  std::string inMemory = errorOf(
      [&] { loadNpyDataset(dir.file("inf.npy"), dir.file("y.npy"), -1); });
  std::string streamed = errorOf([&] {
    loadNpyDataset(dir.file("inf.npy"), dir.file("y.npy"), -1, 0, true);
  });
  EXPECT_EQ(streamed, dir.file("inf.npy") + ": element 12345 is not finite");
  EXPECT_EQ(streamed, inMemory);
}

} // namespace
