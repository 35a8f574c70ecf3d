//===- TestUtil.cpp - Shared helpers of the runtime unit tests ------------===//

#include "TestUtil.h"

#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Random.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace kiln {
namespace test {

TempDir::TempDir() {
  std::string pattern = ::testing::TempDir() + "kiln-runtime-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::file(const std::string &name) const {
  return path_ + "/" + name;
}

std::vector<uint8_t> idxBytes(const std::vector<int64_t> &dims,
                              const std::vector<uint8_t> &data) {
  std::vector<uint8_t> bytes = {0, 0, 8, static_cast<uint8_t>(dims.size())};
  for (int64_t dim : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes.push_back(static_cast<uint8_t>(dim >> shift));
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

void writeGzip(const std::string &path, const std::vector<uint8_t> &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (!file)
    throw std::runtime_error("cannot write " + path);
  if (!bytes.empty() &&
      gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) <= 0)
    throw std::runtime_error("gzwrite failed for " + path);
  gzclose(file);
}

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

std::string readText(const std::string &path) {
  std::vector<uint8_t> bytes = readBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

bool fileExists(const std::string &path) {
  return std::filesystem::exists(path);
}

SyntheticData makeSeparableData(int64_t count, uint64_t seed) {
  runtime::Rng rng(seed, 7);
  SyntheticData data;
  for (int64_t i = 0; i < count; ++i) {
    int label = static_cast<int>(rng.nextBelow(3));
    for (int feature = 0; feature < 4; ++feature) {
      uint64_t noise = rng.nextBelow(60);
      data.inputs.push_back(
          static_cast<uint8_t>(feature == label ? 180 + noise : 20 + noise));
    }
    data.labels.push_back(static_cast<uint8_t>(label));
  }
  return data;
}

void writeSyntheticIdx(const SyntheticData &data, const std::string &dir,
                       const std::string &prefix, bool gzip) {
  const int64_t count = static_cast<int64_t>(data.labels.size());
  std::vector<uint8_t> images = idxBytes({count, 2, 2}, data.inputs);
  std::vector<uint8_t> labels = idxBytes({count}, data.labels);
  std::string suffix = gzip ? ".gz" : "";
  std::string base = dir + "/" + prefix;
  if (gzip) {
    writeGzip(base + "-images-idx3-ubyte" + suffix, images);
    writeGzip(base + "-labels-idx1-ubyte" + suffix, labels);
  } else {
    writeBytes(base + "-images-idx3-ubyte", images);
    writeBytes(base + "-labels-idx1-ubyte", labels);
  }
}

namespace {
void unusedEntryPoint(int64_t, void **) {
  ADD_FAILURE() << "entry point of a test descriptor called";
}
} // namespace

KilnModelDesc makeTestDesc(int64_t inputs, int64_t classes, int32_t optimizer) {
  // Static storage: descriptors point at these arrays. Tests that need two
  // different shapes at once do not exist, so one set suffices.
  static KilnParamDesc params[2];
  static KilnLayerDesc layers[1];
  static const char *const metrics[] = {"accuracy"};
  params[0] = {
      "dense/kernel", 2, {inputs, classes}, KILN_INIT_GLOROT_UNIFORM, {}};
  params[1] = {"dense/bias", 1, {classes}, KILN_INIT_ZEROS, {}};
  layers[0] = {
      "dense",        "Dense", 2, {-1, classes}, inputs * classes + classes,
      /*inbound=*/"x"};

  KilnModelDesc desc = {};
  desc.abi_version = KILN_ABI_VERSION;
  desc.name = "test_model";
  desc.fingerprint = 0x1234abcd5678ef00ULL;
  desc.num_params = 2;
  desc.params = params;
  desc.num_layers = 1;
  desc.layers = layers;
  desc.input_rank = 1;
  desc.input_shape[0] = inputs;
  desc.input_dtype = KILN_DTYPE_F32;
  desc.output_rank = 1;
  desc.output_shape[0] = classes;
  desc.label_dtype = KILN_DTYPE_I32;
  desc.loss_name = "sparse_categorical_crossentropy";
  desc.num_metrics = 1;
  desc.metric_names = metrics;
  desc.epochs = 2;
  desc.batch_size = 4;
  desc.optimizer = runtime::defaultOptimizerConfig(optimizer);
  desc.optimizer.learning_rate = 0.001f;
  desc.train_step = unusedEntryPoint;
  desc.evaluate = unusedEntryPoint;
  desc.predict = unusedEntryPoint;
  static KilnInputDesc input;
  static KilnOutputDesc output;
  input = {"x", 1, {inputs}, KILN_DTYPE_F32};
  output = {"dense",
            1,
            {classes},
            KILN_DTYPE_I32,
            0,
            {},
            "sparse_categorical_crossentropy",
            1.0f};
  desc.num_inputs = 1;
  desc.inputs = &input;
  desc.num_outputs = 1;
  desc.outputs = &output;
  return desc;
}

} // namespace test
} // namespace kiln
