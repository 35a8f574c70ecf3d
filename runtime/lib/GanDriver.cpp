//===- GanDriver.cpp - Training and sampling a compiled GAN ---------------===//
//
// One epoch visits the training images once, in a shuffled order, in
// batches: each batch is one discriminator step (real images against as
// many generated from fresh latent vectors), and every
// `discriminator_steps`-th batch is followed by one generator step on fresh
// latent vectors. Each network has its own optimizer; a step's gradients
// for the other network's parameters are zeros and its optimizer never
// touches them. Latent vectors, class labels and the steps' random states
// are drawn from streams of the seed, so a run is reproducible.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/GanDriver.h"
#include "kiln/runtime/Batch.h"
#include "kiln/runtime/Checkpoint.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Driver.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/Init.h"
#include "kiln/runtime/MappedFile.h"
#include "kiln/runtime/MetricsJson.h"
#include "kiln/runtime/Model.h"
#include "kiln/runtime/Npy.h"
#include "kiln/runtime/Optimizer.h"
#include "kiln/runtime/Png.h"
#include "kiln/runtime/Random.h"
#include "kiln/runtime/ShardedStep.h"
#include "kiln/runtime/Trainer.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <spawn.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace kiln {
namespace runtime {

namespace {

/// Random streams of the GAN loop (past those RandomStream names).
constexpr uint64_t kLatentStream = 0x200;
constexpr uint64_t kClassStream = 0x201;
constexpr uint64_t kSampleGridStream = 0x202;
constexpr uint64_t kGenerateStream = 0x203;
constexpr uint64_t kInterpolationStream = 0x204;
constexpr uint64_t kFrechetStream = 0x205;

struct GanOptions {
  std::string command;
  std::string dataDir, trainImages, trainLabels;
  std::optional<int64_t> epochs, batchSize;
  int64_t maxSamples = -1;
  /// 0: the default (defaultThreadCount).
  int64_t threads = 0;
  uint64_t seed = 42;
  std::string checkpoint, resume, metricsJson, samplesDir, output;
  int64_t sampleCount = 64;
  int64_t count = 64;
  int64_t gridColumns = 0;
  std::optional<int64_t> classIndex;
  bool quiet = false;
  /// --frechet-classifier: a Kiln classifier executable whose `frechet`
  /// command measures the generated images after each epoch.
  std::string frechetClassifier, frechetCheckpoint, frechetOutput,
      frechetReference;
  int64_t frechetSamples = 10000;
};

int64_t parseInteger(const std::string &flag, const char *text, int64_t min) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min)
    fail("%s expects an integer >= %lld, got '%s'", flag.c_str(),
         static_cast<long long>(min), text);
  return value;
}

GanOptions parseGanCommandLine(int argc, char **argv) {
  GanOptions o;
  o.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc)
        fail("%s expects a value", flag.c_str());
      return argv[++i];
    };
    bool train = o.command == "train";
    if (flag == "--quiet")
      o.quiet = true;
    else if (flag == "--seed")
      o.seed = static_cast<uint64_t>(parseInteger(flag, value(), 0));
    else if (flag == "--checkpoint")
      o.checkpoint = value();
    else if (train && flag == "--data")
      o.dataDir = value();
    else if (train && flag == "--train-images")
      o.trainImages = value();
    else if (train && flag == "--train-labels")
      o.trainLabels = value();
    else if (train && flag == "--epochs")
      o.epochs = parseInteger(flag, value(), 1);
    else if (train && flag == "--batch-size")
      o.batchSize = parseInteger(flag, value(), 1);
    else if (train && flag == "--max-samples")
      o.maxSamples = parseInteger(flag, value(), 1);
    else if (train && flag == "--threads")
      o.threads = parseInteger(flag, value(), 1);
    else if (train && flag == "--resume")
      o.resume = value();
    else if (train && flag == "--metrics-json")
      o.metricsJson = value();
    else if (train && flag == "--samples")
      o.samplesDir = value();
    else if (train && flag == "--sample-count")
      o.sampleCount = parseInteger(flag, value(), 1);
    else if (train && flag == "--frechet-classifier")
      o.frechetClassifier = value();
    else if (train && flag == "--frechet-checkpoint")
      o.frechetCheckpoint = value();
    else if (train && flag == "--frechet-output")
      o.frechetOutput = value();
    else if (train && flag == "--frechet-reference")
      o.frechetReference = value();
    else if (train && flag == "--frechet-samples")
      o.frechetSamples = parseInteger(flag, value(), 2);
    else if (!train && flag == "--count")
      o.count = parseInteger(flag, value(), 1);
    else if (!train && flag == "--output")
      o.output = value();
    else if (!train && flag == "--class")
      o.classIndex = parseInteger(flag, value(), 0);
    else if (flag == "--grid-columns")
      o.gridColumns = parseInteger(flag, value(), 1);
    else
      fail("unknown flag '%s' for 'gan %s' (see docs/gans.md)", flag.c_str(),
           o.command.c_str());
  }
  if (!o.frechetClassifier.empty() && o.frechetCheckpoint.empty())
    fail("--frechet-classifier needs --frechet-checkpoint (the classifier's "
         "trained checkpoint)");
  return o;
}

