//===- ModelAnalysis.h - Check a model description, infer shapes -*- C++ -*-=//
//
// Every model description, whatever file it came from, goes through
// `analyzeModel` before the IR builder sees it: it fills in the defaults of
// absent fields, checks every option against what Kiln implements, and
// infers each layer's output shape and parameter count (what Keras's
// `model.summary()` prints).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_MODELANALYSIS_H
#define KILN_FRONTEND_MODELANALYSIS_H

#include "kiln/Frontend/ModelDescription.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// The layer kinds Kiln implements, named like the Keras classes.
enum class LayerKind {
  InputLayer,
  Flatten,
  Dense,
  Rescaling,
  Activation,
  Conv2D,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  ZeroPadding2D,
  Cropping2D,
  Dropout,
  Reshape,
  SimpleRNN,
  LSTM,
  GRU,
  // Merges of several inputs.
  Add,
  Subtract,
  Multiply,
  Average,
  Concatenate,
  // Wrappers.
  Bidirectional,
  ReLU,
  LeakyReLU,
  ELU,
  Softmax,
  Permute,
  Conv1D,
  MaxPooling1D,
  AveragePooling1D,
  UpSampling2D,
  SpatialDropout1D,
  SpatialDropout2D,
  LayerNormalization,
  Embedding,
  BatchNormalization,
  Resizing,
  RandomFlip,
  RandomRotation,
  RandomZoom,
  RandomTranslation,
  Conv2DTranspose,
  DepthwiseConv2D,
  SeparableConv2D,
  Masking
};

/// Whether `kind` merges several inputs into one output.
bool isMergeLayer(LayerKind kind);

/// Element-wise activations (and softmax) a layer may apply.
enum class ActivationKind {
  Linear,
  Relu,
  Sigmoid,
  Tanh,
  Softmax,
  Relu6,
  Elu,
  Selu,
  Gelu,
  Swish,
  Softplus,
  Softsign,
  HardSigmoid,
  LeakyRelu,
  Exponential,
  LogSoftmax
};

/// The slope of `leaky_relu` used as an activation name (Keras's default).
constexpr float leakyReluActivationSlope = 0.2f;
/// The default slope of the LeakyReLU layer (Keras's, unlike the
/// activation's).
constexpr float leakyReluLayerSlope = 0.3f;

/// Parameter initializers the runtime implements (Keras's, by their
/// snake_case names).
enum class InitializerKind {
  GlorotUniform,
  Zeros,
  Ones,
  Orthogonal,
  GlorotNormal,
  HeUniform,
  HeNormal,
  LecunUniform,
  LecunNormal,
  RandomUniform,
  RandomNormal,
  TruncatedNormal,
  VarianceScaling,
  Constant,
  Identity
};

/// What the analysis learned about one layer of the description.
struct LayerInfo {
  LayerKind kind = LayerKind::InputLayer;
  /// Activation applied to the output (Dense, Activation); Linear otherwise.
  ActivationKind activation = ActivationKind::Linear;
  /// The recurrent layer a Bidirectional wraps (SimpleRNN, LSTM, GRU).
  LayerKind wrappedKind = LayerKind::InputLayer;
  /// Activation of the gates of a recurrent layer (LSTM, GRU).
  ActivationKind recurrentActivation = ActivationKind::Sigmoid;
  /// Where the layer's inputs come from, in order: a layer's index in
  /// `ModelT::layers`, or `modelInputRef(k)` for model input k.
  llvm::SmallVector<int64_t, 2> inputs;
  /// The layer whose parameters this one uses (`shares`); unset when it
  /// owns them.
  std::optional<size_t> owner;
  /// Shape of one sample of the layer's (first) input and of its output
  /// (no batch dim).
  llvm::SmallVector<int64_t> inputShape;
  llvm::SmallVector<int64_t> outputShape;
  /// Number of trainable scalars the layer owns.
  int64_t paramCount = 0;
  /// A recurrent layer (or Bidirectional) with `dropout` or
  /// `recurrent_dropout`: it draws masks in training.
  bool recurrentDropout = false;
  /// A `time_distributed` layer: the extent of the time axis, the first of
  /// `inputShape` and `outputShape`, that the layer runs across (each
  /// frame on its own); 0 otherwise.
  int64_t timesteps = 0;
  /// The output carries a Keras mask (one 0/1 value per sample and
  /// timestep): Masking, Embedding with mask_zero, or a layer passing the
  /// mask of its input on.
  bool masked = false;
};

