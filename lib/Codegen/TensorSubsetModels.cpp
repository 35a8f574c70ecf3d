//===- TensorSubsetModels.cpp - Slice subsets for One-Shot Bufferize ------===//
//
// One-Shot Bufferize lets `tensor.insert_slice %v into %t[...]` write in
// place when what it overwrites was read only through an equivalent
// `tensor.extract_slice %t[...]`. Proving two slices equivalent in general
// means comparing their offsets, sizes and strides with a constraint set
// that follows each value's bounds through the enclosing loops; for the
// tiled matmuls and elementwise nests of a training step that was over half
// of kilnc's time, although tiling names both slices of a pair with the very
// same SSA values. These models check that first and fall back to the
// general proof otherwise, so the answers are the same, only cheaper.
//
// tensor.parallel_insert_slice (scf.forall) gets no model: Kiln's pipelines
// do not produce it, and without one bufferization is only more cautious.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/TensorSubsetModels.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/SubsetOpInterface.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;

namespace kiln {
namespace {

/// Offsets, sizes and strides that are the same values or the same
/// constants, pairwise.
bool sameSliceOperands(OffsetSizeAndStrideOpInterface a,
                       OffsetSizeAndStrideOpInterface b) {
  return a.getMixedOffsets() == b.getMixedOffsets() &&
         a.getMixedSizes() == b.getMixedSizes() &&
         a.getMixedStrides() == b.getMixedStrides();
}

/// The subset questions of a slice op, with the syntactic shortcut.
template <typename ConcreteModel, typename SliceOp>
struct SliceSubsetModelBase
    : public SubsetOpInterface::ExternalModel<ConcreteModel, SliceOp> {
  FailureOr<HyperrectangularSlice>
  getAccessedHyperrectangularSlice(Operation *op) const {
    return HyperrectangularSlice(cast<OffsetSizeAndStrideOpInterface>(op));
  }

  bool operatesOnEquivalentSubset(
      Operation *op, SubsetOpInterface candidate,
      function_ref<bool(Value, Value)> equivalenceFn) const {
    auto slice = cast<OffsetSizeAndStrideOpInterface>(op);
    auto other =
        dyn_cast<OffsetSizeAndStrideOpInterface>(candidate.getOperation());
    if (other && sameSliceOperands(slice, other))
      return equivalenceFn(cast<SubsetOpInterface>(op).getTensorContainer(),
                           candidate.getTensorContainer());
    return detail::defaultOperatesOnEquivalentSubset(op, candidate,
                                                     equivalenceFn);
  }
};

struct ExtractSliceSubsetModel
    : public SliceSubsetModelBase<ExtractSliceSubsetModel,
                                  tensor::ExtractSliceOp> {};

struct InsertSliceSubsetModel
    : public SliceSubsetModelBase<InsertSliceSubsetModel,
                                  tensor::InsertSliceOp> {};

struct ExtractSliceExtractionModel
    : public SubsetExtractionOpInterface::ExternalModel<
          ExtractSliceExtractionModel, tensor::ExtractSliceOp> {
  OpOperand &getSourceOperand(Operation *op) const {
    return cast<tensor::ExtractSliceOp>(op).getSourceMutable();
  }
};

struct InsertSliceInsertionModel
    : public SubsetInsertionOpInterface::ExternalModel<
          InsertSliceInsertionModel, tensor::InsertSliceOp> {
  OpOperand &getSourceOperand(Operation *op) const {
    return cast<tensor::InsertSliceOp>(op).getSourceMutable();
  }

  OpOperand &getDestinationOperand(Operation *op) const {
    return cast<tensor::InsertSliceOp>(op).getDestMutable();
  }

  /// The slice of the destination that the insertion overwrites, typed as
  /// the inserted value (which may drop unit dimensions).
  Value buildSubsetExtraction(Operation *op, OpBuilder &builder,
                              Location loc) const {
    auto insert = cast<tensor::InsertSliceOp>(op);
    return tensor::ExtractSliceOp::create(
        builder, loc, insert.getSourceType(), insert.getDest(),
        insert.getMixedOffsets(), insert.getMixedSizes(),
        insert.getMixedStrides());
  }

  SmallVector<Value>
  getValuesNeededToBuildSubsetExtraction(Operation *op) const {
    auto insert = cast<tensor::InsertSliceOp>(op);
    SmallVector<Value> values = {insert.getDest()};
    llvm::append_range(values, insert.getOffsets());
    llvm::append_range(values, insert.getSizes());
    llvm::append_range(values, insert.getStrides());
    return values;
  }
};

} // namespace

void registerTensorSubsetModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, tensor::TensorDialect *) {
    tensor::ExtractSliceOp::attachInterface<ExtractSliceSubsetModel,
                                            ExtractSliceExtractionModel>(
        *context);
    tensor::InsertSliceOp::attachInterface<InsertSliceSubsetModel,
                                           InsertSliceInsertionModel>(*context);
  });
}

} // namespace kiln
