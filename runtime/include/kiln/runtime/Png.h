//===- Png.h - PNG images and image grids -----------------------*- C++ -*-===//
//
// PNG files of 8-bit grayscale or RGB images (zlib-compressed, CRC-checked
// chunks, viewable anywhere), and the grid composer that turns a batch of
// model outputs (or inputs) into one image of tiles: `predict --output
// FILE.png` of an autoencoder, and later the samples of a GAN.
//
// Value mapping (PixelRange): a float becomes a byte by
//   unit:  clip(v, 0, 1) * 255, rounded    (sigmoid outputs, pixels / 255)
//   tanh:  clip((v + 1) / 2, 0, 1) * 255   (tanh outputs, pixels in [-1, 1])
//   minmax: (v - min) / (max - min) * 255 over the values mapped together
//          (a constant batch becomes 0)
//   auto:  unit when every value is in [0, 1], else tanh when every value is
//          in [-1, 1], else minmax; decided per group of values mapped
//          together (e.g. all of predict's outputs), non-finite values are
//          ignored by the decision and drawn as 0.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PNG_H
#define KILN_RUNTIME_PNG_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// An 8-bit image: `height` rows of `width` pixels of `channels` bytes
/// (1: gray, 3: RGB), row-major, channels interleaved.
struct Image {
  int64_t width = 0;
  int64_t height = 0;
  int channels = 1;
  std::vector<uint8_t> pixels;
};

/// The bytes of a PNG file holding `image` (8 bits per channel, no
/// interlacing, filter type None, one IDAT chunk). Throws an Error for an
/// empty image, a channel count other than 1 or 3, a pixel buffer of the
/// wrong size, or dimensions beyond PNG's 2^31 - 1.
std::string encodePng(const Image &image);

/// Writes encodePng(image) to `path` through an AtomicFile.
void writePng(const std::string &path, const Image &image);

/// How floats become bytes (see the file comment).
enum class PixelRange { Auto, Unit, Tanh, MinMax };

/// Parses "auto", "unit", "tanh" or "minmax"; throws an Error naming `flag`.
PixelRange parsePixelRange(const std::string &flag, const std::string &text);

/// Maps `count` values to bytes in `out` per `range` (Auto decided over
/// these values).
void toPixels(const float *values, int64_t count, PixelRange range,
              uint8_t *out);

/// The image shape of one sample: a tile of height x width x channels.
struct TileShape {
  int64_t height = 0;
  int64_t width = 0;
  int channels = 1;
  int64_t elements() const { return height * width * channels; }
};

/// The tile of a sample of `shape` (without the batch dimension): H x W x C
/// with C 1 or 3, H x W (gray), or a vector of N elements with N a perfect
/// square (gray sqrt(N) x sqrt(N), e.g. 784 -> 28 x 28). Throws an Error
/// naming `what` (e.g. "the model output") for any other shape.
TileShape tileShapeOf(const std::vector<int64_t> &shape,
                      const std::string &what);

/// Layout of a grid: `columns` tiles per row (0: ceil(sqrt(count))),
/// `separator` pixels of `background` between neighbouring tiles (none
/// around the border).
struct GridLayout {
  int64_t columns = 0;
  int64_t separator = 1;
  uint8_t background = 128;
};

/// Composes `count` tiles of `tile` shape, stored one after another as
/// bytes (tile.elements() each), into one grid, row by row: tile i goes
/// to row i / columns, column i % columns. The last row may be partial
/// (its missing tiles are background).
Image composeGrid(const uint8_t *tiles, int64_t count, const TileShape &tile,
                  const GridLayout &layout);

/// toPixels over all `count` samples together, then composeGrid.
Image imageGrid(const float *values, int64_t count, const TileShape &tile,
                PixelRange range, const GridLayout &layout);

/// Interleaves two equally long tile sequences by grid rows: `columns`
/// tiles of `first`, then the same samples of `second`, and so on, so that
/// a grid of `columns` columns shows each sample of `first` directly above
/// its counterpart in `second` (an autoencoder's inputs above their
/// reconstructions). The result has 2 * count tiles; a partial last row of
/// `first` is padded with blank tiles (value `background`) so that the
/// pairs stay aligned.
std::vector<uint8_t> interleaveRows(const uint8_t *first, const uint8_t *second,
                                    int64_t count, int64_t tileBytes,
                                    int64_t columns, uint8_t background);

/// The number of columns a layout uses for `count` tiles.
int64_t gridColumns(const GridLayout &layout, int64_t count);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_PNG_H
