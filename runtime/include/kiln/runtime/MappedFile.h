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
#include <vector>

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
  friend class SpoolFile;
  /// Maps the whole file open at `fd` (the caller keeps and closes it).
  static std::shared_ptr<MappedFile> mapDescriptor(int fd,
                                                   const std::string &path);
  MappedFile(std::string path, const uint8_t *data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t *data_;
  size_t size_;
  mutable std::atomic<size_t> unreleased_{0};
};

/// Data converted chunk by chunk into an unlinked temporary file (in
/// $TMPDIR, else /tmp, as for a .gz file), then mapped: how `--stream`
/// serves inputs that need converting first (CSV text, NumPy arrays of
/// types other than uint8 and float32). The converted data never sit whole
/// in memory, only kBufferBytes of them at a time.
class SpoolFile {
public:
  /// `name` names the source in errors.
  explicit SpoolFile(std::string name);
  ~SpoolFile();
  SpoolFile(const SpoolFile &) = delete;
  SpoolFile &operator=(const SpoolFile &) = delete;

  /// Appends `size` bytes.
  void append(const void *data, size_t size);
  /// Bytes appended so far.
  size_t size() const { return size_; }
  /// Writes out what is buffered and maps the whole file read-only; the
  /// SpoolFile takes no more data afterwards.
  std::shared_ptr<MappedFile> map();

  static constexpr size_t kBufferBytes = size_t(1) << 20;

private:
  void flush();

  std::string name_;
  int fd_ = -1;
  size_t size_ = 0;
  std::vector<char> buffer_;
};

/// The directory for temporary files: $TMPDIR, else /tmp.
std::string temporaryDirectory();

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_MAPPEDFILE_H
