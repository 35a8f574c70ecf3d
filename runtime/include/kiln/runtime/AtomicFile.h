//===- AtomicFile.h - Temporary-file-then-rename output ---------*- C++ -*-===//
//
// Every file the runtime writes (checkpoints, metrics JSON, prediction CSV)
// goes through AtomicFile: the data is written to `<path>.tmp` and only
// renamed over `<path>` by commit(), after an fsync. A run that fails or is
// interrupted therefore never leaves a half-written file under the final
// name; an uncommitted temporary is removed by the destructor.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ATOMICFILE_H
#define KILN_RUNTIME_ATOMICFILE_H

#include <cstddef>
#include <cstdio>
#include <string>

namespace kiln {
namespace runtime {

/// An output file that appears under its final name only when complete.
class AtomicFile {
public:
  /// Creates `<path>.tmp`, failing with an Error naming `path`.
  explicit AtomicFile(std::string path);
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  void write(const void *data, size_t size);
  void write(const std::string &text) { write(text.data(), text.size()); }

  /// Hands buffered data to the OS, so the temporary can be followed live.
  void flush();

  /// Flushes, fsyncs and renames the temporary over the final path.
  void commit();

  const std::string &path() const { return path_; }
  std::string temporaryPath() const { return path_ + ".tmp"; }

private:
  [[noreturn]] void failWith(const char *what);

  std::string path_;
  std::FILE *file_ = nullptr;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_ATOMICFILE_H
