//===- Losses.cpp - The losses and metrics Kiln compiles ------------------===//
//
// Keras resolves "accuracy" by the loss (binary cross-entropy: binary
// accuracy; categorical: categorical accuracy; sparse: sparse categorical
// accuracy) and, for the other losses, by the output: one unit means binary
// accuracy, more mean categorical accuracy. Kiln does the same so that the
// number under "accuracy" means what Keras would print.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/Losses.h"
#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/TrainingOverrides.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "llvm/ADT/StringSwitch.h"

using namespace ::kiln;
using llvm::StringRef;
using mlir::Value;
namespace kd = mlir::kiln;

std::optional<std::string> kiln::canonicalLossName(StringRef keras) {
  // Aliases first: toSnakeCase would split the capitals of "MSE".
  std::string name = llvm::StringSwitch<std::string>(keras)
                         .Cases({"mse", "MSE"}, "mean_squared_error")
                         .Cases({"mae", "MAE"}, "mean_absolute_error")
                         .Cases({"huber_loss", "Huber"}, "huber")
                         .Default(toSnakeCase(keras));
  if (llvm::is_contained({"sparse_categorical_crossentropy",
                          "categorical_crossentropy", "binary_crossentropy",
                          "mean_squared_error", "mean_absolute_error", "huber"},
                         name))
    return name;
  return std::nullopt;
}

bool kiln::isKnownMetric(StringRef name) {
  return llvm::is_contained(
      {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
       "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
       "mse", "mean_squared_error", "mae", "mean_absolute_error"},
      name);
}

bool kiln::usesDenseTargets(StringRef loss) {
  return loss != "sparse_categorical_crossentropy";
}

StringRef kiln::getLossNamesText() {
  return "sparse_categorical_crossentropy, categorical_crossentropy, "
         "binary_crossentropy, mean_squared_error (mse), "
         "mean_absolute_error (mae) or huber";
}

StringRef kiln::getMetricNamesText() {
  return "accuracy (acc), binary_accuracy, categorical_accuracy, "
         "sparse_categorical_accuracy, sparse_top_k_categorical_accuracy, "
         "mse (mean_squared_error) or mae (mean_absolute_error)";
}

namespace {

/// The metric op a metric name stands for, given the loss and output.
enum class MetricKind {
  Binary,
  Categorical,
  Sparse,
  SparseTopK,
  MeanSquaredError,
  MeanAbsoluteError
};

MetricKind metricKind(StringRef name, const fb::TrainingT &training,
                      int64_t outputUnits) {
  if (name == "accuracy" || name == "acc") {
    StringRef loss = training.loss;
    if (loss == "sparse_categorical_crossentropy")
      return MetricKind::Sparse;
    if (loss == "binary_crossentropy")
      return MetricKind::Binary;
    if (loss == "categorical_crossentropy")
      return MetricKind::Categorical;
    return outputUnits == 1 ? MetricKind::Binary : MetricKind::Categorical;
  }
  return llvm::StringSwitch<MetricKind>(name)
      .Case("binary_accuracy", MetricKind::Binary)
      .Case("categorical_accuracy", MetricKind::Categorical)
      .Case("sparse_categorical_accuracy", MetricKind::Sparse)
      .Case("sparse_top_k_categorical_accuracy", MetricKind::SparseTopK)
      .Cases({"mse", "mean_squared_error"}, MetricKind::MeanSquaredError)
      .Default(MetricKind::MeanAbsoluteError);
}

bool isSparseMetric(MetricKind kind) {
  return kind == MetricKind::Sparse || kind == MetricKind::SparseTopK;
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, extent] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(extent);
  return text + "]";
}

} // namespace

LossProblem kiln::checkLossAndMetrics(const fb::TrainingT &training,
                                      llvm::ArrayRef<int64_t> outputShape) {
  StringRef loss = training.loss;
  bool categorical = loss == "sparse_categorical_crossentropy" ||
                     loss == "categorical_crossentropy";
  if (categorical && outputShape.size() != 1)
    return {"training.loss",
            loss.str() +
                " expects the model to output a vector of class scores per "
                "sample, got shape " +
                formatShape(outputShape)};
  if (outputShape.empty())
    return {"training.loss", loss.str() + " expects a per-sample output of "
                                          "rank >= 1, got a scalar"};
  if (loss == "huber" && !(training.huber_delta > 0.0f))
    return {"training.huber_delta",
            "expected delta > 0, got " + std::to_string(training.huber_delta)};
  int64_t units = outputShape.back();
  for (auto [i, metric] : llvm::enumerate(training.metrics)) {
    std::string field = "training.metrics[" + std::to_string(i) + "]";
    if (!isKnownMetric(metric))
      continue; // Reported by the caller, naming the metric's index.
    MetricKind kind = metricKind(metric, training, units);
    // Sparse metrics read class indices, the others dense targets: the
    // data has one form.
    if (isSparseMetric(kind) == usesDenseTargets(loss))
      return {field,
              "metric '" + metric + "' expects " +
                  (isSparseMetric(kind) ? "integer class labels"
                                        : "targets of the output's shape") +
                  ", but loss " + loss.str() + " takes " +
                  (usesDenseTargets(loss) ? "targets of the output's shape"
                                          : "integer class labels")};
    bool needsClasses = kind == MetricKind::Categorical ||
                        kind == MetricKind::Sparse ||
                        kind == MetricKind::SparseTopK;
    if (needsClasses && outputShape.size() != 1)
      return {field, "metric '" + metric +
                         "' expects the model to output a vector of class "
                         "scores per sample, got shape " +
                         formatShape(outputShape)};
    if (kind == MetricKind::SparseTopK && training.top_k < 1)
      return {"training.top_k",
              "expected k >= 1, got " + std::to_string(training.top_k)};
  }
  return {};
}

