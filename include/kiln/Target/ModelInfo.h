//===- ModelInfo.h - What the runtime must know about a model ---*- C++ -*-===//
//
// The facts the generated model descriptor (runtime/include/kiln/runtime/
// abi.h) carries, read from the kiln module before it is lowered: the
// parameters of @loss, the `kiln.model` attribute the frontend attaches.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TARGET_MODELINFO_H
#define KILN_TARGET_MODELINFO_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace kiln {

struct ModelParam {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  std::string initializer;
  /// The initializer as the descriptor gives it (enum KilnInitializer and
  /// its KilnInitArgs, every field set).
  int32_t initKind = 0;
  float initScale = 1.0f, initMinval = 0.0f, initMaxval = 0.0f;
  float initMean = 0.0f, initStddev = 0.0f, initValue = 0.0f;
  float initGain = 1.0f;
  int32_t initMode = 0, initDistribution = 0;
  /// `trainable = false` in `kiln.param`: a parameter of a frozen layer.
  bool frozen = false;
  /// `state` in `kiln.param`: replaced by the training step's extra
  /// results (BatchNormalization's moving averages); always frozen.
  bool state = false;
  /// The parameter's argument index in @loss.
  unsigned argument = 0;
  /// Initial values the model file gives (its `weights`), replacing the
  /// initializer (KILN_INIT_DATA); empty when it gives none.
  std::vector<float> initData;
};

struct ModelLayer {
  std::string name;
  std::string className;
  llvm::SmallVector<int64_t> outputShape; // -1 is the batch dimension.
  int64_t paramCount = 0;
  /// The names of what the layer reads, separated by ", ".
  std::string inbound;
};

/// One model input: the `kiln.input` arguments of @loss, in order.
struct ModelInput {
  std::string name;
  llvm::SmallVector<int64_t> shape; // One sample, no batch dimension.
};

/// One model output: a result of @forward and a `kiln.label` argument of
/// @loss, in order.
struct ModelOutput {
  std::string name;
  llvm::SmallVector<int64_t> shape; // One sample, no batch dimension.
  /// Float targets of `targetShape` per sample, or (false) int32 class
  /// indices, one per sample.
  bool floatTargets = false;
  llvm::SmallVector<int64_t> targetShape;
  std::string loss;
  float lossWeight = 1.0f;
};

/// An optimizer and its hyperparameters (a KilnOptimizerDesc).
struct OptimizerInfo {
  std::string name = "adam";
  float learningRate = 0.001f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-7f;
  /// The optimizer's other hyperparameters; zero means off, as in abi.h.
  float momentum = 0.0f;
  bool nesterov = false;
  bool amsgrad = false;
  float rho = 0.0f;
  bool centered = false;
  float initialAccumulatorValue = 0.0f;
  float weightDecay = 0.0f;
  float clipnorm = 0.0f;
  float clipvalue = 0.0f;
  float globalClipnorm = 0.0f;
  /// Learning-rate schedule: Keras's class name, empty for a constant rate.
  std::string schedule;
  int64_t decaySteps = 0;
  float decayRate = 0.0f;
  bool staircase = false;
  float alpha = 0.0f;
  bool hasWarmup = false;
  float warmupTarget = 0.0f;
  int64_t warmupSteps = 0;
  llvm::SmallVector<int64_t> boundaries;
  llvm::SmallVector<float> values;
};

/// The GAN part of the descriptor (a KilnGanDesc).
struct GanInfo {
  std::string loss;
  int64_t latentDim = 0;
  std::string latentDistribution;
  int64_t discriminatorSteps = 1;
  float labelSmoothing = 0.0f;
  float gradientPenaltyWeight = 0.0f;
  int64_t numClasses = 0;
  float imageScale = 1.0f;
  float imageOffset = 0.0f;
  int64_t numGeneratorParams = 0;
  llvm::SmallVector<int64_t> imageShape;
  OptimizerInfo generatorOptimizer;
  OptimizerInfo discriminatorOptimizer;
};

struct ModelInfo {
  std::string name;
  uint64_t fingerprint = 0;
  llvm::SmallVector<ModelParam> params;
  llvm::SmallVector<ModelLayer> layers;
  llvm::SmallVector<ModelInput, 1> inputs;
  llvm::SmallVector<ModelOutput, 1> outputs;
  /// The loss of a single-output model (of output 0 otherwise).
  std::string loss;
  llvm::SmallVector<std::string> metrics;
  /// The training function takes the random state (`kiln.rng` argument).
  bool usesRng = false;
  /// The train step's planned workspace (set after lowering by
  /// readWorkspacePlan).
  int64_t workspaceBytesPerSample = 0;
  int64_t workspaceBytesFixed = 0;
  /// train_step's contraction FLOPs per sample (kiln-count-flops; set with
  /// the workspace plan).
  int64_t trainFlopsPerSample = 0;
  int64_t epochs = 1;
  int64_t batchSize = 32;
  OptimizerInfo optimizer;
  /// Set for a GAN (functions @discriminator_loss, @generator_loss).
  std::optional<GanInfo> gan;
  /// The model description as a binary .kmodel without weights, embedded
  /// for `export --format kmodel`; empty when not embedded.
  std::string description;
};

/// Reads the model facts from a freshly imported kiln module (functions
/// @loss and @forward, attribute `kiln.model`). Emits a diagnostic and fails
/// when something the runtime needs is missing or malformed.
llvm::FailureOr<ModelInfo> extractModelInfo(mlir::ModuleOp module);

/// Reads the train step's memory plan, which kiln-plan-workspace records in
/// the module attribute `kiln.workspace`, and its FLOPs per sample
/// (`kiln.flops`, kiln-count-flops) into `info`.
void readWorkspacePlan(mlir::ModuleOp module, ModelInfo &info);

/// Names of the C entry points the descriptor points at, and of the
/// functions they wrap.
struct EntryPoint {
  llvm::StringRef function;
  llvm::StringRef symbol;
};
llvm::ArrayRef<EntryPoint> getEntryPoints();

/// Defines `kiln_model` (a KilnModelDesc) in `module`, pointing at the entry
/// points, which the module must already define.
llvm::LogicalResult emitModelDescriptor(llvm::Module &module,
                                        const ModelInfo &info);

} // namespace kiln

#endif // KILN_TARGET_MODELINFO_H
