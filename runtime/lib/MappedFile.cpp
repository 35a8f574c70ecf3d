//===- MappedFile.cpp - Read-only memory-mapped data files ----------------===//

#include "kiln/runtime/MappedFile.h"
#include "kiln/runtime/Error.h"

#include <zlib.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace kiln {
namespace runtime {

namespace {

/// Closes a file descriptor on every exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// True when the file at `fd` starts with the gzip magic 1f 8b.
bool isGzip(int fd, const std::string &path) {
  uint8_t magic[2] = {0, 0};
  ssize_t got = ::pread(fd, magic, 2, 0);
  if (got < 0)
    fail("%s: read error: %s", path.c_str(), std::strerror(errno));
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/// Writes all of `size` bytes to `fd`.
void writeAll(int fd, const char *data, size_t size, const std::string &what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("%s: cannot write the decompressed temporary file: %s",
           what.c_str(), std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
}

constexpr int kWriteChunk = 4096;

/// Writes `size` bytes a page per write(): the page cache keeps what one
/// write() brings as one folio, which a fault then maps whole; page-sized
/// writes keep the mapping's residency to the pages actually read.
void writePages(int fd, const char *data, size_t size,
                const std::string &what) {
  for (size_t done = 0; done < size; done += kWriteChunk)
    writeAll(fd, data + done, std::min<size_t>(kWriteChunk, size - done), what);
}

/// Creates a new, already unlinked temporary file in $TMPDIR (else /tmp)
/// for the data of `what` and returns its descriptor.
int createUnlinkedTemporary(const std::string &what) {
  std::string pattern = temporaryDirectory() + "/kiln-stream-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0)
    fail("%s: cannot create a temporary file in %s: %s", what.c_str(),
         pattern.c_str(), std::strerror(errno));
  ::unlink(name.data());
  return fd;
}

/// Decompresses the gzip file `path` into a new, already unlinked temporary
/// file and returns its descriptor.
int decompressToTemporary(const std::string &path) {
  Fd out;
  out.fd = createUnlinkedTemporary(path);

  errno = 0;
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in)
    fail("%s: cannot open: %s", path.c_str(),
         errno ? std::strerror(errno) : "out of memory");
  gzbuffer(in, 1 << 17);
  std::vector<char> buffer(size_t(1) << 20);
  while (true) {
    int got = gzread(in, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (got > 0) {
      writePages(out.fd, buffer.data(), static_cast<size_t>(got), path);
      continue;
    }
    int code = Z_OK;
    const char *message = gzerror(in, &code);
    // Z_BUF_ERROR is a stream that ends early: keep what was decompressed,
    // so the reader reports the truncation as it does for a plain file.
    if (code != Z_OK && code != Z_BUF_ERROR) {
      std::string text = code == Z_ERRNO ? std::strerror(errno) : message;
      gzclose(in);
      fail("%s: read error: %s", path.c_str(), text.c_str());
    }
    break;
  }
  gzclose(in);
  int fd = out.fd;
  out.fd = -1;
  return fd;
}

} // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string &path) {
  Fd file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0)
    fail("%s: cannot open: %s", path.c_str(), std::strerror(errno));
  struct stat info;
  if (::fstat(file.fd, &info) != 0)
    fail("%s: cannot stat: %s", path.c_str(), std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    fail("%s: not a regular file", path.c_str());
  if (isGzip(file.fd, path)) {
    int temporary = decompressToTemporary(path);
    ::close(file.fd);
    file.fd = temporary;
  }
  return mapDescriptor(file.fd, path);
}

std::shared_ptr<MappedFile> MappedFile::mapDescriptor(int fd,
                                                      const std::string &path) {
  struct stat info;
  if (::fstat(fd, &info) != 0)
    fail("%s: cannot stat: %s", path.c_str(), std::strerror(errno));
  size_t size = static_cast<size_t>(info.st_size);
  if (size == 0)
    return std::shared_ptr<MappedFile>(new MappedFile(path, nullptr, 0));
  void *data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED)
    fail("%s: cannot map: %s", path.c_str(), std::strerror(errno));
  // Samples are visited in shuffled order: read-ahead would only waste
  // page cache.
  ::madvise(data, size, MADV_RANDOM);
  return std::shared_ptr<MappedFile>(
      new MappedFile(path, static_cast<const uint8_t *>(data), size));
}

MappedFile::~MappedFile() {
  if (data_)
    ::munmap(const_cast<uint8_t *>(data_), size_);
}

void MappedFile::noteRead(size_t bytes) const {
  size_t total = unreleased_.fetch_add(bytes) + bytes;
  if (total < kReleaseBytes)
    return;
  unreleased_.store(0);
  release();
}

void MappedFile::release() const {
  // MADV_DONTNEED on a read-only file mapping only unmaps the pages; the
  // next access refaults the same bytes from the page cache.
  if (data_)
    ::madvise(const_cast<uint8_t *>(data_), size_, MADV_DONTNEED);
}

SpoolFile::SpoolFile(std::string name) : name_(std::move(name)) {
  fd_ = createUnlinkedTemporary(name_);
  buffer_.reserve(kBufferBytes);
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

void SpoolFile::append(const void *data, size_t size) {
  const char *bytes = static_cast<const char *>(data);
  while (size > 0) {
    size_t n = std::min(size, kBufferBytes - buffer_.size());
    buffer_.insert(buffer_.end(), bytes, bytes + n);
    bytes += n;
    size -= n;
    size_ += n;
    if (buffer_.size() == kBufferBytes)
      flush();
  }
}

void SpoolFile::flush() {
  writePages(fd_, buffer_.data(), buffer_.size(), name_);
  buffer_.clear();
}

std::shared_ptr<MappedFile> SpoolFile::map() {
  flush();
  std::vector<char>().swap(buffer_);
  std::shared_ptr<MappedFile> mapping = MappedFile::mapDescriptor(fd_, name_);
  ::close(fd_);
  fd_ = -1;
  return mapping;
}

std::string temporaryDirectory() {
  const char *dir = std::getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

} // namespace runtime
} // namespace kiln
