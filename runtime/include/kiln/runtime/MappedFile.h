//===- MappedFile.h - Read-only memory-mapped data files --------*- C++ -*-===//
//
// `--stream` serves data sets from a read-only mapping instead of a copy in
// memory: an uncompressed file is mapped as it is; a gzip file is
// decompressed once (zlib checks its CRC) into an unlinked temporary file
// in $TMPDIR (else /tmp), which is then mapped. Pages of a file mapping
// are clean, so the kernel can drop them under pressure and refault them
// from the page cache; release() also drops them from this process's
// resident set on request, which keeps the resident memory of a run near
// its batch buffers whatever the size of the data.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_MAPPEDFILE_H
#define KILN_RUNTIME_MAPPEDFILE_H

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace kiln {
namespace runtime {

/// A whole file mapped read-only; unmapped by the destructor.
class MappedFile {
public:
  /// Maps `path` (plain or gzip, by its magic bytes). Failures are an Error
  /// naming the file.
  static std::shared_ptr<MappedFile> open(const std::string &path);

  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  const std::string &path() const { return path_; }

  /// Records that `bytes` were read through the mapping; once more than
  /// kReleaseBytes have been read since the last release, drops the
  /// mapping's pages from the resident set (they stay in the page cache).
  /// Safe to call from any thread.
  void noteRead(size_t bytes) const;

  /// Drops the mapping's pages from the resident set now.
  void release() const;

  static constexpr size_t kReleaseBytes = size_t(8) << 20;

private:
  MappedFile(std::string path, const uint8_t *data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t *data_;
  size_t size_;
  mutable std::atomic<size_t> unreleased_{0};
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_MAPPEDFILE_H
