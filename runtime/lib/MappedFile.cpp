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

/// Decompresses the gzip file `path` into a new, already unlinked temporary
/// file and returns its descriptor.
int decompressToTemporary(const std::string &path) {
  const char *dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") +
                        "/kiln-stream-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  Fd out;
  out.fd = ::mkstemp(name.data());
  if (out.fd < 0)
    fail("%s: cannot create a temporary file in %s: %s", path.c_str(),
         pattern.c_str(), std::strerror(errno));
  ::unlink(name.data());

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
      // The page cache keeps what one write() brings as one folio, which
      // a fault then maps whole; page-sized writes keep the mapping's
      // residency to the pages actually read.
      for (int done = 0; done < got; done += kWriteChunk)
        writeAll(out.fd, buffer.data() + done,
                 static_cast<size_t>(std::min(kWriteChunk, got - done)), path);
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
  if (::fstat(file.fd, &info) != 0)
    fail("%s: cannot stat: %s", path.c_str(), std::strerror(errno));
  size_t size = static_cast<size_t>(info.st_size);
  if (size == 0)
    return std::shared_ptr<MappedFile>(new MappedFile(path, nullptr, 0));
  void *data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, file.fd, 0);
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

} // namespace runtime
} // namespace kiln
