//===- Import.h - Model file to kiln module ---------------------*- C++ -*-===//
//
// The frontend's entry point: a model description in any supported format
// becomes the kiln module that the rest of the compiler trains.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_IMPORT_H
#define KILN_FRONTEND_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "kiln/Frontend/TrainingOverrides.h"

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace kiln {

/// Reads a model description (Keras 2/3 JSON, Kiln schema JSON or binary
/// .kmodel; the format is detected from the content) and builds the kiln
/// module. On failure returns null and sets `error` to a one-line
/// `FILE: PLACE: message`.
/// `overrides` replace the file's loss and metrics.
mlir::OwningOpRef<mlir::ModuleOp>
importModelFile(llvm::StringRef path, mlir::MLIRContext &context,
                std::string &error, const TrainingOverrides &overrides = {});

/// Same from a buffer (path used in messages only).
mlir::OwningOpRef<mlir::ModuleOp> importModel(llvm::StringRef contents,
                                              llvm::StringRef path,
                                              mlir::MLIRContext &context,
                                              std::string &error);

} // namespace kiln

#endif // KILN_FRONTEND_IMPORT_H
