//===- Png.cpp - PNG images and image grids -------------------------------===//

#include "kiln/runtime/Png.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <zlib.h>

namespace kiln {
namespace runtime {

namespace {

/// PNG limits width and height to 2^31 - 1.
constexpr int64_t kMaxDimension = 0x7fffffff;

void appendBigEndian32(std::string &out, uint32_t value) {
  out += static_cast<char>(value >> 24);
  out += static_cast<char>((value >> 16) & 0xff);
  out += static_cast<char>((value >> 8) & 0xff);
  out += static_cast<char>(value & 0xff);
}

/// Appends a chunk: length, type, data, and the CRC-32 of type and data.
void appendChunk(std::string &out, const char type[4], const uint8_t *data,
                 size_t size) {
  if (size > size_t(kMaxDimension))
    fail("PNG chunk of %zu bytes exceeds the format's limit", size);
  appendBigEndian32(out, static_cast<uint32_t>(size));
  size_t typeAt = out.size();
  out.append(type, 4);
  out.append(reinterpret_cast<const char *>(data), size);
  uLong crc = crc32(0L, Z_NULL, 0);
  // crc32 takes a uInt length; feed large data in pieces.
  const Bytef *bytes = reinterpret_cast<const Bytef *>(out.data() + typeAt);
  size_t left = 4 + size;
  while (left > 0) {
    uInt piece = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = crc32(crc, bytes, piece);
    bytes += piece;
    left -= piece;
  }
  appendBigEndian32(out, static_cast<uint32_t>(crc));
}

/// zlib's deflate of `data` (a complete zlib stream).
std::vector<uint8_t> deflateAll(const std::vector<uint8_t> &data) {
  z_stream stream = {};
  if (deflateInit(&stream, Z_DEFAULT_COMPRESSION) != Z_OK)
    fail("PNG: zlib deflateInit failed");
  std::vector<uint8_t> out;
  std::vector<uint8_t> buffer(1 << 16);
  size_t offset = 0;
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    if (stream.avail_in == 0 && offset < data.size()) {
      size_t piece = std::min<size_t>(data.size() - offset, 1u << 30);
      stream.next_in = const_cast<Bytef *>(data.data() + offset);
      stream.avail_in = static_cast<uInt>(piece);
      offset += piece;
    }
    stream.next_out = buffer.data();
    stream.avail_out = static_cast<uInt>(buffer.size());
    status = deflate(&stream, offset == data.size() ? Z_FINISH : Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
      deflateEnd(&stream);
      fail("PNG: zlib deflate failed (%d)", status);
    }
    out.insert(out.end(), buffer.data(),
               buffer.data() + (buffer.size() - stream.avail_out));
  }
  deflateEnd(&stream);
  return out;
}

} // namespace

std::string encodePng(const Image &image) {
  if (image.channels != 1 && image.channels != 3)
    fail("PNG: %d channels per pixel; expected 1 (gray) or 3 (RGB)",
         image.channels);
  if (image.width <= 0 || image.height <= 0 || image.width > kMaxDimension ||
      image.height > kMaxDimension)
    fail("PNG: an image of %lld x %lld pixels cannot be written",
         static_cast<long long>(image.width),
         static_cast<long long>(image.height));
  const int64_t rowBytes = image.width * image.channels;
  if (static_cast<int64_t>(image.pixels.size()) != rowBytes * image.height)
    fail("PNG: %zu pixel bytes for a %lld x %lld x %d image",
         image.pixels.size(), static_cast<long long>(image.width),
         static_cast<long long>(image.height), image.channels);

  // Each row is preceded by its filter type, 0 (None): model outputs are
  // small images where the better filters gain little.
  std::vector<uint8_t> raw;
  raw.reserve(static_cast<size_t>((rowBytes + 1) * image.height));
  for (int64_t y = 0; y < image.height; ++y) {
    raw.push_back(0);
    const uint8_t *row = image.pixels.data() + y * rowBytes;
    raw.insert(raw.end(), row, row + rowBytes);
  }

  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  std::string png(kSignature, 8);
  std::string header;
  appendBigEndian32(header, static_cast<uint32_t>(image.width));
  appendBigEndian32(header, static_cast<uint32_t>(image.height));
  header += '\x08';                                         // bit depth
  header += static_cast<char>(image.channels == 1 ? 0 : 2); // color type
  header += '\x00';                                         // deflate
  header += '\x00'; // adaptive filtering
  header += '\x00'; // no interlace
  appendChunk(png, "IHDR", reinterpret_cast<const uint8_t *>(header.data()),
              header.size());
  std::vector<uint8_t> compressed = deflateAll(raw);
  appendChunk(png, "IDAT", compressed.data(), compressed.size());
  appendChunk(png, "IEND", nullptr, 0);
  return png;
}

void writePng(const std::string &path, const Image &image) {
  std::string bytes = encodePng(image);
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

PixelRange parsePixelRange(const std::string &flag, const std::string &text) {
  if (text == "auto")
    return PixelRange::Auto;
  if (text == "unit")
    return PixelRange::Unit;
  if (text == "tanh")
    return PixelRange::Tanh;
  if (text == "minmax")
    return PixelRange::MinMax;
  fail("%s: expected auto, unit, tanh or minmax, got '%s'", flag.c_str(),
       text.c_str());
}

void toPixels(const float *values, int64_t count, PixelRange range,
              uint8_t *out) {
  float low = std::numeric_limits<float>::infinity();
  float high = -low;
  for (int64_t i = 0; i < count; ++i)
    if (std::isfinite(values[i])) {
      low = std::min(low, values[i]);
      high = std::max(high, values[i]);
    }
  if (range == PixelRange::Auto) {
    if (low >= 0.0f && high <= 1.0f)
      range = PixelRange::Unit;
    else if (low >= -1.0f && high <= 1.0f)
      range = PixelRange::Tanh;
    else
      range = PixelRange::MinMax;
  }
  // v -> (v - offset) * scale, clipped to [0, 1], then to 0..255.
  double offset = 0.0, scale = 1.0;
  if (range == PixelRange::Tanh) {
    offset = -1.0;
    scale = 0.5;
  } else if (range == PixelRange::MinMax) {
    offset = low;
    scale = high > low ? 1.0 / (double(high) - double(low)) : 0.0;
  }
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) {
      out[i] = 0;
      continue;
    }
    double unit = (double(values[i]) - offset) * scale;
    unit = std::min(1.0, std::max(0.0, unit));
    out[i] = static_cast<uint8_t>(std::lround(unit * 255.0));
  }
}