Value kiln::emitLoss(mlir::OpBuilder &b, mlir::Location loc,
                     const fb::TrainingT &training, Value output,
                     Value targets) {
  auto scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  StringRef loss = training.loss;
  // With from_logits the model outputs logits: the loss applies the
  // activation itself, and kiln-fuse turns the pair into the fused op.
  if (loss == "sparse_categorical_crossentropy") {
    Value probs = training.from_logits
                      ? kd::SoftmaxOp::create(b, loc, output).getResult()
                      : output;
    return kd::SparseCategoricalCrossentropyOp::create(b, loc, scalar, probs,
                                                       targets);
  }
  if (loss == "categorical_crossentropy") {
    Value probs = training.from_logits
                      ? kd::SoftmaxOp::create(b, loc, output).getResult()
                      : output;
    return kd::CategoricalCrossentropyOp::create(b, loc, scalar, probs,
                                                 targets);
  }
  if (loss == "binary_crossentropy") {
    Value probs = training.from_logits
                      ? kd::SigmoidOp::create(b, loc, output).getResult()
                      : output;
    return kd::BinaryCrossentropyOp::create(b, loc, scalar, probs, targets);
  }
  if (loss == "mean_absolute_error")
    return kd::MeanAbsoluteErrorOp::create(b, loc, scalar, output, targets);
  if (loss == "huber")
    return kd::HuberOp::create(b, loc, scalar, output, targets,
                               b.getF32FloatAttr(training.huber_delta));
  return kd::MeanSquaredErrorOp::create(b, loc, scalar, output, targets);
}

Value kiln::emitMetric(mlir::OpBuilder &b, mlir::Location loc,
                       const fb::TrainingT &training, StringRef name,
                       Value output, Value targets) {
  auto scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  auto outputType = mlir::cast<mlir::RankedTensorType>(output.getType());
  switch (metricKind(name, training, outputType.getShape().back())) {
  case MetricKind::Binary:
    // Keras thresholds what the model outputs: with from_logits that is a
    // logit, and 0.5 is still the threshold it applies.
    return kd::BinaryAccuracyOp::create(b, loc, scalar, output, targets,
                                        b.getF32FloatAttr(0.5f));
  case MetricKind::Categorical:
    return kd::CategoricalAccuracyOp::create(b, loc, scalar, output, targets);
  case MetricKind::Sparse:
    // Arg-max is the same on logits and probabilities.
    return kd::SparseCategoricalAccuracyOp::create(b, loc, scalar, output,
                                                   targets);
  case MetricKind::SparseTopK:
    return kd::SparseTopKCategoricalAccuracyOp::create(
        b, loc, scalar, output, targets, b.getI64IntegerAttr(training.top_k));
  case MetricKind::MeanSquaredError:
    return kd::MeanSquaredErrorOp::create(b, loc, scalar, output, targets);
  case MetricKind::MeanAbsoluteError:
    return kd::MeanAbsoluteErrorOp::create(b, loc, scalar, output, targets);
  }
  llvm_unreachable("unknown metric kind");
}

llvm::Error kiln::applyTrainingOverrides(const TrainingOverrides &overrides,
                                         fb::ModelT &model, StringRef file) {
  if (!overrides.loss && !overrides.metrics)
    return llvm::Error::success();
  if (!model.training) {
    model.training = std::make_unique<fb::TrainingT>();
    model.training->metrics = {"accuracy"};
  }
  fb::TrainingT &training = *model.training;
  if (overrides.loss) {
    std::optional<std::string> loss = canonicalLossName(*overrides.loss);
    if (!loss)
      return makeFrontendError(file, "--loss",
                               "unknown loss '" + *overrides.loss +
                                   "'; expected " + getLossNamesText());
    training.loss = *loss;
  }
  if (overrides.metrics) {
    for (const std::string &metric : *overrides.metrics)
      if (!isKnownMetric(metric))
        return makeFrontendError(file, "--metrics",
                                 "unknown metric '" + metric + "'; expected " +
                                     getMetricNamesText());
    training.metrics = *overrides.metrics;
  }
  return llvm::Error::success();
}
