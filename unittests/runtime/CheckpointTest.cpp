//===- CheckpointTest.cpp - Tests of checkpoint files ---------------------===//

#include "TestUtil.h"

#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Trainer.h"
#include "kiln/runtime/checkpoint_generated.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace kiln::runtime;
using namespace kiln::test;
namespace fb = kiln::checkpoint;

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
  ASSERT_GE(bytes.size(), 20u);
  // u32 size N, N bytes of FlatBuffer with identifier "KCKP", u64 hash.
  const uint32_t n = uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 |
                     uint32_t(bytes[2]) << 16 | uint32_t(bytes[3]) << 24;
  EXPECT_EQ(bytes.size(), 4u + n + 8u);
  EXPECT_EQ(std::memcmp(bytes.data() + 8, "KCKP", 4), 0);
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i)
    stored |= uint64_t(bytes[bytes.size() - 8 + i]) << (8 * i);
  EXPECT_EQ(stored, fnv1a64(bytes.data(), bytes.size() - 8));

  flatbuffers::Verifier verifier(bytes.data(), bytes.size() - 8);
  ASSERT_TRUE(fb::VerifySizePrefixedCheckpointBuffer(verifier));
  const fb::Checkpoint *checkpoint =
      fb::GetSizePrefixedCheckpoint(bytes.data());
  EXPECT_EQ(checkpoint->format_version(), kCheckpointVersion);
  EXPECT_EQ(checkpoint->abi_version(), uint32_t(KILN_ABI_VERSION));
  EXPECT_EQ(checkpoint->fingerprint(), 0x1234abcd5678ef00ULL);
  EXPECT_EQ(checkpoint->completed_epochs(), 3);
  EXPECT_EQ(checkpoint->optimizer()->iterations(), 77);
  EXPECT_EQ(checkpoint->optimizer()->kind(), KILN_OPTIMIZER_SGD);
  ASSERT_EQ(checkpoint->parameters()->size(), 2u);
  const fb::Parameter *kernel = checkpoint->parameters()->Get(0);
  EXPECT_EQ(kernel->name()->str(), "dense/kernel");
  EXPECT_EQ(kernel->shape()->size(), 2u);
  EXPECT_EQ(kernel->values()->size(), 12u);
  EXPECT_EQ(kernel->values()->Get(5), fixture.trainer.params()[0][5]);
  EXPECT_EQ(checkpoint->shuffle_rng()->s2(),
            fixture.trainer.shuffleRng().state()[2]);
  EXPECT_EQ(checkpoint->position()->metric_sums()->size(), 1u);
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

/// Changes a field of an encoded checkpoint and recomputes the checksum, so
/// that only the field's own check can refuse the file.
std::vector<uint8_t> withField(std::vector<uint8_t> bytes,
                               void (*change)(fb::Checkpoint *)) {
  bytes.resize(bytes.size() - 8);
  change(fb::GetMutableSizePrefixedCheckpoint(bytes.data()));
  appendChecksum(bytes);
  return bytes;
}

TEST(CheckpointTest, RejectsTruncatedAndCorruptFiles) {
  TempDir dir;
  Fixture fixture;
  std::vector<uint8_t> bytes = encodeCheckpoint(fixture.trainer);
  std::vector<float> before = fixture.trainer.params()[0];
  auto errorFor = [&](const char *name, const std::vector<uint8_t> &data) {
    writeBytes(dir.file(name), data);
    return loadError(dir.file(name), fixture.trainer);
  };

  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 20);
  EXPECT_EQ(errorFor("cut", cut), dir.file("cut") + ": truncated checkpoint (" +
                                      std::to_string(cut.size()) +
                                      " bytes, expected " +
                                      std::to_string(bytes.size()) + ")");

  std::vector<uint8_t> headerOnly(bytes.begin(), bytes.begin() + 40);
  EXPECT_NE(errorFor("short", headerOnly).find("truncated checkpoint"),
            std::string::npos);

  // A flipped bit in the middle of the buffer.
  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  EXPECT_EQ(errorFor("flipped", flipped),
            dir.file("flipped") + ": checkpoint checksum mismatch (file "
                                  "corrupt)");

  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_NE(errorFor("longer", longer).find("expected"), std::string::npos);

  std::vector<uint8_t> wrongIdentifier = bytes;
  wrongIdentifier[8] = 'X';
  EXPECT_EQ(errorFor("magic", wrongIdentifier),
            dir.file("magic") +
                ": not a Kiln checkpoint (no \"KCKP\" file identifier)");
  EXPECT_NE(errorFor("empty", {}).find("not a Kiln checkpoint"),
            std::string::npos);

  // Version 2's magic and layout.
  std::vector<uint8_t> old = {'K', 'I', 'L', 'N', 'C', 'K', 'P', 'T',
                              2,   0,   0,   0,   2,   0,   0,   0};
  EXPECT_NE(errorFor("old", old).find("format version 2 is not supported"),
            std::string::npos);

  // A checksum that matches bytes the verifier rejects: the root offset
  // points outside the buffer.
  std::vector<uint8_t> badOffset(bytes.begin(), bytes.end() - 8);
  badOffset[4] = 0xf0;
  badOffset[5] = 0xff;
  badOffset[6] = 0xff;
  badOffset[7] = 0x7f;
  appendChecksum(badOffset);
  EXPECT_EQ(errorFor("offset", badOffset),
            dir.file("offset") +
                ": corrupt checkpoint (FlatBuffers verification failed)");

  EXPECT_NE(errorFor("newer", withField(bytes,
                                        [](fb::Checkpoint *c) {
                                          c->mutate_format_version(9);
                                        }))
                .find("format version 9 is not supported"),
            std::string::npos);
  EXPECT_NE(errorFor("abi", withField(bytes,
                                      [](fb::Checkpoint *c) {
                                        c->mutate_abi_version(7);
                                      }))
                .find("runtime ABI version 7"),
            std::string::npos);
  EXPECT_NE(errorFor("values",
                     withField(bytes,
                               [](fb::Checkpoint *c) {
                                 c->mutable_optimizer()->mutate_slots_per_param(
                                     1);
                               }))
                .find("does not match"),
            std::string::npos);

  EXPECT_NE(loadError(dir.file("none"), fixture.trainer).find("cannot open"),
            std::string::npos);
  // Refused files leave the trainer untouched.
  EXPECT_EQ(fixture.trainer.params()[0], before);
  EXPECT_EQ(fixture.trainer.completedEpochs(), 3);
}

} // namespace
