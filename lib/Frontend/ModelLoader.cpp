//===- ModelLoader.cpp - Any model file to a checked description ----------===//

#include "kiln/Frontend/ModelLoader.h"
#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/KerasImporter.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;
using namespace kiln;

Expected<std::unique_ptr<fb::ModelT>>
kiln::readModelDescription(StringRef contents, StringRef file,
                           ModelFormat format,
                           const TrainingOverrides &overrides) {
  switch (format) {
  case ModelFormat::KModel:
    return readKModel(contents, file);
  case ModelFormat::ModelJson:
    return parseModelJson(contents, file);
  case ModelFormat::KerasJson:
    return importKerasModel(contents, file, overrides);
  case ModelFormat::Unknown:
    if (contents.ltrim(" \t\r\n").empty())
      return makeFrontendError(file, "contents", "empty model file");
    return makeFrontendError(
        file, "contents",
        "unrecognized model format; expected Keras JSON (an object with "
        "class_name and config), Kiln schema JSON (an object with inputs, "
        "layers and training) or a binary .kmodel");
  }
  llvm_unreachable("unknown model format");
}

Expected<LoadedModel> kiln::loadModel(StringRef contents, StringRef file,
                                      const TrainingOverrides &overrides) {
  LoadedModel loaded;
  loaded.format = detectModelFormat(contents);
  Expected<std::unique_ptr<fb::ModelT>> description =
      readModelDescription(contents, file, loaded.format, overrides);
  if (!description)
    return description.takeError();
  loaded.description = std::move(*description);
  if (Error err =
          applyTrainingOverrides(overrides, *loaded.description, file))
    return std::move(err);
  if (loaded.description->gan) {
    if (!loaded.description->training)
      loaded.description->training = std::make_unique<fb::TrainingT>();
    Expected<GanAnalysis> gan = loadGan(*loaded.description, file);
    if (!gan)
      return gan.takeError();
    loaded.gan = std::make_shared<GanAnalysis>(std::move(*gan));
    return std::move(loaded);
  }
  Expected<ModelAnalysis> analysis = analyzeModel(*loaded.description, file);
  if (!analysis)
    return analysis.takeError();
  loaded.analysis = std::move(*analysis);
  return std::move(loaded);
}

Expected<LoadedModel> kiln::loadModelFile(StringRef path,
                                          const TrainingOverrides &overrides) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError())
    return makeFrontendError(path, "file", "cannot read: " + ec.message());
  return loadModel((*buffer)->getBuffer(), path, overrides);
}
