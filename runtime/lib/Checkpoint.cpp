//===- Checkpoint.cpp - Saving and restoring training state ---------------===//

#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Trainer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kiln {
namespace runtime {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'C', 'K', 'P', 'T'};
constexpr size_t kHeaderSize = 84;

/// Appends little-endian values whatever the host byte order.
class ByteWriter {
public:
  void u32(uint32_t value) { put(value, 4); }
  void u64(uint64_t value) { put(value, 8); }
  void f32s(const float *values, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &values[i], 4);
      u32(bits);
    }
  }
  void f64(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    u64(bits);
  }
  void raw(const void *data, size_t size) {
    const uint8_t *bytes = static_cast<const uint8_t *>(data);
    out.insert(out.end(), bytes, bytes + size);
  }

  std::vector<uint8_t> out;

private:
  void put(uint64_t value, int size) {
    for (int i = 0; i < size; ++i)
      out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
};

/// Reads little-endian values from a range whose length was checked.
class ByteReader {
public:
  explicit ByteReader(const uint8_t *data) : data_(data) {}
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  void f32s(float *values, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits = u32();
      std::memcpy(&values[i], &bits, 4);
    }
  }
  double f64() {
    uint64_t bits = u64();
    double value;
    std::memcpy(&value, &bits, 8);
    return value;
  }
  std::string string(size_t size) {
    std::string text(reinterpret_cast<const char *>(data_ + pos_), size);
    pos_ += size;
    return text;
  }
  size_t position() const { return pos_; }

private:
  uint64_t get(int size) {
    uint64_t value = 0;
    for (int i = 0; i < size; ++i)
      value |= uint64_t(data_[pos_ + i]) << (8 * i);
    pos_ += size;
    return value;
  }

  const uint8_t *data_;
  size_t pos_ = 0;
};

