//===- Npz.cpp - NumPy .npz archives --------------------------------------===//
//
// The ZIP layout (PKWARE APPNOTE 6.3): per member a local file header and
// the data, then the central directory (one entry per member) and the end
// of central directory record. Every integer is little-endian.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Npz.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"

#include <cstdint>
#include <zlib.h>

namespace kiln {
namespace runtime {

namespace {

void put16(std::string &out, uint32_t value) {
  out += static_cast<char>(value & 0xff);
  out += static_cast<char>((value >> 8) & 0xff);
}

void put32(std::string &out, uint32_t value) {
  put16(out, value & 0xffff);
  put16(out, value >> 16);
}

/// 1980-01-01 00:00 in MS-DOS format: fixed, so that exports of the same
/// weights are byte-identical.
constexpr uint32_t kDosTime = 0;
constexpr uint32_t kDosDate = (0 << 9) | (1 << 5) | 1;
constexpr uint32_t kLimit = 0xffffffffu;

} // namespace

std::string encodeZip(const std::vector<ZipMember> &members) {
  if (members.size() >= 0xffff)
    fail("zip archive: %zu members need ZIP64, which is not supported",
         members.size());
  std::string out, directory;
  for (const ZipMember &member : members) {
    if (member.bytes.size() >= kLimit || out.size() >= kLimit)
      fail("zip archive: '%s' does not fit without ZIP64", member.name.c_str());
    const uint32_t crc = static_cast<uint32_t>(
        crc32_z(crc32(0, nullptr, 0),
                reinterpret_cast<const Bytef *>(member.bytes.data()),
                member.bytes.size()));
    const uint32_t size = static_cast<uint32_t>(member.bytes.size());
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t nameLength = static_cast<uint32_t>(member.name.size());
    // Local file header.
    put32(out, 0x04034b50);
    put16(out, 20); // version needed: 2.0
    put16(out, 0);  // flags
    put16(out, 0);  // method: stored
    put16(out, kDosTime);
    put16(out, kDosDate);
    put32(out, crc);
    put32(out, size); // compressed
    put32(out, size); // uncompressed
    put16(out, nameLength);
    put16(out, 0); // extra field length
    out += member.name;
    out += member.bytes;
    // Central directory entry.
    put32(directory, 0x02014b50);
    put16(directory, 20); // version made by: 2.0, MS-DOS attributes
    put16(directory, 20);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, kDosTime);
    put16(directory, kDosDate);
    put32(directory, crc);
    put32(directory, size);
    put32(directory, size);
    put16(directory, nameLength);
    put16(directory, 0); // extra
    put16(directory, 0); // comment
    put16(directory, 0); // disk number
    put16(directory, 0); // internal attributes
    put32(directory, 0); // external attributes
    put32(directory, offset);
    directory += member.name;
  }
  if (out.size() + directory.size() >= kLimit)
    fail("zip archive: %zu bytes need ZIP64, which is not supported",
         out.size() + directory.size());
  const uint32_t directoryOffset = static_cast<uint32_t>(out.size());
  out += directory;
  // End of central directory record.
  put32(out, 0x06054b50);
  put16(out, 0); // this disk
  put16(out, 0); // disk of the directory
  put16(out, static_cast<uint32_t>(members.size()));
  put16(out, static_cast<uint32_t>(members.size()));
  put32(out, static_cast<uint32_t>(directory.size()));
  put32(out, directoryOffset);
  put16(out, 0); // comment length
  return out;
}

void writeZip(const std::string &path, const std::vector<ZipMember> &members) {
  std::string bytes = encodeZip(members);
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

} // namespace runtime
} // namespace kiln
