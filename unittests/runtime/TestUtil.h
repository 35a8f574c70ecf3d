//===- TestUtil.h - Shared helpers of the runtime unit tests ----*- C++ -*-===//

#ifndef KILN_UNITTESTS_RUNTIME_TESTUTIL_H
#define KILN_UNITTESTS_RUNTIME_TESTUTIL_H

#include "kiln/runtime/abi.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace test {

/// A fresh directory under gtest's temporary directory, removed with its
/// contents on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  /// `path()/name`.
  std::string file(const std::string &name) const;
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

/// The bytes of an IDX file of unsigned bytes with the given dimensions.
std::vector<uint8_t> idxBytes(const std::vector<int64_t> &dims,
                              const std::vector<uint8_t> &data);

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes);
/// Writes `bytes` gzip-compressed.
void writeGzip(const std::string &path, const std::vector<uint8_t> &bytes);
std::vector<uint8_t> readBytes(const std::string &path);
std::string readText(const std::string &path);
bool fileExists(const std::string &path);

/// A linearly separable 3-class problem for the 4-input tiny model: class c
/// has a high value in feature c, the rest is noise.
struct SyntheticData {
  std::vector<uint8_t> inputs; // count x 4
  std::vector<uint8_t> labels; // count
};
SyntheticData makeSeparableData(int64_t count, uint64_t seed);

/// Writes `data` as MNIST-style IDX files (images count x 2 x 2, plain or
/// gzipped) `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte`.
void writeSyntheticIdx(const SyntheticData &data, const std::string &dir,
                       const std::string &prefix, bool gzip);

/// A descriptor for tests that never call its entry points: a Dense layer
/// of `inputs` x `classes` plus bias, with `optimizer`.
KilnModelDesc makeTestDesc(int64_t inputs, int64_t classes,
                           int32_t optimizer = KILN_OPTIMIZER_ADAM);

} // namespace test
} // namespace kiln

#endif // KILN_UNITTESTS_RUNTIME_TESTUTIL_H
