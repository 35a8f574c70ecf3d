//===- Checkpoint.cpp - Saving and restoring training state ---------------===//

#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Trainer.h"

#include "kiln/runtime/checkpoint_generated.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kiln {
namespace runtime {

namespace fb = kiln::checkpoint;

namespace {

/// The magic of format versions 1 and 2, recognized to explain the refusal.
constexpr char kOldMagic[8] = {'K', 'I', 'L', 'N', 'C', 'K', 'P', 'T'};

uint32_t readU32(const uint8_t *data) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= uint32_t(data[i]) << (8 * i);
  return value;
}

uint64_t readU64(const uint8_t *data) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value |= uint64_t(data[i]) << (8 * i);
  return value;
}

fb::RngState toFlat(const Rng::State &state) {
  return fb::RngState(state[0], state[1], state[2], state[3]);
}

Rng::State fromFlat(const fb::RngState *state) {
  if (!state)
    return {0, 0, 0, 0};
  return {state->s0(), state->s1(), state->s2(), state->s3()};
}

} // namespace

uint64_t fnv1a64(const uint8_t *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

void appendChecksum(std::vector<uint8_t> &bytes) {
  const uint64_t hash = fnv1a64(bytes.data(), bytes.size());
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<uint8_t>(hash >> (8 * i)));
}

std::vector<uint8_t> encodeCheckpoint(const Trainer &trainer,
                                      const CheckpointExtras &extras) {
  const ModelInfo &model = trainer.model();
  const KilnModelDesc &desc = model.desc();
  const Optimizer &optimizer = trainer.optimizer();
  size_t floats = 0;
  for (int32_t i = 0; i < model.numParams(); ++i)
    floats += size_t(model.paramElements(i)) *
              (1 + size_t(optimizer.slotsPerParam()));
  flatbuffers::FlatBufferBuilder builder(4 * floats + 1024);

  std::vector<flatbuffers::Offset<fb::Parameter>> params;
  for (int32_t i = 0; i < model.numParams(); ++i) {
    const KilnParamDesc &param = desc.params[i];
    std::vector<flatbuffers::Offset<fb::Slot>> slots;
    for (int32_t slot = 0; slot < optimizer.slotsPerParam(); ++slot)
      slots.push_back(fb::CreateSlot(
          builder, builder.CreateVector(optimizer.slotData(slot, i))));
    std::vector<int64_t> shape(param.shape, param.shape + param.rank);
    params.push_back(fb::CreateParameter(
        builder, builder.CreateString(param.name), builder.CreateVector(shape),
        builder.CreateVector(trainer.params()[i]),
        builder.CreateVector(slots)));
  }
  auto paramVector = builder.CreateVector(params);

  const EpochPosition &position = trainer.position();
  std::vector<double> metricSums(static_cast<size_t>(model.numMetrics()), 0.0);
  if (position.step > 0)
    metricSums = position.metricSums;
  const fb::RngState epochStart = toFlat(position.epochStartRng);
  auto positionTable = fb::CreateEpochPosition(
      builder, position.step, &epochStart, position.lossSum,
      builder.CreateVector(metricSums), position.samples);
  auto optimizerTable = fb::CreateOptimizerState(
      builder, optimizer.kind(), optimizer.slotsPerParam(),
      optimizer.iterations(), optimizer.config().learning_rate);
  flatbuffers::Offset<fb::EarlyStoppingState> earlyTable;
  if (const EarlyStopping::State *early = extras.earlyStopping) {
    std::vector<flatbuffers::Offset<fb::Slot>> weights;
    for (const std::vector<float> &values : early->bestWeights)
      weights.push_back(fb::CreateSlot(builder, builder.CreateVector(values)));
    earlyTable = fb::CreateEarlyStoppingState(
        builder, early->wait, early->stoppedEpoch, early->bestEpoch,
        early->hasBest, early->best, builder.CreateVector(weights));
  }
  flatbuffers::Offset<fb::PlateauState> plateauTable;
  if (const ReduceLROnPlateau::State *plateau = extras.plateau)
    plateauTable = fb::CreatePlateauState(
        builder, plateau->wait, plateau->cooldownCounter, plateau->best);
  flatbuffers::Offset<fb::GanState> ganTable;
  if (const GanLoopState *gan = extras.gan) {
    const Optimizer &generator = *gan->generatorOptimizer;
    std::vector<flatbuffers::Offset<fb::Slot>> slots;
    for (int32_t i = 0; i < model.numParams(); ++i)
      for (int32_t slot = 0; slot < generator.slotsPerParam(); ++slot)
        slots.push_back(fb::CreateSlot(
            builder, builder.CreateVector(generator.slotData(slot, i))));
    auto generatorTable = fb::CreateOptimizerState(
        builder, generator.kind(), generator.slotsPerParam(),
        generator.iterations(), generator.config().learning_rate);
    const fb::RngState latent = toFlat(gan->latentRng);
    const fb::RngState classes = toFlat(gan->classRng);
    const fb::RngState interpolation = toFlat(gan->interpolationRng);
    ganTable = fb::CreateGanState(
        builder, generatorTable, builder.CreateVector(slots), &latent, &classes,
        &interpolation, gan->steps, gan->discriminatorSteps);
  }
  const fb::RngState shuffle = toFlat(trainer.shuffleRng().state());
  auto root = fb::CreateCheckpoint(
      builder, kCheckpointVersion, KILN_ABI_VERSION, desc.fingerprint,
      builder.CreateString(desc.name ? desc.name : ""),
      trainer.completedEpochs(), &shuffle, optimizerTable, paramVector,
      positionTable, earlyTable, plateauTable, ganTable);
  fb::FinishSizePrefixedCheckpointBuffer(builder, root);

  std::vector<uint8_t> bytes(builder.GetBufferPointer(),
                             builder.GetBufferPointer() + builder.GetSize());
  appendChecksum(bytes);
  return bytes;
}

