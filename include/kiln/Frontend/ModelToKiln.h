//===- ModelToKiln.h - Build the kiln module of a model ---------*- C++ -*-===//
//
// The one IR builder of the frontend: whatever file a model came from, its
// analyzed description becomes the same kiln module. See
// docs/model-format.md ("The kiln module") for the contract.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_MODELTOKILN_H
#define KILN_FRONTEND_MODELTOKILN_H

#include "kiln/Frontend/GanAnalysis.h"
#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/ModelDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace kiln {

/// Builds the kiln module of `model`, which `analyzeModel` must have
/// accepted (producing `analysis`): `@forward`, `@loss` and the `kiln.model`
/// module attribute. Locations name the file and the layer. Fails only if the
/// result does not verify, which would be a bug.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildKilnModule(const fb::ModelT &model, const ModelAnalysis &analysis,
                mlir::MLIRContext &context, llvm::StringRef file);

/// Builds the kiln module of a GAN (`model.gan`, which `loadGan` completed
/// into `gan`): `@forward` (the generator), `@discriminator_loss`,
/// `@generator_loss` and `kiln.model`. GanToKiln.cpp describes the
/// functions.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildGanModule(const fb::ModelT &model, const GanAnalysis &gan,
               mlir::MLIRContext &context, llvm::StringRef file);

} // namespace kiln

#endif // KILN_FRONTEND_MODELTOKILN_H
