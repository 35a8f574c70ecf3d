//===- TrainingOverrides.h - Loss and metrics chosen on the command line -===//
//
// `kilnc --loss NAME --metrics NAMES` replace what the model file's
// training configuration says, before it is checked: a Keras file whose
// compile_config names a custom Python loss compiles with a built-in one
// without editing the file.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_TRAININGOVERRIDES_H
#define KILN_FRONTEND_TRAININGOVERRIDES_H

#include "kiln/Frontend/ModelDescription.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct TrainingOverrides {
  /// A Keras loss name or alias ("mse", "binary_crossentropy").
  std::optional<std::string> loss;
  /// Keras metric names, reported under these names; may be empty.
  std::optional<std::vector<std::string>> metrics;
};

/// Replaces the loss and metrics of `model` by the overrides given,
/// creating the training table when the model has none. The names are
/// checked here; `file` names the model in messages.
llvm::Error applyTrainingOverrides(const TrainingOverrides &overrides,
                                   fb::ModelT &model, llvm::StringRef file);

} // namespace kiln

#endif // KILN_FRONTEND_TRAININGOVERRIDES_H
