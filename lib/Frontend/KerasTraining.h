//===- KerasTraining.h - Keras compile config to Training -------*- C++ -*-===//
//
// Internal to the frontend: reads what Keras's `compile` recorded (the
// `compile_config` of a Keras 3 archive, or the `training_config` of Keras 2
// and TensorFlow.js files) into the description's Training table.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_KERASTRAINING_H
#define KILN_LIB_FRONTEND_KERASTRAINING_H

#include "JsonReader.h"

#include "kiln/Frontend/ModelDescription.h"
#include "kiln/Frontend/TrainingOverrides.h"

namespace kiln {

/// Fills `training` from the compile configuration at `config` (an object).
/// Fields Keras does not record (epochs, batch size) keep their defaults.
/// The loss and metrics that `overrides` gives are not read (a custom
/// Python loss there is then no error).
llvm::Error importKerasTraining(const JsonReader &reader,
                                const JsonNode &config,
                                fb::TrainingT &training,
                                const TrainingOverrides &overrides = {});

} // namespace kiln

#endif // KILN_LIB_FRONTEND_KERASTRAINING_H