/// The layer's shapes for one frame: `info` with the time axis of a
/// time-distributed layer dropped from its input and output shapes (`info`
/// itself for other layers). Parameters and emission work on these.
LayerInfo getFrameInfo(const LayerInfo &info);

/// `LayerInfo::inputs` entry naming model input `k` (negative, so that it
/// never collides with a layer index).
constexpr int64_t modelInputRef(size_t k) { return -1 - int64_t(k); }
/// `LayerInfo::inputs` entry naming the (first) model input.
constexpr int64_t modelInput = modelInputRef(0);
/// The model input a negative `LayerInfo::inputs` entry names.
constexpr size_t modelInputIndex(int64_t ref) { return size_t(-1 - ref); }

/// Whether the model has a layer that draws random numbers in training
/// (Dropout, SpatialDropout1D/2D, recurrent layers with dropout): its
/// training function then takes the random state.
bool hasRandomLayers(const std::vector<LayerInfo> &layers);

/// The result of analyzing a model description.
struct ModelAnalysis {
  /// Per-sample shape of each model input, in `ModelT::inputs` order.
  llvm::SmallVector<llvm::SmallVector<int64_t>, 1> inputShapes;
  /// Index of the layer whose output is each model output, in
  /// `ModelT::outputs` order.
  llvm::SmallVector<size_t, 1> outputLayers;
  /// Per-sample shape of each model output.
  llvm::SmallVector<llvm::SmallVector<int64_t>, 1> outputShapes;
  /// One entry per element of `ModelT::layers`, in the same order.
  std::vector<LayerInfo> layers;
  /// Sum of the layers' parameter counts.
  int64_t totalParams = 0;
};

/// The training configuration of model output `k`: `model.training` with
/// the loss, from_logits and metrics of `training.outputs[k]` when the
/// model has several outputs (after analyzeModel, which fills them in).
fb::TrainingT getOutputTraining(const fb::ModelT &model, size_t k);

/// The weight of model output `k`'s loss in the total (1 for one output).
float getOutputLossWeight(const fb::ModelT &model, size_t k);

/// The names under which the compiled model reports its metrics: the
/// training metrics for one output; for several, `<output>_loss` of each
/// output and then `<output>_<metric>` of each output's metrics.
std::vector<std::string> getReportedMetricNames(const fb::ModelT &model);

/// Checks `model`, fills in the defaults of absent fields (layer names,
/// activations, initializers, the training configuration and the
/// optimizer's hyperparameters, as docs/model-format.md lists them) and
/// infers the shapes. After success `model` is fully explicit: writing it
/// out and reading it back gives the same model. Errors read
/// `file: layers[2] (dense_1): message` or `file: training.loss: message`.
llvm::Expected<ModelAnalysis> analyzeModel(fb::ModelT &model,
                                           llvm::StringRef file);

/// Gives every unnamed layer the name Keras would: the snake_case class
/// name, suffixed `_1`, `_2`, ... to keep names unique.
void assignDefaultLayerNames(fb::ModelT &model);

/// Converts a Keras class name to the snake_case name Keras derives from
/// it: "GlorotUniform" -> "glorot_uniform", "Conv2D" -> "conv2d".
std::string toSnakeCase(llvm::StringRef className);

/// Names of the supported losses, optimizers and metrics, and lists of them
/// for messages ("sparse_categorical_crossentropy").
bool isSupportedLoss(llvm::StringRef name);
bool isSupportedOptimizer(llvm::StringRef name);
bool isSupportedMetric(llvm::StringRef name);
llvm::StringRef getSupportedLossesText();
llvm::StringRef getSupportedOptimizersText();
llvm::StringRef getSupportedMetricsText();

/// Returns the schema spelling of an activation or initializer ("relu",
/// "glorot_uniform").
llvm::StringRef getActivationName(ActivationKind kind);
llvm::StringRef getInitializerName(InitializerKind kind);

/// Parses a (schema spelling of an) initializer name.
std::optional<InitializerKind> parseInitializer(llvm::StringRef name);

} // namespace kiln

#endif // KILN_FRONTEND_MODELANALYSIS_H
