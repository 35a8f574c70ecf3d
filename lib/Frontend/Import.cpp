//===- Import.cpp - Model file to kiln module -----------------------------===//

#include "kiln/Frontend/Import.h"
#include "kiln/Frontend/ModelLoader.h"
#include "kiln/Frontend/ModelToKiln.h"

#include "mlir/IR/MLIRContext.h"

using namespace llvm;

/// Builds the module of a loaded model, or reports why not in `error`.
static mlir::OwningOpRef<mlir::ModuleOp>
buildOrReport(Expected<kiln::LoadedModel> loaded, StringRef path,
              mlir::MLIRContext &context, std::string &error) {
  if (!loaded) {
    error = toString(loaded.takeError());
    return nullptr;
  }
  Expected<mlir::OwningOpRef<mlir::ModuleOp>> module = kiln::buildKilnModule(
      *loaded->description, loaded->analysis, context, path);
  if (!module) {
    error = toString(module.takeError());
    return nullptr;
  }
  return std::move(*module);
}

mlir::OwningOpRef<mlir::ModuleOp>
kiln::importModelFile(StringRef path, mlir::MLIRContext &context,
                      std::string &error,
                      const TrainingOverrides &overrides) {
  return buildOrReport(loadModelFile(path, overrides), path, context, error);
}

mlir::OwningOpRef<mlir::ModuleOp> kiln::importModel(StringRef contents,
                                                    StringRef path,
                                                    mlir::MLIRContext &context,
                                                    std::string &error) {
  return buildOrReport(loadModel(contents, path), path, context, error);
}
