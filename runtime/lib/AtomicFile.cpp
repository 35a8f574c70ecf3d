//===- AtomicFile.cpp - Write-to-temporary-then-rename output files -------===//

#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace kiln {
namespace runtime {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(temporaryPath().c_str(), "wb");
  if (!file_)
    fail("%s: cannot create %s: %s", path_.c_str(), temporaryPath().c_str(),
         std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (!file_)
    return;
  std::fclose(file_);
  std::remove(temporaryPath().c_str());
}

void AtomicFile::failWith(const char *what) {
  int savedErrno = errno;
  std::fclose(file_);
  file_ = nullptr;
  std::remove(temporaryPath().c_str());
  fail("%s: %s: %s", path_.c_str(), what, std::strerror(savedErrno));
}

void AtomicFile::write(const void *data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size)
    failWith("write error");
}

void AtomicFile::flush() {
  if (std::fflush(file_) != 0)
    failWith("write error");
}

void AtomicFile::commit() {
  if (std::fflush(file_) != 0)
    failWith("write error");
  if (::fsync(fileno(file_)) != 0)
    failWith("fsync failed");
  std::FILE *file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) {
    int savedErrno = errno;
    std::remove(temporaryPath().c_str());
    fail("%s: write error: %s", path_.c_str(), std::strerror(savedErrno));
  }
  if (std::rename(temporaryPath().c_str(), path_.c_str()) != 0) {
    int savedErrno = errno;
    std::remove(temporaryPath().c_str());
    fail("%s: cannot rename %s into place: %s", path_.c_str(),
         temporaryPath().c_str(), std::strerror(savedErrno));
  }
  // Persist the rename itself; a failure here cannot lose data already
  // written, so it is not reported.
  std::string directory = ".";
  size_t slash = path_.find_last_of('/');
  if (slash != std::string::npos)
    directory = slash == 0 ? "/" : path_.substr(0, slash);
  int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
}

} // namespace runtime
} // namespace kiln
