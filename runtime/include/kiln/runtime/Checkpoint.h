//===- Checkpoint.h - Saving and restoring training state -------*- C++ -*-===//
//
// A checkpoint holds everything needed to continue training bitwise
// identically: parameters, optimizer state and step count, completed epochs
// the shuffling generator and the position inside an interrupted epoch. It
// is tied to one compiled model through the
// descriptor's fingerprint.
//
// Format version 3 is the FlatBuffers schema `schema/checkpoint.fbs`
// (file identifier "KCKP"), size-prefixed and followed by a checksum:
//
//   u32 N (little-endian) | N bytes: the Checkpoint table | u64 FNV-1a hash
//                                                          of all bytes before
//
// Files are written atomically (AtomicFile). Loading refuses, with an Error
// naming the file and the problem: a file without the identifier (versions
// 1-2 are recognized by their "KILNCKPT" magic), a length other than
// 4 + N + 8 (truncated or trailing data), a wrong checksum, a buffer the
// FlatBuffers verifier rejects, another format or ABI version, another
// model's fingerprint, and any name, shape or size that disagrees with the
// descriptor.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CHECKPOINT_H
#define KILN_RUNTIME_CHECKPOINT_H

#include "kiln/runtime/Callbacks.h"
#include "kiln/runtime/Random.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class Optimizer;
class Trainer;

/// A GAN loop's state besides its holder trainer's (GanDriver.cpp): the
/// trainer holds both networks' parameters and the discriminator's
/// optimizer.
struct GanLoopState {
  Optimizer *generatorOptimizer = nullptr;
  Rng::State latentRng = {}, classRng = {}, interpolationRng = {};
  int64_t steps = 0;
  int64_t discriminatorSteps = 0;
};

/// The state besides the trainer's that a checkpoint carries: the
/// callbacks' and a GAN's; null members are absent.
struct CheckpointExtras {
  EarlyStopping::State *earlyStopping = nullptr;
  ReduceLROnPlateau::State *plateau = nullptr;
  GanLoopState *gan = nullptr;
};

/// The current checkpoint format version.
constexpr uint32_t kCheckpointVersion = 3;

/// Serializes the trainer's state into the bytes of a checkpoint file.
/// `extras` adds the state of the run's callbacks and GAN loop.
std::vector<uint8_t> encodeCheckpoint(const Trainer &trainer,
                                      const CheckpointExtras &extras = {});

/// Restores the trainer's state from checkpoint bytes; `name` names the file
/// in errors. The trainer is left unchanged if the data is refused. Without
/// `withOptimizer` (evaluate, predict) the optimizer state is skipped, so
/// the checkpoint's optimizer need not match the trainer's.
/// The callback states `extras` points to are restored from the checkpoint
/// when it has them (and left as they are otherwise); a GAN's state must be
/// there when `withOptimizer` asks for it.
void decodeCheckpoint(const std::vector<uint8_t> &bytes,
                      const std::string &name, Trainer &trainer,
                      bool withOptimizer = true,
                      const CheckpointExtras &extras = {});

/// Writes a checkpoint to `path` atomically.
void saveCheckpoint(const std::string &path, const Trainer &trainer,
                    const CheckpointExtras &extras = {});

/// Reads and restores a checkpoint from `path`.
void loadCheckpoint(const std::string &path, Trainer &trainer,
                    bool withOptimizer = true,
                    const CheckpointExtras &extras = {});

/// The bytes of the checkpoint file `path` (decodeCheckpoint checks them).
std::vector<uint8_t> readCheckpointFile(const std::string &path);

/// FNV-1a, 64 bits.
uint64_t fnv1a64(const uint8_t *data, size_t size);

/// Appends the little-endian FNV-1a hash of `bytes` (the checkpoint trailer).
void appendChecksum(std::vector<uint8_t> &bytes);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CHECKPOINT_H
