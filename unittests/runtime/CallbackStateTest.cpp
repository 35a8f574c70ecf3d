//===- CallbackStateTest.cpp - Callback state in checkpoints --------------===//

#include "TestUtil.h"

#include "kiln/runtime/Callbacks.h"
#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Optimizer.h"
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
      encodeCheckpoint(saved.trainer, CheckpointExtras{&early, &plateau});

  Fixture loaded;
  EarlyStopping::State earlyBack;
  ReduceLROnPlateau::State plateauBack;
  decodeCheckpoint(bytes, "c", loaded.trainer, true,
                   CheckpointExtras{&earlyBack, &plateauBack});
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
                   CheckpointExtras{&early, &plateau});
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
      encodeCheckpoint(saved.trainer, CheckpointExtras{&early, nullptr});
  Fixture loaded;
  EarlyStopping::State back;
  try {
    decodeCheckpoint(bytes, "c.ckpt", loaded.trainer, true,
                     CheckpointExtras{&back, nullptr});
    ADD_FAILURE() << "expected an error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("c.ckpt: early-stopping weights"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(back.hasBest, false);
}

/// A second optimizer over the fixture's parameters, as a GAN's generator
/// has beside the trainer's.
Optimizer makeGeneratorOptimizer(const Fixture &fixture,
                                 int32_t kind = KILN_OPTIMIZER_ADAM) {
  KilnOptimizerDesc config = defaultOptimizerConfig(kind);
  std::vector<int64_t> sizes;
  for (int32_t i = 0; i < fixture.model.numParams(); ++i)
    sizes.push_back(fixture.model.paramElements(i));
  return Optimizer(config, sizes);
}

/// Decoding `bytes` as "g.ckpt" fails with an error containing `message`.
void expectRefused(const std::vector<uint8_t> &bytes, Trainer &trainer,
                   const CheckpointExtras &extras, const char *message) {
  try {
    decodeCheckpoint(bytes, "g.ckpt", trainer, true, extras);
    ADD_FAILURE() << "expected an error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find(message), std::string::npos)
        << error.what();
  }
}

TEST(CallbackStateTest, RoundTripsGanLoopState) {
  Fixture saved;
  Optimizer generator = makeGeneratorOptimizer(saved);
  generator.slotData(1, 0)[2] = 0.25f;
  generator.setIterations(17);
  GanLoopState gan;
  gan.generatorOptimizer = &generator;
  gan.latentRng = {1, 2, 3, 4};
  gan.classRng = {5, 6, 7, 8};
  gan.interpolationRng = {9, 10, 11, 12};
  gan.steps = 40;
  gan.discriminatorSteps = 39;
  CheckpointExtras extras;
  extras.gan = &gan;
  std::vector<uint8_t> bytes = encodeCheckpoint(saved.trainer, extras);

  Fixture loaded;
  Optimizer generatorBack = makeGeneratorOptimizer(loaded);
  GanLoopState back;
  back.generatorOptimizer = &generatorBack;
  CheckpointExtras backExtras;
  backExtras.gan = &back;
  decodeCheckpoint(bytes, "c", loaded.trainer, true, backExtras);
  EXPECT_EQ(generatorBack.iterations(), 17);
  EXPECT_EQ(generatorBack.slotData(1, 0), generator.slotData(1, 0));
  EXPECT_EQ(back.latentRng, gan.latentRng);
  EXPECT_EQ(back.classRng, gan.classRng);
  EXPECT_EQ(back.interpolationRng, gan.interpolationRng);
  EXPECT_EQ(back.steps, 40);
  EXPECT_EQ(back.discriminatorSteps, 39);
}

TEST(CallbackStateTest, ResumingAGanNeedsItsState) {
  Fixture saved;
  std::vector<uint8_t> bytes = encodeCheckpoint(saved.trainer);
  Fixture loaded;
  Optimizer generator = makeGeneratorOptimizer(loaded);
  GanLoopState gan;
  gan.generatorOptimizer = &generator;
  gan.steps = 3;
  CheckpointExtras extras;
  extras.gan = &gan;
  expectRefused(bytes, loaded.trainer, extras,
                "g.ckpt: the checkpoint holds no GAN training state");
  EXPECT_EQ(gan.steps, 3);
  // Without the optimizer (generate, predict) the state is not needed.
  decodeCheckpoint(bytes, "g.ckpt", loaded.trainer, false, extras);
}

TEST(CallbackStateTest, RefusesAnotherGeneratorOptimizer) {
  Fixture saved;
  Optimizer generator = makeGeneratorOptimizer(saved);
  GanLoopState gan;
  gan.generatorOptimizer = &generator;
  CheckpointExtras extras;
  extras.gan = &gan;
  std::vector<uint8_t> bytes = encodeCheckpoint(saved.trainer, extras);
  Fixture loaded;
  Optimizer other = makeGeneratorOptimizer(loaded, KILN_OPTIMIZER_SGD);
  GanLoopState back;
  back.generatorOptimizer = &other;
  CheckpointExtras backExtras;
  backExtras.gan = &back;
  expectRefused(bytes, loaded.trainer, backExtras,
                "g.ckpt: checkpoint generator optimizer (kind");
}

} // namespace
