//===- Npz.h - NumPy .npz archives ------------------------------*- C++ -*-===//
//
// An .npz file is a ZIP archive of .npy files, which numpy.load opens as a
// mapping from names (without ".npy") to arrays. The writer stores members
// uncompressed (ZIP method 0, with zlib's CRC-32), which every ZIP reader
// and numpy accept; float weights barely compress anyway.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_NPZ_H
#define KILN_RUNTIME_NPZ_H

#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// One member of an archive: its name inside the ZIP ("dense/kernel.npy")
/// and its bytes.
struct ZipMember {
  std::string name;
  std::string bytes;
};

/// The bytes of a ZIP archive holding `members`, stored uncompressed. Fails
/// when the archive would need ZIP64 (a member or the whole of 4 GiB or
/// more, or 65535 members or more).
std::string encodeZip(const std::vector<ZipMember> &members);

/// Writes `members` as a ZIP archive to `path`, atomically.
void writeZip(const std::string &path, const std::vector<ZipMember> &members);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_NPZ_H
