//===- CallbackStateTest.cpp - Callback state in checkpoints --------------===//

#include "TestUtil.h"

#include "kiln/runtime/Callbacks.h"
#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Trainer.h"

#include <gtest/gtest.h>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

struct Fixture {
  Fixture()
      : desc(makeTestDesc(4, 3)), model(desc),
        trainer(model, desc.optimizer, 4) {
    trainer.initialize(5);
  }
  KilnModelDesc desc;
  ModelInfo model;
  Trainer trainer;
};

TEST(CallbackStateTest, RoundTripsEarlyStoppingAndPlateau) {
  Fixture saved;
  EarlyStopping::State early;
  early.wait = 2;
  early.bestEpoch = 6;
  early.hasBest = true;
  early.best = 0.4375;
  early.bestWeights = saved.trainer.params();
  early.bestWeights[0][1] = -3.5f;
  ReduceLROnPlateau::State plateau;
  plateau.wait = 1;
  plateau.cooldownCounter = 3;
  plateau.best = 0.5;
  std::vector<uint8_t> bytes =
      encodeCheckpoint(saved.trainer, CallbackStates{&early, &plateau});

  Fixture loaded;
  EarlyStopping::State earlyBack;
  ReduceLROnPlateau::State plateauBack;
  decodeCheckpoint(bytes, "c", loaded.trainer, true,
                   CallbackStates{&earlyBack, &plateauBack});
  EXPECT_EQ(earlyBack.wait, 2);
  EXPECT_EQ(earlyBack.stoppedEpoch, 0);
  EXPECT_EQ(earlyBack.bestEpoch, 6);
  EXPECT_TRUE(earlyBack.hasBest);
  EXPECT_EQ(earlyBack.best, 0.4375);
  EXPECT_EQ(earlyBack.bestWeights, early.bestWeights);
  EXPECT_EQ(plateauBack.wait, 1);
  EXPECT_EQ(plateauBack.cooldownCounter, 3);
  EXPECT_EQ(plateauBack.best, 0.5);
}

TEST(CallbackStateTest, AbsentStateLeavesCallbacksAlone) {
  Fixture saved;
  std::vector<uint8_t> bytes = encodeCheckpoint(saved.trainer);
  Fixture loaded;
  EarlyStopping::State early;
  early.wait = 9;
  ReduceLROnPlateau::State plateau;
  plateau.best = 7.0;
  decodeCheckpoint(bytes, "c", loaded.trainer, true,
                   CallbackStates{&early, &plateau});
  EXPECT_EQ(early.wait, 9);
  EXPECT_EQ(plateau.best, 7.0);
}

TEST(CallbackStateTest, RefusesWeightsOfAnotherShape) {
  Fixture saved;
  EarlyStopping::State early;
  early.hasBest = true;
  early.bestWeights = saved.trainer.params();
  early.bestWeights[1].pop_back();
  std::vector<uint8_t> bytes =
      encodeCheckpoint(saved.trainer, CallbackStates{&early, nullptr});
  Fixture loaded;
  EarlyStopping::State back;
  try {
    decodeCheckpoint(bytes, "c.ckpt", loaded.trainer, true,
                     CallbackStates{&back, nullptr});
    ADD_FAILURE() << "expected an error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("c.ckpt: early-stopping weights"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(back.hasBest, false);
}

} // namespace