/// The exact size of a checkpoint of `trainer`'s model and optimizer.
size_t expectedSize(const Trainer &trainer, size_t slots) {
  const ModelInfo &model = trainer.model();
  size_t size = kHeaderSize;
  for (int32_t i = 0; i < model.numParams(); ++i) {
    const KilnParamDesc &param = model.desc().params[i];
    size += 4 + std::strlen(param.name) + 4 + 8 * size_t(param.rank);
    size += 4 * size_t(model.paramElements(i)) * (1 + slots);
  }
  size += 8 + 32 + 8 + 4 + 8 * size_t(model.numMetrics()) + 8 + 4;
  return size + 8;
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

std::vector<uint8_t> encodeCheckpoint(const Trainer &trainer) {
  const ModelInfo &model = trainer.model();
  const Optimizer &optimizer = trainer.optimizer();
  ByteWriter writer;
  writer.out.reserve(expectedSize(
      trainer, static_cast<size_t>(optimizer.slotsPerParam())));
  writer.raw(kMagic, sizeof(kMagic));
  writer.u32(kCheckpointVersion);
  writer.u32(KILN_ABI_VERSION);
  writer.u64(model.desc().fingerprint);
  writer.u64(static_cast<uint64_t>(trainer.completedEpochs()));
  writer.u64(static_cast<uint64_t>(optimizer.iterations()));
  for (uint64_t word : trainer.shuffleRng().state())
    writer.u64(word);
  writer.u32(static_cast<uint32_t>(optimizer.kind()));
  writer.u32(static_cast<uint32_t>(optimizer.slotsPerParam()));
  writer.u32(static_cast<uint32_t>(model.numParams()));
  for (int32_t i = 0; i < model.numParams(); ++i) {
    const KilnParamDesc &param = model.desc().params[i];
    uint32_t nameLength = static_cast<uint32_t>(std::strlen(param.name));
    writer.u32(nameLength);
    writer.raw(param.name, nameLength);
    writer.u32(static_cast<uint32_t>(param.rank));
    for (int32_t d = 0; d < param.rank; ++d)
      writer.u64(static_cast<uint64_t>(param.shape[d]));
    const size_t count = static_cast<size_t>(model.paramElements(i));
    writer.f32s(trainer.params()[i].data(), count);
    for (int32_t slot = 0; slot < optimizer.slotsPerParam(); ++slot)
      writer.f32s(optimizer.slotData(slot, i).data(), count);
  }
  const EpochPosition &position = trainer.position();
  writer.u64(static_cast<uint64_t>(position.step));
  for (uint64_t word : position.epochStartRng)
    writer.u64(word);
  writer.f64(position.lossSum);
  writer.u32(static_cast<uint32_t>(model.numMetrics()));
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    writer.f64(position.step > 0 ? position.metricSums[i] : 0.0);
  writer.u64(static_cast<uint64_t>(position.samples));
  const float rate = optimizer.config().learning_rate;
  writer.f32s(&rate, 1);
  writer.u64(fnv1a64(writer.out.data(), writer.out.size()));
  return std::move(writer.out);
}

void decodeCheckpoint(const std::vector<uint8_t> &bytes,
                      const std::string &name, Trainer &trainer,
                      bool withOptimizer) {
  const char *file = name.c_str();
  const ModelInfo &model = trainer.model();
  const size_t size = bytes.size();
  if (size < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, 8) != 0)
    fail("%s: not a Kiln checkpoint (missing magic \"KILNCKPT\")", file);
  if (size < kHeaderSize)
    fail("%s: truncated checkpoint (%zu bytes, header alone is %zu)", file,
         size, kHeaderSize);

  ByteReader reader(bytes.data() + sizeof(kMagic));
  uint32_t version = reader.u32();
  if (version != kCheckpointVersion)
    fail("%s: checkpoint format version %u is not supported (expected %u)",
         file, version, kCheckpointVersion);
  uint32_t abiVersion = reader.u32();
  if (abiVersion != KILN_ABI_VERSION)
    fail("%s: checkpoint was written by runtime ABI version %u, this runtime "
         "implements version %d",
         file, abiVersion, KILN_ABI_VERSION);
  uint64_t fingerprint = reader.u64();
  if (fingerprint != model.desc().fingerprint)
    fail("%s: checkpoint belongs to another model (fingerprint "
         "0x%016llx, this model '%s' is 0x%016llx)",
         file, static_cast<unsigned long long>(fingerprint),
         model.desc().name ? model.desc().name : "",
         static_cast<unsigned long long>(model.desc().fingerprint));

  // The optimizer fields of the header decide the size.
  ByteReader peek(bytes.data() + 76);
  const uint32_t fileSlots = peek.u32();
  if (fileSlots > 16)
    fail("%s: corrupt checkpoint (%u optimizer slots)", file, fileSlots);
  const size_t expected = expectedSize(trainer, fileSlots);
  if (size < expected)
    fail("%s: truncated checkpoint (%zu bytes, expected %zu)", file, size,
         expected);
  if (size > expected)
    fail("%s: checkpoint has %zu bytes, expected %zu for this model", file,
         size, expected);

  uint64_t epochs = reader.u64();
  uint64_t iterations = reader.u64();
  Rng::State rngState;
  for (uint64_t &word : rngState)
    word = reader.u64();
  uint32_t kind = reader.u32();
  uint32_t slots = reader.u32();
  uint32_t numParams = reader.u32();
  const Optimizer &optimizer = trainer.optimizer();
  if (withOptimizer && (kind != uint32_t(optimizer.kind()) ||
                        slots != uint32_t(optimizer.slotsPerParam())))
    fail("%s: checkpoint optimizer (kind %u, %u slots) does not match the "
         "model's (kind %d, %d slots)",
         file, kind, slots, optimizer.kind(), optimizer.slotsPerParam());
  if (numParams != uint32_t(model.numParams()))
    fail("%s: checkpoint has %u parameters, the model has %d", file, numParams,
         model.numParams());

  // Stage everything first so that a refused file leaves the trainer as is.
  TensorList params(numParams);
  std::vector<TensorList> slotData(slots, TensorList(numParams));
  for (uint32_t i = 0; i < numParams; ++i) {
    const KilnParamDesc &param = model.desc().params[i];
    // The total size matched, so the lengths read here stay in bounds as
    // long as they agree with the descriptor, which is checked first.
    uint32_t nameLength = reader.u32();
    if (nameLength != std::strlen(param.name))
      fail("%s: parameter %u is not '%s'", file, i, param.name);
    std::string paramName = reader.string(nameLength);
    if (paramName != param.name)
      fail("%s: parameter %u is '%s', the model expects '%s'", file, i,
           paramName.c_str(), param.name);
    uint32_t rank = reader.u32();
    if (rank != uint32_t(param.rank))
      fail("%s: parameter '%s' has rank %u, the model expects %d", file,
           param.name, rank, param.rank);
    for (uint32_t d = 0; d < rank; ++d)
      if (reader.u64() != uint64_t(param.shape[d]))
        fail("%s: parameter '%s' has a different shape than the model's %s",
             file, param.name, formatShape(param.rank, param.shape).c_str());
    const size_t count = static_cast<size_t>(model.paramElements(i));
    params[i].resize(count);
    reader.f32s(params[i].data(), count);
    for (uint32_t slot = 0; slot < slots; ++slot) {
      slotData[slot][i].resize(count);
      reader.f32s(slotData[slot][i].data(), count);
    }
  }

  EpochPosition position;
  position.step = static_cast<int64_t>(reader.u64());
  for (uint64_t &word : position.epochStartRng)
    word = reader.u64();
  position.lossSum = reader.f64();
  uint32_t numMetrics = reader.u32();
  if (numMetrics != uint32_t(model.numMetrics()))
    fail("%s: checkpoint has %u metrics, the model has %d", file, numMetrics,
         model.numMetrics());
  for (uint32_t i = 0; i < numMetrics; ++i)
    position.metricSums.push_back(reader.f64());
  position.samples = static_cast<int64_t>(reader.u64());
  float rate;
  reader.f32s(&rate, 1);

  const size_t payload = sizeof(kMagic) + reader.position();
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i)
    stored |= uint64_t(bytes[payload + i]) << (8 * i);
  if (stored != fnv1a64(bytes.data(), payload))
    fail("%s: checkpoint checksum mismatch (file corrupt)", file);

  for (uint32_t i = 0; i < numParams; ++i) {
    std::copy(params[i].begin(), params[i].end(), trainer.params()[i].begin());
    for (uint32_t slot = 0; withOptimizer && slot < slots; ++slot) {
      std::vector<float> &target = trainer.optimizer().slotData(slot, i);
      std::copy(slotData[slot][i].begin(), slotData[slot][i].end(),
                target.begin());
    }
  }
  trainer.optimizer().setIterations(static_cast<int64_t>(iterations));
  trainer.shuffleRng().setState(rngState);
  trainer.setCompletedEpochs(static_cast<int64_t>(epochs));
  trainer.setPosition(std::move(position));
  if (trainer.optimizer().config().schedule == KILN_SCHEDULE_CONSTANT)
    trainer.optimizer().setLearningRate(rate);
}

void saveCheckpoint(const std::string &path, const Trainer &trainer) {
  std::vector<uint8_t> bytes = encodeCheckpoint(trainer);
  AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

void loadCheckpoint(const std::string &path, Trainer &trainer,
                    bool withOptimizer) {
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
  decodeCheckpoint(bytes, path, trainer, withOptimizer);
}

} // namespace runtime
} // namespace kiln