TileShape tileShapeOf(const std::vector<int64_t> &shape,
                      const std::string &what) {
  std::string dims;
  for (int64_t dim : shape)
    dims += (dims.empty() ? "" : "x") + std::to_string(dim);
  TileShape tile;
  if (shape.size() == 3 && (shape[2] == 1 || shape[2] == 3)) {
    tile = {shape[0], shape[1], static_cast<int>(shape[2])};
  } else if (shape.size() == 2) {
    tile = {shape[0], shape[1], 1};
  } else if (shape.size() == 1) {
    int64_t side = static_cast<int64_t>(
        std::llround(std::sqrt(static_cast<double>(shape[0]))));
    if (side * side != shape[0])
      fail("%s of shape (%s) is not an image: a vector needs a square "
           "number of elements to be drawn as a square gray image",
           what.c_str(), dims.c_str());
    tile = {side, side, 1};
  } else {
    fail("%s of shape (%s) is not an image: expected height x width, "
         "height x width x 1 (gray), height x width x 3 (RGB), or a vector "
         "of a square number of elements",
         what.c_str(), dims.c_str());
  }
  if (tile.height <= 0 || tile.width <= 0)
    fail("%s of shape (%s) is an empty image", what.c_str(), dims.c_str());
  return tile;
}

int64_t gridColumns(const GridLayout &layout, int64_t count) {
  if (layout.columns > 0)
    return layout.columns;
  int64_t columns = static_cast<int64_t>(
      std::ceil(std::sqrt(static_cast<double>(std::max<int64_t>(count, 1)))));
  // Guard against sqrt rounding just above a perfect square.
  while (columns > 1 && (columns - 1) * (columns - 1) >= count)
    --columns;
  return columns;
}

Image composeGrid(const uint8_t *tiles, int64_t count, const TileShape &tile,
                  const GridLayout &layout) {
  if (count <= 0)
    fail("an image grid needs at least one image");
  if (layout.separator < 0)
    fail("an image grid's separator cannot be negative");
  const int64_t columns = std::min(gridColumns(layout, count), count);
  const int64_t rows = (count + columns - 1) / columns;
  Image image;
  image.channels = tile.channels;
  image.width = columns * tile.width + (columns - 1) * layout.separator;
  image.height = rows * tile.height + (rows - 1) * layout.separator;
  if (image.width > kMaxDimension || image.height > kMaxDimension ||
      double(image.width) * double(image.height) * tile.channels > 1e10)
    fail("an image grid of %lld x %lld pixels is too large",
         static_cast<long long>(image.width),
         static_cast<long long>(image.height));
  image.pixels.assign(
      static_cast<size_t>(image.width * image.height * image.channels),
      layout.background);
  const int64_t tileRow = tile.width * tile.channels;
  const int64_t imageRow = image.width * image.channels;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t top = (i / columns) * (tile.height + layout.separator);
    const int64_t left = (i % columns) * (tile.width + layout.separator);
    const uint8_t *from = tiles + i * tile.elements();
    for (int64_t y = 0; y < tile.height; ++y)
      std::copy(from + y * tileRow, from + (y + 1) * tileRow,
                image.pixels.begin() + (top + y) * imageRow +
                    left * image.channels);
  }
  return image;
}

Image imageGrid(const float *values, int64_t count, const TileShape &tile,
                PixelRange range, const GridLayout &layout) {
  std::vector<uint8_t> bytes(static_cast<size_t>(count * tile.elements()));
  toPixels(values, count * tile.elements(), range, bytes.data());
  return composeGrid(bytes.data(), count, tile, layout);
}

std::vector<uint8_t> interleaveRows(const uint8_t *first, const uint8_t *second,
                                    int64_t count, int64_t tileBytes,
                                    int64_t columns, uint8_t background) {
  const int64_t rows = (count + columns - 1) / columns;
  std::vector<uint8_t> out(static_cast<size_t>(2 * rows * columns * tileBytes),
                           background);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t row = i / columns, column = i % columns;
    std::copy(first + i * tileBytes, first + (i + 1) * tileBytes,
              out.begin() + ((2 * row) * columns + column) * tileBytes);
    std::copy(second + i * tileBytes, second + (i + 1) * tileBytes,
              out.begin() + ((2 * row + 1) * columns + column) * tileBytes);
  }
  return out;
}

} // namespace runtime
} // namespace kiln
