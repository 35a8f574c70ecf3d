//===- Checkpoint.h - Saving and restoring training state -------*- C++ -*-===//
//
// A checkpoint holds everything needed to continue training bitwise
// identically: parameters, optimizer state and step count, completed epochs
// the shuffling generator and the position inside an interrupted epoch. It
// is tied to one compiled model through the
// descriptor's fingerprint.
//
// Format version 2, all integers and floats little-endian:
//
//   offset  size  field
//        0     8  magic "KILNCKPT"
//        8     4  u32 format version (2)
//       12     4  u32 runtime ABI version (KILN_ABI_VERSION)
//       16     8  u64 model fingerprint
//       24     8  u64 completed epochs
//       32     8  u64 optimizer iterations (global step)
//       40    32  u64[4] shuffling generator state (xoshiro256**)
//       72     4  u32 optimizer kind (enum KilnOptimizer)
//       76     4  u32 optimizer slots per parameter (0 SGD, 2 Adam: m, v)
//       80     4  u32 number of parameters P
//       84        P parameter records:
//                   u32 name length L, L bytes of name (no NUL),
//                   u32 rank R, R x i64 dimensions,
//                   E x f32 values (E = product of dimensions),
//                   slots x E x f32 optimizer state
//                 then the position inside an interrupted epoch:
//                   u64 steps done (0 at an epoch boundary),
//                   u64[4] shuffling generator state at the epoch's start,
//                   f64 running loss sum, u32 M, M x f64 metric sums,
//                   u64 samples seen, f32 current constant learning rate
//      end     8  u64 FNV-1a 64-bit hash of every preceding byte
//
// Files are written atomically (AtomicFile). Loading checks magic, versions,
// fingerprint, every name and shape against the descriptor, the length and
// the checksum, and refuses the file with an Error naming the mismatch.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CHECKPOINT_H
#define KILN_RUNTIME_CHECKPOINT_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class Trainer;

/// The current checkpoint format version.
constexpr uint32_t kCheckpointVersion = 2;

/// Serializes the trainer's state into the bytes of a checkpoint file.
std::vector<uint8_t> encodeCheckpoint(const Trainer &trainer);

/// Restores the trainer's state from checkpoint bytes; `name` names the file
/// in errors. The trainer is left unchanged if the data is refused. Without
/// `withOptimizer` (evaluate, predict) the optimizer state is skipped, so
/// the checkpoint's optimizer need not match the trainer's.
void decodeCheckpoint(const std::vector<uint8_t> &bytes,
                      const std::string &name, Trainer &trainer,
                      bool withOptimizer = true);

/// Writes a checkpoint to `path` atomically.
void saveCheckpoint(const std::string &path, const Trainer &trainer);

/// Reads and restores a checkpoint from `path`.
void loadCheckpoint(const std::string &path, Trainer &trainer,
                    bool withOptimizer = true);

/// FNV-1a, 64 bits.
uint64_t fnv1a64(const uint8_t *data, size_t size);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CHECKPOINT_H
