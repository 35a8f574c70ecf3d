//===- ModelLoader.h - Any model file to a checked description --*- C++ -*-===//
//
// Detects the format of a model file, reads or imports it into the model
// description and analyzes it. `importModel` builds IR from the result;
// `kilnc --emit=kmodel` writes the description itself with `writeKModel`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_MODELLOADER_H
#define KILN_FRONTEND_MODELLOADER_H

#include "kiln/Frontend/FormatDetection.h"
#include "kiln/Frontend/GanAnalysis.h"
#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/ModelDescription.h"
#include "kiln/Frontend/TrainingOverrides.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace kiln {

/// A model description that `analyzeModel` accepted, with its analysis.
struct LoadedModel {
  /// The format the file was in.
  ModelFormat format;
  /// The description, with every default filled in.
  std::unique_ptr<fb::ModelT> description;
  ModelAnalysis analysis;
  /// For a GAN (`description->gan` set): both networks' analyses; then
  /// `analysis` is empty.
  std::shared_ptr<GanAnalysis> gan;
};

/// Reads the model description in `contents` (any supported format) and
/// analyzes it. `file` is used in messages.
/// `overrides` replace the file's loss and metrics (kilnc --loss,
/// --metrics).
llvm::Expected<LoadedModel>
loadModel(llvm::StringRef contents, llvm::StringRef file,
          const TrainingOverrides &overrides = {});

/// Same, reading the file at `path` ("-" reads standard input).
llvm::Expected<LoadedModel>
loadModelFile(llvm::StringRef path, const TrainingOverrides &overrides = {});

/// Reads the model description in `contents` without analyzing it.
llvm::Expected<std::unique_ptr<fb::ModelT>>
readModelDescription(llvm::StringRef contents, llvm::StringRef file,
                     ModelFormat format,
                     const TrainingOverrides &overrides = {});

} // namespace kiln

#endif // KILN_FRONTEND_MODELLOADER_H
