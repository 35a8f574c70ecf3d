//===- KerasImporter.h - Keras JSON to the model description ----*- C++ -*-===//
//
// Translates Keras model JSON into Kiln's model description:
//  - Keras 2 `model.to_json()` (and the older list form of a Sequential
//    config), which carries no training configuration;
//  - the `config.json` of a Keras 3 `.keras` archive, including its
//    `compile_config`;
//  - the `model.json` of a TensorFlow.js layers model (`modelTopology`
//    with `model_config` and `training_config`).
// Missing keys take Keras's defaults. The result is not yet checked against
// what Kiln implements beyond what the JSON itself says: pass it to
// `analyzeModel`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_KERASIMPORTER_H
#define KILN_FRONTEND_KERASIMPORTER_H

#include "kiln/Frontend/ModelDescription.h"
#include "kiln/Frontend/TrainingOverrides.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace kiln {

/// Imports the Keras JSON text `contents`. `file` is used in messages, which
/// read `file: $.json.path: message` or `file: layers[2] (dense_1): message`.
/// The compile config's loss and metrics are not read where `overrides`
/// gives them (the caller applies those).
llvm::Expected<std::unique_ptr<fb::ModelT>>
importKerasModel(llvm::StringRef contents, llvm::StringRef file,
                 const TrainingOverrides &overrides = {});

} // namespace kiln

#endif // KILN_FRONTEND_KERASIMPORTER_H
