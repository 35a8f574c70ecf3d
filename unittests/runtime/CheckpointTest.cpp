//===- CheckpointTest.cpp - Tests of checkpoint files ---------------------===//

#include "TestUtil.h"

#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Trainer.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

/// A trainer with distinctive state in every field a checkpoint holds.
struct Fixture {
  explicit Fixture(int32_t optimizer = KILN_OPTIMIZER_ADAM)
      : desc(makeTestDesc(4, 3, optimizer)), model(desc),
        trainer(model, desc.optimizer, 4) {
    trainer.initialize(5);
    trainer.setCompletedEpochs(3);
    trainer.optimizer().setIterations(77);
    trainer.shuffleRng().next();
    for (int32_t slot = 0; slot < trainer.optimizer().slotsPerParam(); ++slot)
      for (int32_t p = 0; p < 2; ++p)
        for (float &value : trainer.optimizer().slotData(slot, p))
          value = 0.25f * float(slot + 1) + float(p);
  }
  KilnModelDesc desc;
  ModelInfo model;
  Trainer trainer;
};

std::string loadError(const std::string &path, Trainer &trainer) {
  try {
    loadCheckpoint(path, trainer);
  } catch (const Error &error) {
    return error.what();
  }
  return "<no error>";
}

TEST(CheckpointTest, RoundTrip) {
  TempDir dir;
  Fixture saved;
  saveCheckpoint(dir.file("a.ckpt"), saved.trainer);
  EXPECT_FALSE(fileExists(dir.file("a.ckpt.tmp")));

  Fixture loaded;
  loaded.trainer.initialize(99);
  loadCheckpoint(dir.file("a.ckpt"), loaded.trainer);
  EXPECT_EQ(loaded.trainer.params(), saved.trainer.params());
  EXPECT_EQ(loaded.trainer.completedEpochs(), 3);
  EXPECT_EQ(loaded.trainer.optimizer().iterations(), 77);
  EXPECT_EQ(loaded.trainer.shuffleRng().state(),
            saved.trainer.shuffleRng().state());
  for (int32_t slot = 0; slot < 2; ++slot)
    for (int32_t p = 0; p < 2; ++p)
      EXPECT_EQ(loaded.trainer.optimizer().slotData(slot, p),
                saved.trainer.optimizer().slotData(slot, p));
}

TEST(CheckpointTest, LayoutIsDocumentedFormat) {
  Fixture fixture(KILN_OPTIMIZER_SGD);
  std::vector<uint8_t> bytes = encodeCheckpoint(fixture.trainer);
  ASSERT_GE(bytes.size(), 84u);
  EXPECT_EQ(std::memcmp(bytes.data(), "KILNCKPT", 8), 0);
  EXPECT_EQ(bytes[8], kCheckpointVersion);
  EXPECT_EQ(bytes[12], KILN_ABI_VERSION);
  EXPECT_EQ(bytes[16], 0x00); // fingerprint 0x1234abcd5678ef00, LE
  EXPECT_EQ(bytes[17], 0xef);
  EXPECT_EQ(bytes[24], 3);  // completed epochs
  EXPECT_EQ(bytes[32], 77); // iterations
  // Header, then "dense/kernel" (4+12, rank 4+16, 12 floats) and
  // "dense/bias" (4+10, rank 4+8, 3 floats), the epoch position (step,
  // generator, loss sum, one metric sum, samples, learning rate), then the
  // checksum.
  EXPECT_EQ(bytes.size(), 84u + (16 + 20 + 48) + (14 + 12 + 12) +
                              (8 + 32 + 8 + 4 + 8 + 8 + 4) + 8);
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i)
    stored |= uint64_t(bytes[bytes.size() - 8 + i]) << (8 * i);
  EXPECT_EQ(stored, fnv1a64(bytes.data(), bytes.size() - 8));
}

TEST(CheckpointTest, RejectsOtherModel) {
  TempDir dir;
  Fixture saved;
  saveCheckpoint(dir.file("a.ckpt"), saved.trainer);
  KilnModelDesc other = makeTestDesc(4, 3);
  other.fingerprint = 0x42;
  other.name = "other";
  ModelInfo otherModel(other);
  Trainer trainer(otherModel, other.optimizer, 4);
  EXPECT_EQ(loadError(dir.file("a.ckpt"), trainer),
            dir.file("a.ckpt") +
                ": checkpoint belongs to another model (fingerprint "
                "0x1234abcd5678ef00, this model 'other' is "
                "0x0000000000000042)");
}

TEST(CheckpointTest, RejectsTruncatedAndCorruptFiles) {
  TempDir dir;
  Fixture fixture;
  std::vector<uint8_t> bytes = encodeCheckpoint(fixture.trainer);
  std::vector<float> before = fixture.trainer.params()[0];

  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 20);
  writeBytes(dir.file("cut"), cut);
  EXPECT_NE(
      loadError(dir.file("cut"), fixture.trainer).find("truncated checkpoint"),
      std::string::npos);

  std::vector<uint8_t> headerOnly(bytes.begin(), bytes.begin() + 40);
  writeBytes(dir.file("short"), headerOnly);
  EXPECT_NE(loadError(dir.file("short"), fixture.trainer)
                .find("truncated checkpoint"),
            std::string::npos);

  // A flipped bit inside the kernel's values (they start at byte 120).
  std::vector<uint8_t> flipped = bytes;
  flipped[130] ^= 0x10;
  writeBytes(dir.file("flipped"), flipped);
  EXPECT_EQ(loadError(dir.file("flipped"), fixture.trainer),
            dir.file("flipped") + ": checkpoint checksum mismatch (file "
                                  "corrupt)");

  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  writeBytes(dir.file("longer"), longer);
  EXPECT_NE(loadError(dir.file("longer"), fixture.trainer).find("expected"),
            std::string::npos);

  std::vector<uint8_t> wrongMagic = bytes;
  wrongMagic[0] = 'X';
  writeBytes(dir.file("magic"), wrongMagic);
  EXPECT_EQ(loadError(dir.file("magic"), fixture.trainer),
            dir.file("magic") +
                ": not a Kiln checkpoint (missing magic \"KILNCKPT\")");

  std::vector<uint8_t> newer = bytes;
  newer[8] = 9;
  writeBytes(dir.file("newer"), newer);
  EXPECT_NE(loadError(dir.file("newer"), fixture.trainer)
                .find("format version 9 is not supported"),
            std::string::npos);

  std::vector<uint8_t> otherAbi = bytes;
  otherAbi[12] = 7;
  writeBytes(dir.file("abi"), otherAbi);
  EXPECT_NE(
      loadError(dir.file("abi"), fixture.trainer).find("runtime ABI version 7"),
      std::string::npos);

  EXPECT_NE(loadError(dir.file("none"), fixture.trainer).find("cannot open"),
            std::string::npos);
  // Refused files leave the trainer untouched.
  EXPECT_EQ(fixture.trainer.params()[0], before);
  EXPECT_EQ(fixture.trainer.completedEpochs(), 3);
}

} // namespace
