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

namespace kiln {

/// Fills `training` from the compile configuration at `config` (an object).
/// Fields Keras does not record (epochs, batch size) keep their defaults.
llvm::Error importKerasTraining(const JsonReader &reader,
                                const JsonNode &config,
                                fb::TrainingT &training);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_KERASTRAINING_H
