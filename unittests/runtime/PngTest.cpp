//===- PngTest.cpp - PNG encoding, pixel mapping and image grids ----------===//
//
// The PNG files are decoded here independently of the encoder: the chunks
// are walked by hand, every CRC recomputed, and the IDAT stream inflated
// with zlib, so that a wrong length, CRC, header field or filter byte fails.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Png.h"
#include "kiln/runtime/Error.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <zlib.h>

using namespace kiln::runtime;

namespace {

uint32_t readBigEndian32(const std::string &bytes, size_t at) {
  return (uint32_t(uint8_t(bytes[at])) << 24) |
         (uint32_t(uint8_t(bytes[at + 1])) << 16) |
         (uint32_t(uint8_t(bytes[at + 2])) << 8) |
         uint32_t(uint8_t(bytes[at + 3]));
}

struct Decoded {
  uint32_t width = 0, height = 0;
  int bitDepth = 0, colorType = -1, compression = -1, filter = -1,
      interlace = -1;
  std::vector<std::string> chunkTypes;
  std::vector<uint8_t> pixels; // rows without their filter bytes
};

/// Decodes a PNG written with filter type None, checking every CRC.
Decoded decodePng(const std::string &png) {
  Decoded out;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat;
  size_t at = 8;
  while (at + 12 <= png.size()) {
    uint32_t length = readBigEndian32(png, at);
    std::string type = png.substr(at + 4, 4);
    EXPECT_LE(at + 12 + length, png.size()) << type;
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef *>(png.data() + at + 4),
                4 + length);
    EXPECT_EQ(readBigEndian32(png, at + 8 + length), uint32_t(crc))
        << "CRC of chunk " << type;
    std::string data = png.substr(at + 8, length);
    out.chunkTypes.push_back(type);
    if (type == "IHDR") {
      EXPECT_EQ(length, 13u);
      out.width = readBigEndian32(data, 0);
      out.height = readBigEndian32(data, 4);
      out.bitDepth = uint8_t(data[8]);
      out.colorType = uint8_t(data[9]);
      out.compression = uint8_t(data[10]);
      out.filter = uint8_t(data[11]);
      out.interlace = uint8_t(data[12]);
    } else if (type == "IDAT") {
      idat += data;
    }
    at += 12 + length;
  }
  EXPECT_EQ(at, png.size()) << "bytes after the last chunk";
  const int channels = out.colorType == 2 ? 3 : 1;
  const size_t rowBytes = size_t(out.width) * channels;
  std::vector<uint8_t> raw((rowBytes + 1) * out.height + 1);
  uLongf rawSize = raw.size();
  EXPECT_EQ(uncompress(raw.data(), &rawSize,
                       reinterpret_cast<const Bytef *>(idat.data()),
                       idat.size()),
            Z_OK);
  EXPECT_EQ(rawSize, (rowBytes + 1) * out.height);
  for (uint32_t y = 0; y < out.height; ++y) {
    EXPECT_EQ(raw[y * (rowBytes + 1)], 0) << "filter byte of row " << y;
    out.pixels.insert(out.pixels.end(), raw.begin() + y * (rowBytes + 1) + 1,
                      raw.begin() + (y + 1) * (rowBytes + 1));
  }
  return out;
}