void decodeCheckpoint(const std::vector<uint8_t> &bytes,
                      const std::string &name, Trainer &trainer,
                      bool withOptimizer, const CheckpointExtras &extras) {
  const char *file = name.c_str();
  const ModelInfo &model = trainer.model();
  const KilnModelDesc &desc = model.desc();
  const size_t size = bytes.size();

  // Framing: u32 size, the FlatBuffer (identifier at byte 8), u64 hash.
  if (size >= 8 && std::memcmp(bytes.data(), kOldMagic, 8) == 0)
    fail("%s: checkpoint format version %u is not supported (expected %u); "
         "it was written by an older Kiln",
         file, size >= 12 ? readU32(bytes.data() + 8) : 0u, kCheckpointVersion);
  if (size < 12 || !fb::SizePrefixedCheckpointBufferHasIdentifier(bytes.data()))
    fail("%s: not a Kiln checkpoint (no \"%s\" file identifier)", file,
         fb::CheckpointIdentifier());
  const size_t expected = 4 + size_t(readU32(bytes.data())) + 8;
  if (size < expected)
    fail("%s: truncated checkpoint (%zu bytes, expected %zu)", file, size,
         expected);
  if (size > expected)
    fail("%s: checkpoint has %zu bytes, expected %zu (data after the end)",
         file, size, expected);
  if (readU64(bytes.data() + size - 8) != fnv1a64(bytes.data(), size - 8))
    fail("%s: checkpoint checksum mismatch (file corrupt)", file);
  flatbuffers::Verifier verifier(bytes.data(), size - 8);
  if (!fb::VerifySizePrefixedCheckpointBuffer(verifier))
    fail("%s: corrupt checkpoint (FlatBuffers verification failed)", file);
  const fb::Checkpoint *checkpoint =
      fb::GetSizePrefixedCheckpoint(bytes.data());

  if (checkpoint->format_version() != kCheckpointVersion)
    fail("%s: checkpoint format version %u is not supported (expected %u)",
         file, checkpoint->format_version(), kCheckpointVersion);
  if (checkpoint->abi_version() != KILN_ABI_VERSION)
    fail("%s: checkpoint was written by runtime ABI version %u, this runtime "
         "implements version %d",
         file, checkpoint->abi_version(), KILN_ABI_VERSION);
  if (checkpoint->fingerprint() != desc.fingerprint)
    fail("%s: checkpoint belongs to another model (fingerprint "
         "0x%016llx, this model '%s' is 0x%016llx)",
         file, static_cast<unsigned long long>(checkpoint->fingerprint()),
         desc.name ? desc.name : "",
         static_cast<unsigned long long>(desc.fingerprint));

  const fb::OptimizerState *optimizerState = checkpoint->optimizer();
  const Optimizer &optimizer = trainer.optimizer();
  const int32_t slots = optimizerState->slots_per_param();
  if (withOptimizer && (optimizerState->kind() != optimizer.kind() ||
                        slots != optimizer.slotsPerParam()))
    fail("%s: checkpoint optimizer (kind %d, %d slots) does not match the "
         "model's (kind %d, %d slots)",
         file, optimizerState->kind(), slots, optimizer.kind(),
         optimizer.slotsPerParam());
  const auto *params = checkpoint->parameters();
  if (params->size() != uint32_t(model.numParams()))
    fail("%s: checkpoint has %u parameters, the model has %d", file,
         params->size(), model.numParams());
  for (uint32_t i = 0; i < params->size(); ++i) {
    const KilnParamDesc &expect = desc.params[i];
    const fb::Parameter *param = params->Get(i);
    if (param->name()->str() != expect.name)
      fail("%s: parameter %u is '%s', the model expects '%s'", file, i,
           param->name()->c_str(), expect.name);
    const auto *shape = param->shape();
    bool sameShape = shape->size() == uint32_t(expect.rank);
    for (uint32_t d = 0; sameShape && d < shape->size(); ++d)
      sameShape = shape->Get(d) == expect.shape[d];
    if (!sameShape)
      fail("%s: parameter '%s' has a different shape than the model's %s", file,
           expect.name, formatShape(expect.rank, expect.shape).c_str());
    const uint32_t count = static_cast<uint32_t>(model.paramElements(i));
    if (param->values()->size() != count)
      fail("%s: parameter '%s' has %u values, expected %u", file, expect.name,
           param->values()->size(), count);
    if (!withOptimizer)
      continue;
    const auto *slotTables = param->slots();
    if ((slotTables ? int32_t(slotTables->size()) : 0) != slots)
      fail("%s: parameter '%s' has %u optimizer slots, expected %d", file,
           expect.name, slotTables ? slotTables->size() : 0u, slots);
    for (int32_t slot = 0; slot < slots; ++slot)
      if (slotTables->Get(slot)->values()->size() != count)
        fail("%s: optimizer slot %d of '%s' has %u values, expected %u", file,
             slot, expect.name, slotTables->Get(slot)->values()->size(), count);
  }
  const fb::EpochPosition *flatPosition = checkpoint->position();
  const auto *metricSums = flatPosition->metric_sums();
  const uint32_t numMetrics = metricSums ? metricSums->size() : 0;
  if (numMetrics != uint32_t(model.numMetrics()))
    fail("%s: checkpoint has %u metrics, the model has %d", file, numMetrics,
         model.numMetrics());
  if (checkpoint->completed_epochs() < 0 || optimizerState->iterations() < 0 ||
      flatPosition->step() < 0 || flatPosition->samples() < 0)
    fail("%s: corrupt checkpoint (negative epoch, step or sample count)", file);
  const fb::EarlyStoppingState *flatEarly = checkpoint->early_stopping();
  if (flatEarly && flatEarly->best_weights() &&
      flatEarly->best_weights()->size() != 0) {
    const auto *weights = flatEarly->best_weights();
    if (weights->size() != uint32_t(model.numParams()))
      fail("%s: checkpoint has early-stopping weights of %u parameters, the "
           "model has %d",
           file, weights->size(), model.numParams());
    for (uint32_t i = 0; i < weights->size(); ++i)
      if (weights->Get(i)->values()->size() !=
          uint32_t(model.paramElements(int32_t(i))))
        fail("%s: early-stopping weights of '%s' have %u values, expected "
             "%lld",
             file, desc.params[i].name, weights->Get(i)->values()->size(),
             static_cast<long long>(model.paramElements(int32_t(i))));
  }

  const fb::GanState *flatGan = checkpoint->gan();
  GanLoopState *gan = withOptimizer ? extras.gan : nullptr;
  if (gan) {
    if (!flatGan)
      fail("%s: the checkpoint holds no GAN training state (the generator's "
           "optimizer); it was not written by 'gan train' of this Kiln",
           file);
    const fb::OptimizerState *flatGenerator = flatGan->generator_optimizer();
    const Optimizer &generator = *gan->generatorOptimizer;
    const int32_t generatorSlots = flatGenerator->slots_per_param();
    if (flatGenerator->kind() != generator.kind() ||
        generatorSlots != generator.slotsPerParam())
      fail("%s: checkpoint generator optimizer (kind %d, %d slots) does not "
           "match the model's (kind %d, %d slots)",
           file, flatGenerator->kind(), generatorSlots, generator.kind(),
           generator.slotsPerParam());
    if (flatGenerator->iterations() < 0 || flatGan->steps() < 0 ||
        flatGan->discriminator_steps() < 0)
      fail("%s: corrupt checkpoint (negative GAN step count)", file);
    const auto *slotTables = flatGan->generator_slots();
    if (slotTables->size() != uint32_t(model.numParams() * generatorSlots))
      fail("%s: checkpoint has %u generator optimizer slots, expected %d", file,
           slotTables->size(), model.numParams() * generatorSlots);
    for (int32_t i = 0; i < model.numParams(); ++i)
      for (int32_t slot = 0; slot < generatorSlots; ++slot)
        if (slotTables->Get(uint32_t(i * generatorSlots + slot))
                ->values()
                ->size() != uint32_t(model.paramElements(i)))
          fail("%s: generator optimizer slot %d of '%s' has %u values, "
               "expected %lld",
               file, slot, desc.params[i].name,
               slotTables->Get(uint32_t(i * generatorSlots + slot))
                   ->values()
                   ->size(),
               static_cast<long long>(model.paramElements(i)));
  }

  // Everything is checked: the trainer changes only from here on.
  for (uint32_t i = 0; i < params->size(); ++i) {
    const fb::Parameter *param = params->Get(i);
    std::copy(param->values()->begin(), param->values()->end(),
              trainer.params()[i].begin());
    for (int32_t slot = 0; withOptimizer && slot < slots; ++slot) {
      const auto *values = param->slots()->Get(slot)->values();
      std::copy(values->begin(), values->end(),
                trainer.optimizer().slotData(slot, i).begin());
    }
  }
  EpochPosition position;
  position.step = flatPosition->step();
  position.epochStartRng = fromFlat(flatPosition->epoch_start_rng());
  position.lossSum = flatPosition->loss_sum();
  position.metricSums.assign(metricSums->begin(), metricSums->end());
  position.samples = flatPosition->samples();
  trainer.optimizer().setIterations(optimizerState->iterations());
  trainer.shuffleRng().setState(fromFlat(checkpoint->shuffle_rng()));
  trainer.setCompletedEpochs(checkpoint->completed_epochs());
  trainer.setPosition(std::move(position));
  if (trainer.optimizer().config().schedule == KILN_SCHEDULE_CONSTANT)
    trainer.optimizer().setLearningRate(optimizerState->learning_rate());
  if (EarlyStopping::State *early = extras.earlyStopping; early && flatEarly) {
    early->wait = flatEarly->wait();
    early->stoppedEpoch = flatEarly->stopped_epoch();
    early->bestEpoch = flatEarly->best_epoch();
    early->hasBest = flatEarly->has_best();
    early->best = flatEarly->best();
    early->bestWeights.clear();
    if (const auto *weights = flatEarly->best_weights())
      for (const fb::Slot *values : *weights)
        early->bestWeights.emplace_back(values->values()->begin(),
                                        values->values()->end());
  }
  if (gan) {
    Optimizer &generator = *gan->generatorOptimizer;
    const auto *slotTables = flatGan->generator_slots();
    for (int32_t i = 0; i < model.numParams(); ++i)
      for (int32_t slot = 0; slot < generator.slotsPerParam(); ++slot) {
        const auto *values =
            slotTables->Get(uint32_t(i * generator.slotsPerParam() + slot))
                ->values();
        std::copy(values->begin(), values->end(),
                  generator.slotData(slot, i).begin());
      }
    generator.setIterations(flatGan->generator_optimizer()->iterations());
    if (generator.config().schedule == KILN_SCHEDULE_CONSTANT)
      generator.setLearningRate(
          flatGan->generator_optimizer()->learning_rate());
    gan->latentRng = fromFlat(flatGan->latent_rng());
    gan->classRng = fromFlat(flatGan->class_rng());
    gan->interpolationRng = fromFlat(flatGan->interpolation_rng());
    gan->steps = flatGan->steps();
    gan->discriminatorSteps = flatGan->discriminator_steps();
  }
  const fb::PlateauState *flatPlateau = checkpoint->plateau();
  if (ReduceLROnPlateau::State *plateau = extras.plateau;
      plateau && flatPlateau) {
    plateau->wait = flatPlateau->wait();
    plateau->cooldownCounter = flatPlateau->cooldown_counter();
    plateau->best = flatPlateau->best();
  }
}

void saveCheckpoint(const std::string &path, const Trainer &trainer,
                    const CheckpointExtras &extras) {
  std::vector<uint8_t> bytes = encodeCheckpoint(trainer, extras);
  AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

std::vector<uint8_t> readCheckpointFile(const std::string &path) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    fail("%s: cannot open: %s", path.c_str(), std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    bytes.insert(bytes.end(), buffer, buffer + got);
  bool readError = std::ferror(file);
  int savedErrno = errno;
  std::fclose(file);
  if (readError)
    fail("%s: read error: %s", path.c_str(), std::strerror(savedErrno));
  return bytes;
}

void loadCheckpoint(const std::string &path, Trainer &trainer,
                    bool withOptimizer, const CheckpointExtras &extras) {
  decodeCheckpoint(readCheckpointFile(path), path, trainer, withOptimizer,
                   extras);
}

} // namespace runtime
} // namespace kiln