/// A standard normal draw (Box-Muller on two 53-bit uniforms).
double standardNormal(Rng &rng) {
  double u1 = (static_cast<double>(rng.next() >> 11) + 1.0) * 0x1.0p-53;
  double u2 = static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// The GAN's networks, their optimizers and the buffers of both steps.
class GanTrainer {
public:
  GanTrainer(const ModelInfo &model, int64_t batchSize)
      : model_(model), gan_(*model.desc().gan),
        holder_(model, gan_.discriminator_optimizer, batchSize),
        generatorOptimizer_(gan_.generator_optimizer, paramSizes(),
                            frozenMask(/*generator=*/true)),
        latentDim_(gan_.latent_dim),
        imageElements_(elementCount(gan_.image_rank, gan_.image_shape)) {
    checkOptimizerConfig(gan_.generator_optimizer);
    checkOptimizerConfig(gan_.discriminator_optimizer);
    holder_.optimizer() = Optimizer(gan_.discriminator_optimizer, paramSizes(),
                                    frozenMask(/*generator=*/false));
    for (int32_t i = 0; i < model.numParams(); ++i) {
      grads_.emplace_back(static_cast<size_t>(model.paramElements(i)), 0.0f);
      if (model.desc().params[i].state) {
        stateParams_.push_back(i);
        states_.emplace_back(static_cast<size_t>(model.paramElements(i)));
      }
    }
  }

  TensorList &params() { return holder_.params(); }
  Trainer &holder() { return holder_; }
  Optimizer &generatorOptimizer() { return generatorOptimizer_; }
  int64_t latentDim() const { return latentDim_; }
  int64_t imageElements() const { return imageElements_; }
  bool conditional() const { return gan_.num_classes > 0; }

  void initialize(uint64_t seed) { holder_.initialize(seed); }

  /// Fills `latent` with n draws of the latent distribution.
  void sampleLatent(Rng &rng, int64_t n, std::vector<float> &latent) const {
    latent.resize(static_cast<size_t>(n * latentDim_));
    for (float &v : latent)
      v = gan_.latent_distribution == KILN_LATENT_UNIFORM
              ? 2.0f * rng.nextUnitFloat() - 1.0f
              : static_cast<float>(standardNormal(rng));
  }
  void sampleClasses(Rng &rng, int64_t n, std::vector<float> &classes) const {
    classes.resize(static_cast<size_t>(n));
    for (float &c : classes)
      c = static_cast<float>(
          rng.nextBelow(static_cast<uint64_t>(gan_.num_classes)));
  }

  struct DiscriminatorResult {
    float loss = 0, realAccuracy = 0, fakeAccuracy = 0;
  };

  bool penalized() const { return gan_.loss == KILN_GAN_WASSERSTEIN_GP; }

  /// The gradient penalty's interpolation weights: one uniform draw per
  /// sample, repeated over its elements.
  void sampleInterpolation(Rng &rng, int64_t n, std::vector<float> &weights) {
    weights.resize(static_cast<size_t>(n * imageElements_));
    for (int64_t r = 0; r < n; ++r)
      std::fill_n(weights.begin() + r * imageElements_, imageElements_,
                  rng.nextUnitFloat());
  }

  /// `rngs` holds the random states of the generator, of the real and the
  /// generated batch and (Wasserstein loss) of the interpolates.
  DiscriminatorResult discriminatorStep(int64_t n, float *images, float *latent,
                                        float *classes, float *fakeClasses,
                                        float *interpolation,
                                        const uint64_t rngs[4][2]) {
    StepBuffers b = paramBuffers();
    b.addRows(images, imageElements_);
    b.addRows(latent, latentDim_);
    if (conditional()) {
      b.addRows(classes, 1);
      b.addRows(fakeClasses, 1);
    }
    if (penalized())
      b.addRows(interpolation, imageElements_);
    for (int k = 0; k < (penalized() ? 4 : 3); ++k)
      b.addRandom(const_cast<uint64_t *>(rngs[k]));
    DiscriminatorResult result;
    b.addMean(&result.loss, 1);
    b.addMean(&result.realAccuracy, 1);
    b.addMean(&result.fakeAccuracy, 1);
    for (auto &grad : grads_)
      b.addMean(grad.data(), static_cast<int64_t>(grad.size()));
    for (size_t k = 0; k < stateParams_.size(); ++k)
      if (stateParams_[k] >= gan_.num_generator_params)
        b.addMean(states_[k].data(), static_cast<int64_t>(states_[k].size()));
    runSharded(discriminatorStep_, b, gan_.discriminator_step, n);
    holder_.optimizer().step(params(), grads_, holder_.pool());
    copyStates(/*generator=*/false);
    return result;
  }

  float generatorStep(int64_t n, float *latent, float *fakeClasses,
                      const uint64_t rngs[2][2]) {
    StepBuffers b = paramBuffers();
    b.addRows(latent, latentDim_);
    if (conditional())
      b.addRows(fakeClasses, 1);
    for (int k = 0; k < 2; ++k)
      b.addRandom(const_cast<uint64_t *>(rngs[k]));
    float loss = 0;
    b.addMean(&loss, 1);
    for (auto &grad : grads_)
      b.addMean(grad.data(), static_cast<int64_t>(grad.size()));
    for (auto &state : states_)
      b.addMean(state.data(), static_cast<int64_t>(state.size()));
    runSharded(generatorStep_, b, gan_.generator_step, n);
    generatorOptimizer_.step(params(), grads_, holder_.pool());
    copyStates(/*generator=*/true);
    return loss;
  }

  /// Splits the training steps' batches over `threads` threads
  /// (ShardedStep): bitwise reproducible for a given count.
  void setThreads(int threads) {
    holder_.setThreads(threads);
    discriminatorStep_.reset();
    generatorStep_.reset();
  }

  /// Runs the generator (inference mode) on n latent vectors.
  void generate(int64_t n, float *latent, float *classes, float *images) {
    StepBuffers b = paramBuffers();
    b.add(latent);
    if (conditional())
      b.add(classes);
    b.add(images);
    model_.desc().predict(n, b.layout.buffers.data());
  }

private:
  std::vector<int64_t> paramSizes() const {
    std::vector<int64_t> sizes;
    for (int32_t i = 0; i < model_.numParams(); ++i)
      sizes.push_back(model_.paramElements(i));
    return sizes;
  }
  /// Frozen for the optimizer of one network: the other network's
  /// parameters and the frozen ones.
  std::vector<bool> frozenMask(bool generator) const {
    std::vector<bool> frozen;
    for (int32_t i = 0; i < model_.numParams(); ++i)
      frozen.push_back(model_.desc().params[i].frozen != 0 ||
                       (i < gan_.num_generator_params) != generator);
    return frozen;
  }
  /// One step's buffers in ABI order, with what ShardedStep must know of
  /// each: rows of the batch, random states, means over the rows.
  struct StepBuffers {
    StepLayout layout;
    void add(void *buffer) { layout.buffers.push_back(buffer); }
    void addRows(float *buffer, int64_t elementsPerRow) {
      layout.rowInputs.push_back({next(), elementsPerRow * 4});
      add(buffer);
    }
    void addRandom(uint64_t *state) {
      layout.rngInputs.push_back(next());
      add(state);
    }
    void addMean(float *buffer, int64_t elements) {
      layout.meanOutputs.push_back({next(), elements});
      add(buffer);
    }
    int32_t next() const { return static_cast<int32_t>(layout.buffers.size()); }
  };

  StepBuffers paramBuffers() {
    StepBuffers b;
    for (auto &param : params())
      b.add(param.data());
    return b;
  }

  /// Runs `entry` on n rows, split over the threads. The step keeps its
  /// shards' buffers from call to call; only the pointers change.
  void runSharded(std::unique_ptr<ShardedStep> &step, const StepBuffers &b,
                  KilnEntryPoint entry, int64_t n) {
    if (!step)
      step = std::make_unique<ShardedStep>(
          holder_.pool() ? *holder_.pool() : serial_, b.layout);
    else
      step->rebindAll(b.layout.buffers);
    step->run(entry, n);
  }
  /// Copies the new states a step returned into their parameters: after
  /// the discriminator's step its own, after the generator's all.
  void copyStates(bool all) {
    for (size_t k = 0; k < stateParams_.size(); ++k)
      if (all || stateParams_[k] >= gan_.num_generator_params)
        params()[stateParams_[k]] = states_[k];
  }

  const ModelInfo &model_;
  const KilnGanDesc &gan_;
  /// Holds the parameters and the discriminator's optimizer, so that a
  /// checkpoint is an ordinary one (predict and generate read it).
  Trainer holder_;
  WorkerPool serial_{1};
  std::unique_ptr<ShardedStep> discriminatorStep_, generatorStep_;
  Optimizer generatorOptimizer_;
  TensorList grads_;
  std::vector<int32_t> stateParams_;
  TensorList states_;
  int64_t latentDim_;
  int64_t imageElements_;
};

std::vector<int64_t> imageShape(const KilnGanDesc &gan) {
  return std::vector<int64_t>(gan.image_shape,
                              gan.image_shape + gan.image_rank);
}

void writeGrid(const std::string &path, const std::vector<float> &images,
               int64_t count, const KilnGanDesc &gan, int64_t columns) {
  TileShape tile = tileShapeOf(imageShape(gan), "the generated image");
  GridLayout layout;
  // A conditional GAN's images cycle through the classes: by default a row
  // per round, so that each column shows one class.
  layout.columns =
      columns == 0 && gan.num_classes > 0 ? gan.num_classes : columns;
  writePng(path,
           imageGrid(images.data(), count, tile, PixelRange::Auto, layout));
}

/// Measures the Fréchet distance of `images` (in the generator's range)
/// to the reference images in the feature space of a Kiln classifier: the
/// images go back to raw pixels (the inverse of image_scale and
/// image_offset, the scale the classifier was trained on) into a temporary
/// .npy, and `CLASSIFIER frechet` measures them; its --metrics-json line
/// has the distance.
double measureFrechet(const GanOptions &o, const std::string &reference,
                      const std::vector<float> &images, int64_t count,
                      const KilnGanDesc &gan) {
  std::string pattern = temporaryDirectory() + "/kiln-frechet-XXXXXX";
  const char *dir = ::mkdtemp(pattern.data());
  if (!dir)
    fail("--frechet-classifier: cannot create a temporary directory: %s",
         std::strerror(errno));
  std::string npy = std::string(dir) + "/generated.npy";
  std::string json = std::string(dir) + "/frechet.json";
  std::vector<float> pixels(images.size());
  for (size_t i = 0; i < images.size(); ++i)
    pixels[i] = (images[i] - gan.image_offset) / gan.image_scale;
  std::vector<int64_t> shape = {count};
  for (int64_t extent : imageShape(gan))
    shape.push_back(extent);
  writeNpy(npy, shape, pixels.data());

  std::vector<std::string> args = {o.frechetClassifier,
                                   "frechet",
                                   "--checkpoint",
                                   o.frechetCheckpoint,
                                   "--input",
                                   npy,
                                   "--reference",
                                   reference,
                                   "--max-samples",
                                   std::to_string(count),
                                   "--metrics-json",
                                   json,
                                   "--quiet"};
  if (!o.frechetOutput.empty()) {
    args.push_back("--output");
    args.push_back(o.frechetOutput);
  }
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  pid_t pid = 0;
  int spawned =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (spawned == 0)
    ::waitpid(pid, &status, 0);
  std::string record;
  if (spawned == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    record = readFileContents(json);
  ::unlink(npy.c_str());
  ::unlink(json.c_str());
  ::rmdir(dir);
  if (spawned != 0)
    fail("--frechet-classifier: cannot run '%s': %s",
         o.frechetClassifier.c_str(), std::strerror(spawned));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("--frechet-classifier: '%s frechet' failed (its error is above)",
         o.frechetClassifier.c_str());
  const char *key = "\"frechet_distance\":";
  size_t at = record.find(key);
  if (at == std::string::npos)
    fail("--frechet-classifier: '%s frechet' wrote no frechet_distance",
         o.frechetClassifier.c_str());
  return std::strtod(record.c_str() + at + std::strlen(key), nullptr);
}

bool endsWith(const std::string &text, const char *suffix) {
  size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

void runGanTrain(const ModelInfo &model, const GanOptions &o) {
  const KilnModelDesc &desc = model.desc();
  const KilnGanDesc &gan = *desc.gan;
  std::string imagesPath = o.trainImages, labelsPath = o.trainLabels;
  if (!o.dataDir.empty()) {
    imagesPath = findIdxFile(o.dataDir, "train-images-idx3-ubyte");
    if (gan.num_classes > 0)
      labelsPath = findIdxFile(o.dataDir, "train-labels-idx1-ubyte");
  }
  if (imagesPath.empty())
    fail("gan train needs training images: --data DIR or --train-images F");
  if (gan.num_classes > 0 && labelsPath.empty())
    fail("a conditional GAN needs the training labels: --data DIR or "
         "--train-labels F");
  IdxData images = readIdxFile(imagesPath, 0, o.maxSamples);
  GanTrainer trainer(model, o.batchSize.value_or(desc.batch_size));
  trainer.setThreads(runThreads(model, o.threads,
                                o.batchSize.value_or(desc.batch_size),
                                /*training=*/true));
  if (images.itemElements() != trainer.imageElements())
    fail("%s: images of %lld elements, but the discriminator reads %s",
         imagesPath.c_str(), static_cast<long long>(images.itemElements()),
         formatShape(gan.image_rank, gan.image_shape).c_str());
  int64_t count = images.itemsRead;
  std::vector<int32_t> labels;
  if (gan.num_classes > 0) {
    IdxData labelData = readIdxFile(labelsPath, 1, o.maxSamples);
    if (labelData.itemsRead != count)
      fail("%s: %lld labels for %lld images", labelsPath.c_str(),
           static_cast<long long>(labelData.itemsRead),
           static_cast<long long>(count));
    for (int64_t i = 0; i < count; ++i) {
      int32_t label = labelData.data()[i];
      if (label >= gan.num_classes)
        fail("%s: label %d of sample %lld is not below num_classes %d",
             labelsPath.c_str(), label, static_cast<long long>(i),
             gan.num_classes);
      labels.push_back(label);
    }
  }
  if (count < 1)
    fail("%s: no images", imagesPath.c_str());

  int64_t epochs = o.epochs.value_or(desc.epochs);
  int64_t batchSize = o.batchSize.value_or(desc.batch_size);
  // Everything the loop draws from comes from the checkpoint when it
  // resumes, so that the run continues bitwise as if never stopped.
  Rng &shuffle = trainer.holder().shuffleRng();
  Rng latentRng(o.seed, kLatentStream);
  Rng classRng(o.seed, kClassStream);
  Rng interpolationRng(o.seed, kInterpolationStream);
  GanLoopState loop;
  loop.generatorOptimizer = &trainer.generatorOptimizer();
  CheckpointExtras extras;
  extras.gan = &loop;
  trainer.initialize(o.seed);
  if (!o.resume.empty()) {
    loadCheckpoint(o.resume, trainer.holder(), /*withOptimizer=*/true, extras);
    latentRng.setState(loop.latentRng);
    classRng.setState(loop.classRng);
    interpolationRng.setState(loop.interpolationRng);
  }
  // The sample grids show the same latent vectors every epoch.
  Rng gridRng(o.seed, kSampleGridStream);
  std::vector<float> gridLatent, gridClasses, gridImages;
  trainer.sampleLatent(gridRng, o.sampleCount, gridLatent);
  if (trainer.conditional())
    for (int64_t i = 0; i < o.sampleCount; ++i)
      gridClasses.push_back(static_cast<float>(i % gan.num_classes));
  if (!o.samplesDir.empty()) {
    ::mkdir(o.samplesDir.c_str(), 0777);
    struct stat info;
    if (::stat(o.samplesDir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      fail("--samples: cannot create the directory '%s'", o.samplesDir.c_str());
  }
  // The Fréchet distance after each epoch, on the same latent vectors.
  std::string frechetReference = o.frechetReference;
  if (!o.frechetClassifier.empty() && frechetReference.empty()) {
    if (o.dataDir.empty())
      fail("--frechet-classifier needs reference images: "
           "--frechet-reference F, or the test set of --data DIR");
    frechetReference = findIdxFile(o.dataDir, "t10k-images-idx3-ubyte");
  }
  std::vector<float> frechetLatent, frechetClasses, frechetImages;
  if (!o.frechetClassifier.empty()) {
    Rng frechetRng(o.seed, kFrechetStream);
    trainer.sampleLatent(frechetRng, o.frechetSamples, frechetLatent);
    if (trainer.conditional())
      trainer.sampleClasses(frechetRng, o.frechetSamples, frechetClasses);
  }
  std::unique_ptr<AtomicFile> metrics;
  if (!o.metricsJson.empty())
    metrics = std::make_unique<AtomicFile>(o.metricsJson);

  std::vector<int64_t> order(static_cast<size_t>(count));
  std::vector<float> real, latent, classes, fakeClasses, interpolation;
  int64_t step = loop.steps, discriminatorSteps = loop.discriminatorSteps;
  for (int64_t epoch = trainer.holder().completedEpochs() + 1; epoch <= epochs;
       ++epoch) {
    auto start = std::chrono::steady_clock::now();
    shuffledOrder(order, count, shuffle);
    uint64_t epochSeed = shuffle.next();
    double dLoss = 0, realAcc = 0, fakeAcc = 0, gLoss = 0;
    int64_t dSamples = 0, gSamples = 0;
    for (int64_t begin = 0; begin < count; begin += batchSize) {
      int64_t n = std::min(batchSize, count - begin);
      int64_t elements = trainer.imageElements();
      real.resize(static_cast<size_t>(n * elements));
      classes.resize(static_cast<size_t>(n));
      for (int64_t r = 0; r < n; ++r) {
        const uint8_t *pixels = images.data() + order[begin + r] * elements;
        for (int64_t e = 0; e < elements; ++e)
          real[r * elements + e] = pixels[e];
        if (trainer.conditional())
          classes[r] = static_cast<float>(labels[order[begin + r]]);
      }
      trainer.sampleLatent(latentRng, n, latent);
      if (trainer.conditional())
        trainer.sampleClasses(classRng, n, fakeClasses);
      if (trainer.penalized())
        trainer.sampleInterpolation(interpolationRng, n, interpolation);
      uint64_t base = uint64_t(step) * 8;
      const uint64_t dRngs[4][2] = {{epochSeed, base},
                                    {epochSeed, base + 1},
                                    {epochSeed, base + 2},
                                    {epochSeed, base + 5}};
      auto d = trainer.discriminatorStep(n, real.data(), latent.data(),
                                         classes.data(), fakeClasses.data(),
                                         interpolation.data(), dRngs);
      if (!std::isfinite(d.loss))
        fail("the discriminator's loss is %s at epoch %lld, step %lld",
             std::isnan(d.loss) ? "NaN" : "infinite",
             static_cast<long long>(epoch), static_cast<long long>(step + 1));
      dLoss += double(d.loss) * n;
      realAcc += double(d.realAccuracy) * n;
      fakeAcc += double(d.fakeAccuracy) * n;
      dSamples += n;
      if (++discriminatorSteps % gan.discriminator_steps == 0) {
        trainer.sampleLatent(latentRng, n, latent);
        if (trainer.conditional())
          trainer.sampleClasses(classRng, n, fakeClasses);
        const uint64_t gRngs[2][2] = {{epochSeed, base + 3},
                                      {epochSeed, base + 4}};
        float g =
            trainer.generatorStep(n, latent.data(), fakeClasses.data(), gRngs);
        if (!std::isfinite(g))
          fail("the generator's loss is %s at epoch %lld, step %lld",
               std::isnan(g) ? "NaN" : "infinite",
               static_cast<long long>(epoch), static_cast<long long>(step + 1));
        gLoss += double(g) * n;
        gSamples += n;
      }
      ++step;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    dLoss /= double(dSamples);
    realAcc /= double(dSamples);
    fakeAcc /= double(dSamples);
    gLoss = gSamples ? gLoss / double(gSamples) : 0.0;
    std::string frechetText, frechetJson;
    if (!o.frechetClassifier.empty()) {
      frechetImages.resize(
          static_cast<size_t>(o.frechetSamples * trainer.imageElements()));
      constexpr int64_t kChunk = 256;
      for (int64_t begin = 0; begin < o.frechetSamples; begin += kChunk) {
        int64_t n = std::min(kChunk, o.frechetSamples - begin);
        trainer.generate(
            n, frechetLatent.data() + begin * trainer.latentDim(),
            trainer.conditional() ? frechetClasses.data() + begin : nullptr,
            frechetImages.data() + begin * trainer.imageElements());
      }
      double distance = measureFrechet(o, frechetReference, frechetImages,
                                       o.frechetSamples, gan);
      char text[64];
      std::snprintf(text, sizeof text, " - frechet_distance: %.4f", distance);
      frechetText = text;
      frechetJson = ",\"frechet_distance\":" + formatJsonNumber(distance);
    }
    if (!o.quiet)
      std::printf("Epoch %lld/%lld - %.1fs - d_loss: %.4f - g_loss: %.4f - "
                  "real_accuracy: %.4f - fake_accuracy: %.4f%s\n",
                  static_cast<long long>(epoch), static_cast<long long>(epochs),
                  seconds, dLoss, gLoss, realAcc, fakeAcc, frechetText.c_str());
    std::fflush(stdout);
    if (metrics)
      metrics->write(
          "{\"epoch\":" + std::to_string(epoch) + ",\"d_loss\":" +
          formatJsonNumber(dLoss) + ",\"g_loss\":" + formatJsonNumber(gLoss) +
          ",\"real_accuracy\":" + formatJsonNumber(realAcc) +
          ",\"fake_accuracy\":" + formatJsonNumber(fakeAcc) + ",\"seconds\":" +
          formatJsonNumber(seconds) + ",\"samples_per_second\":" +
          formatJsonNumber(double(count) / seconds) + frechetJson + "}\n");
    if (!o.samplesDir.empty()) {
      gridImages.resize(
          static_cast<size_t>(o.sampleCount * trainer.imageElements()));
      trainer.generate(o.sampleCount, gridLatent.data(), gridClasses.data(),
                       gridImages.data());
      char name[32];
      std::snprintf(name, sizeof name, "/epoch_%03lld.png",
                    static_cast<long long>(epoch));
      writeGrid(o.samplesDir + name, gridImages, o.sampleCount, gan,
                o.gridColumns);
    }
    trainer.holder().setCompletedEpochs(epoch);
    if (!o.checkpoint.empty()) {
      loop.latentRng = latentRng.state();
      loop.classRng = classRng.state();
      loop.interpolationRng = interpolationRng.state();
      loop.steps = step;
      loop.discriminatorSteps = discriminatorSteps;
      saveCheckpoint(o.checkpoint, trainer.holder(), extras);
    }
  }
  if (metrics)
    metrics->commit();
}

void runGanGenerate(const ModelInfo &model, const GanOptions &o) {
  const KilnGanDesc &gan = *model.desc().gan;
  if (o.checkpoint.empty())
    fail("gan generate needs --checkpoint FILE");
  std::string output = o.output.empty() ? "generated.png" : o.output;
  bool png = endsWith(output, ".png");
  if (!png && !endsWith(output, ".npy"))
    fail("--output: '%s' must end in .png (a grid) or .npy (the images)",
         output.c_str());
  if (o.classIndex && gan.num_classes == 0)
    fail("--class: the GAN is not conditional");
  if (o.classIndex && *o.classIndex >= gan.num_classes)
    fail("--class: %lld is not below num_classes %d",
         static_cast<long long>(*o.classIndex), gan.num_classes);
  GanTrainer trainer(model, 1);
  loadCheckpoint(o.checkpoint, trainer.holder(), /*withOptimizer=*/false);
  Rng latentRng(o.seed, kGenerateStream);
  std::vector<float> latent, classes;
  trainer.sampleLatent(latentRng, o.count, latent);
  for (int64_t i = 0; i < o.count; ++i)
    classes.push_back(static_cast<float>(
        o.classIndex ? *o.classIndex
                     : (gan.num_classes ? i % gan.num_classes : 0)));
  std::vector<float> images(
      static_cast<size_t>(o.count * trainer.imageElements()));
  // In chunks, so that the compiled step's workspace stays small.
  constexpr int64_t kChunk = 256;
  for (int64_t begin = 0; begin < o.count; begin += kChunk) {
    int64_t n = std::min(kChunk, o.count - begin);
    trainer.generate(n, latent.data() + begin * trainer.latentDim(),
                     classes.data() + begin,
                     images.data() + begin * trainer.imageElements());
  }
  if (png) {
    writeGrid(output, images, o.count, gan, o.gridColumns);
  } else {
    std::vector<int64_t> shape = {o.count};
    for (int64_t extent : imageShape(gan))
      shape.push_back(extent);
    writeNpy(output, shape, images.data());
  }
  std::printf("wrote %lld generated images to %s\n",
              static_cast<long long>(o.count), output.c_str());
}

} // namespace

bool isGanCommand(const char *command) {
  std::string name = command ? command : "";
  return name == "train" || name == "generate" || name == "evaluate" ||
         name == "export";
}

void runGanCommand(const ModelInfo &model, int argc, char **argv) {
  GanOptions options = parseGanCommandLine(argc, argv);
  if (options.command == "train")
    runGanTrain(model, options);
  else if (options.command == "generate")
    runGanGenerate(model, options);
  else
    fail("'%s' does not apply to a GAN; its commands are train, generate, "
         "predict and summary",
         options.command.c_str());
}

} // namespace runtime
} // namespace kiln
