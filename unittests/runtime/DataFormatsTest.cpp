//===- DataFormatsTest.cpp - Tests of the CSV and NumPy loaders -----------===//

#include "kiln/runtime/Csv.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Npy.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

using namespace kiln::runtime;
using kiln::test::TempDir;

namespace {

std::string csvError(const std::string &text, CsvOptions options = {}) {
  try {
    parseCsv(text, "d.csv", options);
  } catch (const Error &error) {
    return error.what();
  }
  return "<no error>";
}

TEST(CsvTest, HeaderQuotesAndLabelColumn) {
  CsvOptions options;
  options.labelColumn = 2;
  Dataset data = parseCsv("a,b,label\r\n1,2.5,0\n\n\"3\",\" 4 \",2\n", "d.csv",
                          options);
  EXPECT_EQ(data.count, 2);
  EXPECT_EQ(data.sampleElements, 2);
  EXPECT_TRUE(data.floatInputs);
  EXPECT_EQ(data.floats, (std::vector<float>{1, 2.5f, 3, 4}));
  EXPECT_EQ(data.labels, (std::vector<int32_t>{0, 2}));
}

TEST(CsvTest, NoHeaderDelimiterAndForcedHeader) {
  CsvOptions options;
  options.delimiter = ';';
  Dataset data = parseCsv("1;7\n0;8", "d.csv", options);
  EXPECT_EQ(data.count, 2);
  EXPECT_EQ(data.labels, (std::vector<int32_t>{1, 0}));
  options.header = true;
  EXPECT_EQ(parseCsv("1;7\n0;8", "d.csv", options).count, 1);
  options.maxSamples = 1;
  options.header = std::nullopt;
  EXPECT_EQ(parseCsv("1;7\n0;8", "d.csv", options).count, 1);
}

TEST(CsvTest, QuotedFieldsWithDelimitersAndQuotes) {
  CsvOptions options;
  options.labelColumn = std::nullopt;
  options.header = true;
  Dataset data = parseCsv("\"x, \"\"y\"\"\",z\n1,2\n", "d.csv", options);
  EXPECT_EQ(data.count, 1);
  EXPECT_TRUE(data.labels.empty());
}

TEST(CsvTest, Errors) {
  EXPECT_EQ(csvError("l,a\n0,1\n1,2,3\n"), "d.csv:3: expected 2 fields, got 3");
  EXPECT_EQ(csvError("0,1\n1,x\n"),
            "d.csv:2: column 1: expected a number, got 'x'");
  EXPECT_EQ(csvError("0,1\n1.5,2\n"),
            "d.csv:2: column 0: expected a class label (an integer >= 0), "
            "got '1.5'");
  EXPECT_EQ(csvError("0,1\n\"1,2\n"), "d.csv:2: unterminated quoted field");
  EXPECT_EQ(csvError("a,b\n"), "d.csv: contains no samples");
  CsvOptions options;
  options.labelColumn = 5;
  EXPECT_EQ(csvError("0,1\n", options),
            "d.csv:1: --label-column 5 is out of range for 2 columns");
}

/// The bytes of a version 1.0 .npy file.
std::string npy(const std::string &descr, const std::string &shape,
                const void *data, size_t size, bool fortran = false) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " +
                       (fortran ? "True" : "False") + ", 'shape': " + shape +
                       ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  return bytes + header +
         std::string(static_cast<const char *>(data), size);
}

std::string npyError(const std::string &bytes) {
  try {
    parseNpy(bytes, "a.npy");
  } catch (const Error &error) {
    return error.what();
  }
  return "<no error>";
}

TEST(NpyTest, ParsesTypesAndShapes) {
  const double f64[] = {1.5, -2.0, 3.0, 4.0, 5.0, 6.0};
  NpyArray array = parseNpy(npy("<f8", "(2, 3)", f64, sizeof(f64)), "a.npy");
  EXPECT_EQ(array.type, NpyType::F64);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array.at(1), -2.0);
  const int64_t i64[] = {7, 8};
  array = parseNpy(npy("<i8", "(2,)", i64, sizeof(i64)), "a.npy");
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(array.at(1), 8.0);
  const uint8_t u8[] = {1, 2, 3, 4};
  array = parseNpy(npy("|u1", "(1, 2, 2)", u8, sizeof(u8)), "a.npy");
  EXPECT_EQ(array.type, NpyType::U8);
  EXPECT_EQ(array.elements(), 4);
}

