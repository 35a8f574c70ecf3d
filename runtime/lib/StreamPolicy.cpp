//===- StreamPolicy.cpp - When to stream data from disk -------------------===//

#include "kiln/runtime/StreamPolicy.h"
#include "kiln/runtime/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace kiln {
namespace runtime {

uint64_t contentSize(const std::string &path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0)
    fail("%s: cannot open: %s", path.c_str(), std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(info.st_size);
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    fail("%s: cannot open: %s", path.c_str(), std::strerror(errno));
  unsigned char magic[2] = {0, 0}, trailer[4] = {0, 0, 0, 0};
  bool gzip = std::fread(magic, 1, 2, file) == 2 && magic[0] == 0x1f &&
              magic[1] == 0x8b && size >= 18;
  bool haveTrailer = gzip && std::fseek(file, -4, SEEK_END) == 0 &&
                     std::fread(trailer, 1, 4, file) == 4;
  std::fclose(file);
  if (!haveTrailer)
    return size;
  // ISIZE: the uncompressed size modulo 2^32, little-endian.
  uint64_t isize = uint64_t(trailer[0]) | uint64_t(trailer[1]) << 8 |
                   uint64_t(trailer[2]) << 16 | uint64_t(trailer[3]) << 24;
  while (isize < size)
    isize += uint64_t(1) << 32;
  return isize;
}

uint64_t estimateLoadBytes(const DataFile &file) {
  uint64_t contents = contentSize(file.path);
  switch (file.format) {
  case DataFormat::Idx:
    return contents;
  case DataFormat::Npy:
    return 3 * contents;
  case DataFormat::Csv:
    return 5 * contents;
  }
  return 5 * contents;
}

std::optional<uint64_t> parseMemAvailable(const std::string &meminfo) {
  std::istringstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kib) == 1)
      return uint64_t(kib) * 1024;
  }
  return std::nullopt;
}

std::optional<uint64_t> streamThreshold() {
  if (const char *text = std::getenv("KILN_STREAM_THRESHOLD")) {
    char *end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (!*text || *end || errno || text[0] == '-')
      fail("KILN_STREAM_THRESHOLD: expected a number of bytes, got '%s'", text);
    return uint64_t(value);
  }
  std::ifstream in("/proc/meminfo");
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::optional<uint64_t> available = parseMemAvailable(text.str());
  if (!available)
    return std::nullopt;
  return *available / 2;
}

StreamDecision decideStreaming(std::optional<bool> forced,
                               const std::vector<DataFile> &files) {
  StreamDecision decision;
  if (forced) {
    decision.stream = *forced;
    return decision;
  }
  for (const DataFile &file : files)
    decision.estimate += estimateLoadBytes(file);
  std::optional<uint64_t> threshold = streamThreshold();
  if (!threshold)
    return decision;
  decision.threshold = *threshold;
  decision.stream = decision.estimate > *threshold;
  decision.automatic = decision.stream;
  return decision;
}

} // namespace runtime
} // namespace kiln
