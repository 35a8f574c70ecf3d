//===- TensorSubsetModels.h - Slice subsets for One-Shot Bufferize -*- C++ -*-//
//
// The SubsetOpInterface models of tensor.extract_slice, tensor.insert_slice
// and tensor.parallel_insert_slice that Kiln registers in place of the
// tensor dialect's own. They answer the same questions, but recognize two
// slices named by the same offset, size and stride values at once; the
// general answer builds a Presburger constraint set through every enclosing
// loop's bounds, and One-Shot Bufferize asks it for each insertion of a tiled
// loop nest, so that it took most of kilnc's time.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_TENSORSUBSETMODELS_H
#define KILN_CODEGEN_TENSORSUBSETMODELS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// Registers the slice ops' subset models (instead of
/// mlir::tensor::registerSubsetOpInterfaceExternalModels).
void registerTensorSubsetModels(mlir::DialectRegistry &registry);

} // namespace kiln

#endif // KILN_CODEGEN_TENSORSUBSETMODELS_H
