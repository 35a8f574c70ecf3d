//===- StreamPolicy.h - When to stream data from disk -----------*- C++ -*-===//
//
// Without --stream or --no-stream, train, evaluate and predict stream the
// data (MappedFile, SpoolFile) when loading it would not fit comfortably in
// memory: when the loaders' estimated peak exceeds half of MemAvailable
// (/proc/meminfo). The environment variable KILN_STREAM_THRESHOLD (bytes)
// replaces that threshold, for tests and for users who know better.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_STREAMPOLICY_H
#define KILN_RUNTIME_STREAMPOLICY_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// How a data file is read, which decides what loading it costs.
enum class DataFormat { Idx, Npy, Csv };

/// One input file of a run.
struct DataFile {
  std::string path;
  DataFormat format;
};

/// Size of the file's contents once decompressed: the file size, or for a
/// gzip file the size its trailer records (which counts modulo 2^32; the
/// smallest such size not below the compressed one is taken). Errors for
/// a missing file name it.
uint64_t contentSize(const std::string &path);

/// Estimated peak bytes the in-memory loader holds for `file`: IDX the
/// data themselves; NumPy three times the contents (the file read whole,
/// then the array copied and converted); CSV five times (the text, and its
/// floats, up to 2 bytes of them per byte of text, in a vector that grows
/// by doubling: 4.2 times measured on Fashion-MNIST's 133 MB CSV).
uint64_t estimateLoadBytes(const DataFile &file);

/// MemAvailable of a /proc/meminfo text, in bytes; nullopt if absent.
std::optional<uint64_t> parseMemAvailable(const std::string &meminfo);

/// The size above which data are streamed: KILN_STREAM_THRESHOLD when set
/// (a byte count; anything else is an Error), else half of MemAvailable;
/// nullopt when neither is known (then nothing streams automatically).
std::optional<uint64_t> streamThreshold();

/// The decision for a run reading `files`.
struct StreamDecision {
  bool stream = false;
  /// Chosen by the size rule rather than by a flag.
  bool automatic = false;
  uint64_t estimate = 0;
  uint64_t threshold = 0;
};

/// Decides: `forced` (--stream/--no-stream) wins; otherwise stream when the
/// estimates of `files` add up to more than streamThreshold().
StreamDecision decideStreaming(std::optional<bool> forced,
                               const std::vector<DataFile> &files);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_STREAMPOLICY_H
