//===- Npy.h - NumPy .npy arrays --------------------------------*- C++ -*-===//
//
// Reads and writes the NumPy array format (versions 1.0-3.0): a magic
// string, a Python-literal header {'descr': '<f4', 'fortran_order': False,
// 'shape': (N, ...)} and the raw C-order data. Element types float32,
// float64, uint8, int32 and int64 (little-endian) are read; anything else
// (big-endian, Fortran order, objects, other types) is refused with an
// Error naming the file and what it holds.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_NPY_H
#define KILN_RUNTIME_NPY_H

#include "kiln/runtime/Data.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class MappedFile;

/// Element types of .npy files the runtime reads.
enum class NpyType { F32, F64, U8, I32, I64 };

/// A parsed .npy array: shape and the raw little-endian data.
struct NpyArray {
  NpyType type = NpyType::F32;
  std::vector<int64_t> shape;
  std::string data;
  /// With streaming: the mapped file and the array data in it, used
  /// instead of `data`.
  std::shared_ptr<const MappedFile> mapping;
  const char *mapped = nullptr;

  /// The raw data, mapped or in memory.
  const char *bytes() const { return mapped ? mapped : data.data(); }
  int64_t elements() const;
  /// Element `i` converted to double.
  double at(int64_t i) const;
};

/// Parses the bytes of a .npy file; `name` names it in errors.
NpyArray parseNpy(const std::string &bytes, const std::string &name);

/// Reads the .npy file at `path` (plain or gzip); with `stream`, maps it
/// (MappedFile) and leaves the data there, validated the same way.
NpyArray readNpy(const std::string &path, bool stream = false);

/// Loads inputs `xPath` (N x ...) and labels `yPath` (N or N x 1, integer
/// class indices; floats must be integral) as a Dataset, keeping the first
/// `maxSamples` when >= 0. uint8 inputs stay bytes, the others become
/// float32.
/// With `targetElements` > 0, `yPath` holds float targets instead (N x ...,
/// targetElements per sample, finite; any numeric type).
/// With `stream`, uint8 and float32 inputs stay in a mapping of `xPath`;
/// other types are converted chunk by chunk into a mapped temporary file
/// (SpoolFile), with the same values and errors as without it.
Dataset loadNpyDataset(const std::string &xPath, const std::string &yPath,
                       int64_t maxSamples, int64_t targetElements = 0,
                       bool stream = false);

/// Loads unlabeled inputs (predict), streamed as loadNpyDataset does.
/// Keeps the first `maxSamples` samples when it is >= 0.
Dataset loadNpyInputs(const std::string &path, bool stream = false,
                      int64_t maxSamples = -1);

/// The bytes of a .npy file (format 1.0) of a float32 array of `shape`.
std::string encodeNpy(const std::vector<int64_t> &shape, const float *data);

/// Writes a float32 array of `shape` in .npy format 1.0, atomically.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_NPY_H