TEST(NpyTest, Errors) {
  const float f32[] = {1, 2};
  EXPECT_EQ(npyError("hello"),
            "a.npy: not a NumPy .npy file (missing magic \"\\x93NUMPY\")");
  EXPECT_EQ(npyError(npy(">f4", "(2,)", f32, 8)),
            "a.npy: big-endian .npy data ('>f4') is not supported; save it "
            "little-endian");
  EXPECT_EQ(npyError(npy("<f2", "(2,)", f32, 4)),
            "a.npy: .npy element type '<f2' is not supported; expected "
            "float32, float64, uint8, int32 or int64");
  EXPECT_EQ(npyError(npy("<f4", "(2,)", f32, 8, /*fortran=*/true)),
            "a.npy: Fortran-order .npy arrays are not supported; save a "
            "C-order array (numpy.ascontiguousarray)");
  EXPECT_EQ(npyError(npy("<f4", "(3,)", f32, 8)),
            "a.npy: truncated: expected 12 bytes of array data, got 8");
  EXPECT_EQ(npyError(npy("<f4", "(1,)", f32, 8)),
            "a.npy: 4 unexpected bytes after the array data");
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(NpyTest, LoadsDatasetsAndRoundTrips) {
  TempDir dir;
  const uint8_t x[] = {1, 2, 3, 4, 5, 6};
  const int32_t y[] = {0, 2, 1};
  writeFile(dir.file("x.npy"), npy("|u1", "(3, 2)", x, sizeof(x)));
  writeFile(dir.file("y.npy"), npy("<i4", "(3, 1)", y, sizeof(y)));
  Dataset data =
      loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"), /*maxSamples=*/2);
  EXPECT_EQ(data.count, 2);
  EXPECT_FALSE(data.floatInputs);
  EXPECT_EQ(data.inputs, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(data.labels, (std::vector<int32_t>{0, 2}));

  const float out[] = {0.25f, 0.75f, 1.0f, 0.0f};
  writeNpy(dir.file("p.npy"), {2, 2}, out);
  NpyArray back = readNpy(dir.file("p.npy"));
  EXPECT_EQ(back.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(back.at(1), 0.75);

  const float badLabels[] = {0.5f, 1.0f, 2.0f};
  writeFile(dir.file("yb.npy"), npy("<f4", "(3,)", badLabels, 12));
  try {
    loadNpyDataset(dir.file("x.npy"), dir.file("yb.npy"), -1);
    FAIL() << "expected an error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("label 0 is 0.5"),
              std::string::npos);
  }
}

TEST(NpyTest, LoadsFloatTargets) {
  TempDir dir;
  const uint8_t x[] = {1, 2, 3, 4, 5, 6};
  const double y[] = {0.5, -1.0, 2.0, 0.0, 1.5, 3.0};
  writeFile(dir.file("x.npy"), npy("|u1", "(3, 2)", x, sizeof(x)));
  writeFile(dir.file("y.npy"), npy("<f8", "(3, 2)", y, sizeof(y)));
  Dataset data = loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"),
                                /*maxSamples=*/2, /*targetElements=*/2);
  EXPECT_EQ(data.count, 2);
  EXPECT_TRUE(data.labels.empty());
  EXPECT_EQ(data.targetElements, 2);
  EXPECT_EQ(data.targets, (std::vector<float>{0.5f, -1.0f, 2.0f, 0.0f}));
  DataView second = DataView(data).slice(1, 1);
  EXPECT_EQ(second.targets[0], 2.0f);
  EXPECT_EQ(second.targets[1], 0.0f);

  // Targets of another width than the model's are refused.
  try {
    loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"), -1, 3);
    FAIL() << "expected an error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what())
                  .find("expected targets of 3 elements per sample"),
              std::string::npos);
  }
}

} // namespace