TEST(PngTest, GrayRoundTrip) {
  Image image;
  image.width = 5;
  image.height = 3;
  image.channels = 1;
  for (int i = 0; i < 15; ++i)
    image.pixels.push_back(uint8_t(i * 17));
  Decoded decoded = decodePng(encodePng(image));
  EXPECT_EQ(decoded.width, 5u);
  EXPECT_EQ(decoded.height, 3u);
  EXPECT_EQ(decoded.bitDepth, 8);
  EXPECT_EQ(decoded.colorType, 0);
  EXPECT_EQ(decoded.compression, 0);
  EXPECT_EQ(decoded.filter, 0);
  EXPECT_EQ(decoded.interlace, 0);
  EXPECT_EQ(decoded.chunkTypes,
            (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  EXPECT_EQ(decoded.pixels, image.pixels);
}

TEST(PngTest, RgbRoundTripOfALargerImage) {
  Image image;
  image.width = 301;
  image.height = 207;
  image.channels = 3;
  uint32_t state = 12345;
  for (int64_t i = 0; i < image.width * image.height * 3; ++i) {
    state = state * 1103515245u + 12345u;
    image.pixels.push_back(uint8_t(state >> 24));
  }
  Decoded decoded = decodePng(encodePng(image));
  EXPECT_EQ(decoded.width, 301u);
  EXPECT_EQ(decoded.height, 207u);
  EXPECT_EQ(decoded.colorType, 2);
  EXPECT_EQ(decoded.pixels, image.pixels);
}

TEST(PngTest, RejectsBadImages) {
  Image image;
  image.width = 2;
  image.height = 2;
  image.channels = 2;
  image.pixels.assign(8, 0);
  EXPECT_THROW(encodePng(image), Error);
  image.channels = 1;
  image.pixels.assign(3, 0);
  EXPECT_THROW(encodePng(image), Error);
  image.width = 0;
  image.pixels.clear();
  EXPECT_THROW(encodePng(image), Error);
}

TEST(PngTest, WritesAtomically) {
  kiln::test::TempDir dir;
  Image image;
  image.width = 1;
  image.height = 1;
  image.pixels = {200};
  writePng(dir.file("one.png"), image);
  EXPECT_FALSE(kiln::test::fileExists(dir.file("one.png.tmp")));
  std::vector<uint8_t> bytes = kiln::test::readBytes(dir.file("one.png"));
  Decoded decoded = decodePng(std::string(bytes.begin(), bytes.end()));
  EXPECT_EQ(decoded.pixels, std::vector<uint8_t>{200});
  // An unwritable path fails without leaving anything behind.
  EXPECT_THROW(writePng(dir.file("missing/one.png"), image), Error);
}

std::vector<uint8_t> pixelsOf(const std::vector<float> &values,
                              PixelRange range) {
  std::vector<uint8_t> out(values.size());
  toPixels(values.data(), int64_t(values.size()), range, out.data());
  return out;
}

TEST(PngTest, PixelRanges) {
  EXPECT_EQ(pixelsOf({0.0f, 0.5f, 1.0f, -0.2f, 1.5f}, PixelRange::Unit),
            (std::vector<uint8_t>{0, 128, 255, 0, 255}));
  EXPECT_EQ(pixelsOf({-1.0f, 0.0f, 1.0f}, PixelRange::Tanh),
            (std::vector<uint8_t>{0, 128, 255}));
  EXPECT_EQ(pixelsOf({10.0f, 20.0f, 30.0f}, PixelRange::MinMax),
            (std::vector<uint8_t>{0, 128, 255}));
  // A constant batch does not divide by zero.
  EXPECT_EQ(pixelsOf({3.0f, 3.0f}, PixelRange::MinMax),
            (std::vector<uint8_t>{0, 0}));
  // Auto: [0, 1] is unit, [-1, 1] is tanh, anything else min-max (raw
  // pixels 0..255 stay as they are).
  EXPECT_EQ(pixelsOf({0.0f, 1.0f, 0.25f}, PixelRange::Auto),
            (std::vector<uint8_t>{0, 255, 64}));
  EXPECT_EQ(pixelsOf({-1.0f, 0.0f, 0.5f}, PixelRange::Auto),
            (std::vector<uint8_t>{0, 128, 191}));
  EXPECT_EQ(pixelsOf({0.0f, 255.0f, 17.0f}, PixelRange::Auto),
            (std::vector<uint8_t>{0, 255, 17}));
  // Non-finite values are black and do not widen the range.
  EXPECT_EQ(pixelsOf({NAN, 0.0f, 1.0f, INFINITY}, PixelRange::Auto),
            (std::vector<uint8_t>{0, 0, 255, 0}));
  EXPECT_EQ(parsePixelRange("--pixel-range", "tanh"), PixelRange::Tanh);
  EXPECT_THROW(parsePixelRange("--pixel-range", "sigmoid"), Error);
}

TEST(PngTest, TileShapes) {
  TileShape rgb = tileShapeOf({4, 5, 3}, "x");
  EXPECT_EQ(rgb.height, 4);
  EXPECT_EQ(rgb.width, 5);
  EXPECT_EQ(rgb.channels, 3);
  TileShape gray = tileShapeOf({28, 28, 1}, "x");
  EXPECT_EQ(gray.channels, 1);
  EXPECT_EQ(gray.elements(), 784);
  EXPECT_EQ(tileShapeOf({28, 27}, "x").width, 27);
  TileShape flat = tileShapeOf({784}, "x");
  EXPECT_EQ(flat.height, 28);
  EXPECT_EQ(flat.width, 28);
  try {
    tileShapeOf({10}, "the model output");
    FAIL() << "no error";
  } catch (const Error &error) {
    EXPECT_STREQ(error.what(),
                 "the model output of shape (10) is not an image: a vector "
                 "needs a square number of elements to be drawn as a square "
                 "gray image");
  }
  EXPECT_THROW(tileShapeOf({4, 4, 2}, "x"), Error);
  EXPECT_THROW(tileShapeOf({2, 4, 4, 1}, "x"), Error);
}

TEST(PngTest, GridLayout) {
  // Five 2x3 gray tiles, tile i filled with 10 * (i + 1): three columns
  // (ceil(sqrt(5))), two rows, a 1-pixel separator of 128.
  TileShape tile{2, 3, 1};
  std::vector<uint8_t> tiles;
  for (int i = 0; i < 5; ++i)
    tiles.insert(tiles.end(), 6, uint8_t(10 * (i + 1)));
  GridLayout layout;
  Image grid = composeGrid(tiles.data(), 5, tile, layout);
  EXPECT_EQ(grid.width, 3 * 3 + 2);
  EXPECT_EQ(grid.height, 2 * 2 + 1);
  auto at = [&](int64_t x, int64_t y) {
    return grid.pixels[y * grid.width + x];
  };
  EXPECT_EQ(at(0, 0), 10);
  EXPECT_EQ(at(2, 1), 10);
  EXPECT_EQ(at(3, 0), 128); // separator column
  EXPECT_EQ(at(4, 0), 20);
  EXPECT_EQ(at(8, 1), 30);
  EXPECT_EQ(at(0, 2), 128); // separator row
  EXPECT_EQ(at(0, 3), 40);
  EXPECT_EQ(at(4, 4), 50);
  EXPECT_EQ(at(8, 4), 128); // the missing sixth tile
  // Explicit columns and separator.
  layout.columns = 5;
  layout.separator = 2;
  layout.background = 0;
  Image row = composeGrid(tiles.data(), 5, tile, layout);
  EXPECT_EQ(row.width, 5 * 3 + 4 * 2);
  EXPECT_EQ(row.height, 2);
  EXPECT_EQ(row.pixels[3], 0);
  EXPECT_EQ(row.pixels[5], 20);
  // RGB tiles keep their channels interleaved.
  std::vector<uint8_t> rgb = {1, 2, 3, 4, 5, 6};
  Image color = composeGrid(rgb.data(), 2, TileShape{1, 1, 3}, GridLayout());
  EXPECT_EQ(color.channels, 3);
  EXPECT_EQ(color.pixels,
            (std::vector<uint8_t>{1, 2, 3, 128, 128, 128, 4, 5, 6}));
}

TEST(PngTest, InterleavedRowsPairSamples) {
  // Three 1x1 samples in two columns: inputs of samples 0, 1; their
  // outputs; input of sample 2 and a blank; its output and a blank.
  std::vector<uint8_t> inputs = {1, 2, 3}, outputs = {11, 12, 13};
  std::vector<uint8_t> tiles =
      interleaveRows(inputs.data(), outputs.data(), 3, 1, 2, 99);
  EXPECT_EQ(tiles, (std::vector<uint8_t>{1, 2, 11, 12, 3, 99, 13, 99}));
  GridLayout layout;
  layout.columns = 2;
  Image grid = composeGrid(tiles.data(), int64_t(tiles.size()),
                           TileShape{1, 1, 1}, layout);
  EXPECT_EQ(grid.width, 3);
  EXPECT_EQ(grid.height, 7);
  EXPECT_EQ(grid.pixels[2 * 3 + 2], 12);
}

TEST(PngTest, FloatGridDecodes) {
  // Four 2x2 samples in [0, 1] through the whole path.
  std::vector<float> values;
  for (int i = 0; i < 16; ++i)
    values.push_back(float(i) / 15.0f);
  Image grid = imageGrid(values.data(), 4, TileShape{2, 2, 1}, PixelRange::Auto,
                         GridLayout());
  Decoded decoded = decodePng(encodePng(grid));
  EXPECT_EQ(decoded.width, 5u);
  EXPECT_EQ(decoded.height, 5u);
  EXPECT_EQ(decoded.pixels[0], 0);
  EXPECT_EQ(decoded.pixels[1], 17);
  EXPECT_EQ(decoded.pixels[2], 128);
  EXPECT_EQ(decoded.pixels[4 * 5 + 4], 255);
}

} // namespace
