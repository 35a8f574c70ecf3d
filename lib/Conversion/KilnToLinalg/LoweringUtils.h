//===- LoweringUtils.h - Helpers shared by the kiln lowerings ---*- C++ -*-===//
//
// Internal to KilnToLinalg: the destination-passing building blocks the
// lowering files other than KilnToLinalg.cpp share.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_KILNTOLINALG_LOWERINGUTILS_H
#define KILN_LIB_CONVERSION_KILNTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::kiln::detail {

using ScalarBodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

inline Value f32Const(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// An uninitialized tensor of `shape`; the dynamic extents (at most the
/// batch) are dimension 0 of `batchSource`.
inline Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Type elementType, Value batchSource) {
  SmallVector<Value> dynamic;
  for (int64_t extent : shape)
    if (ShapedType::isDynamic(extent))
      dynamic.push_back(tensor::DimOp::create(b, loc, batchSource, 0));
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamic);
}

inline Value fillTensor(OpBuilder &b, Location loc, Value dest, Value scalar) {
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{dest})
      .getResult(0);
}

/// A `linalg.generic` with one result; `body` maps the block arguments
/// (inputs, then the output element) to the yielded value.
inline Value genericOp(OpBuilder &b, Location loc, ValueRange inputs,
                       Value init, ArrayRef<AffineMap> maps,
                       ArrayRef<utils::IteratorType> iterators,
                       ScalarBodyFn body) {
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  return generic.getResult(0);
}

/// Elementwise map of same-shaped `inputs` into a tensor of their type.
inline Value elementwiseOp(OpBuilder &b, Location loc, ValueRange inputs,
                           ScalarBodyFn body) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(
      inputs.size() + 1,
      AffineMap::getMultiDimIdentityMap(rank, b.getContext()));
  Value init = emptyTensor(b, loc, type.getShape(), type.getElementType(),
                           inputs.front());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return genericOp(b, loc, inputs, init, maps, iterators, body);
}

} // namespace mlir::kiln::detail

namespace mlir::kiln {
/// Lowerings of convolution, pooling and dropout (WindowOpsToLinalg.cpp).
void populateKilnWindowOpsToLinalgPatterns(RewritePatternSet &patterns);
/// Lowerings of the activations beyond relu, sigmoid and tanh
/// (ActivationsToLinalg.cpp).
void populateKilnActivationsToLinalgPatterns(RewritePatternSet &patterns);
/// Lowerings of the dense-target losses and the metrics beyond sparse
/// categorical accuracy (LossesToLinalg.cpp).
void populateKilnLossesToLinalgPatterns(RewritePatternSet &patterns);
/// Lowerings of mul, slice, slice_grad and concat (TensorOpsToLinalg.cpp).
void populateKilnTensorOpsToLinalgPatterns(RewritePatternSet &patterns);
/// Lowerings of transpose, batch_reshape and upsample2d
/// (LayerOpsToLinalg.cpp).
void populateKilnLayerOpsToLinalgPatterns(RewritePatternSet &patterns);
/// Lowerings of the normalization ops (NormOpsToLinalg.cpp).
void populateKilnNormOpsToLinalgPatterns(RewritePatternSet &patterns);
} // namespace mlir::kiln

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_LOWERINGUTILS_H
