//===- Losses.h - The losses and metrics Kiln compiles ----------*- C++ -*-===//
//
// One place that knows every loss and metric: their Keras spellings, which
// targets they take (integer class indices or float targets of the output's
// shape), which output shapes they accept, and the kiln ops that compute
// them. The Keras importer, the analysis and the module builder all ask
// here, so adding a loss touches one file.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_LOSSES_H
#define KILN_FRONTEND_LOSSES_H

#include "kiln/Frontend/model_generated.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace kiln {

/// The schema name of a loss given any Keras spelling of it: function name,
/// alias ("mse", "huber_loss") or class name ("MeanSquaredError").
/// std::nullopt when Kiln does not implement it.
std::optional<std::string> canonicalLossName(llvm::StringRef keras);

/// The schema name of a metric given a Keras spelling (a function name,
/// alias or class name); metrics keep the name they were given, since Keras
/// reports them under it, so this only checks.
bool isKnownMetric(llvm::StringRef name);

/// True when the loss takes float targets of the output's shape rather
/// than integer class indices.
bool usesDenseTargets(llvm::StringRef loss);

/// The supported losses and metrics, for messages.
llvm::StringRef getLossNamesText();
llvm::StringRef getMetricNamesText();

/// What does not fit: the description's field and the message; an empty
/// message when everything fits.
struct LossProblem {
  std::string field;
  std::string message;
};

/// Checks that the loss and metrics of `training` fit a model whose
/// per-sample output has `outputShape`.
LossProblem checkLossAndMetrics(const fb::TrainingT &training,
                                llvm::ArrayRef<int64_t> outputShape);

/// Emits the loss of `output` against `targets` (class indices or dense
/// targets, per usesDenseTargets), applying from_logits as Keras does.
mlir::Value emitLoss(mlir::OpBuilder &builder, mlir::Location loc,
                     const fb::TrainingT &training, mlir::Value output,
                     mlir::Value targets);

/// Emits metric `name` of `output` against `targets`.
mlir::Value emitMetric(mlir::OpBuilder &builder, mlir::Location loc,
                       const fb::TrainingT &training, llvm::StringRef name,
                       mlir::Value output, mlir::Value targets);

} // namespace kiln

#endif // KILN_FRONTEND_LOSSES_H
