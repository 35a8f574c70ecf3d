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

inline Value i64Const(OpBuilder &b, Location loc, uint64_t value) {
  return arith::ConstantOp::create(
      b, loc, b.getI64IntegerAttr(static_cast<int64_t>(value)));
}

inline Value i32Const(OpBuilder &b, Location loc, uint32_t value) {
  return arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(static_cast<int32_t>(value)));
}

/// splitmix64's finalizer: a bijective mix of all 64 bits.
inline Value mix64(OpBuilder &b, Location loc, Value z) {
  auto step = [&](Value v, int64_t shift, uint64_t multiplier) -> Value {
    Value shifted = arith::ShRUIOp::create(b, loc, v, i64Const(b, loc, shift));
    Value x = arith::XOrIOp::create(b, loc, v, shifted);
    return arith::MulIOp::create(b, loc, x, i64Const(b, loc, multiplier));
  };
  z = step(z, 30, 0xBF58476D1CE4E5B9ull);
  z = step(z, 27, 0x94D049BB133111EBull);
  return arith::XOrIOp::create(
      b, loc, z, arith::ShRUIOp::create(b, loc, z, i64Const(b, loc, 31)));
}

/// MurmurHash3's 32-bit finalizer; 32-bit lanes keep the mask vectorizable.
inline Value mix32(OpBuilder &b, Location loc, Value h) {
  auto xorShift = [&](Value v, int32_t shift) -> Value {
    return arith::XOrIOp::create(
        b, loc, v, arith::ShRUIOp::create(b, loc, v, i32Const(b, loc, shift)));
  };
  h = xorShift(h, 16);
  h = arith::MulIOp::create(b, loc, h, i32Const(b, loc, 0x85EBCA6Bu));
  h = xorShift(h, 13);
  h = arith::MulIOp::create(b, loc, h, i32Const(b, loc, 0xC2B2AE35u));
  return xorShift(h, 16);
}

/// The 64-bit key of one random op's draws in a step: mix64(seed ^ step ·
/// c₁ ^ (stream + 1) · c₂) with `rng` = {seed, step}. Dropout and the image
/// augmentation ops hash their element or image indices with its halves.
inline Value rngKey(OpBuilder &b, Location loc, Value rng, int64_t stream) {
  Value seed = tensor::ExtractOp::create(
      b, loc, rng, ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
  Value step = tensor::ExtractOp::create(
      b, loc, rng, ValueRange{arith::ConstantIndexOp::create(b, loc, 1)});
  uint64_t salt = static_cast<uint64_t>(stream) + 1;
  Value key = arith::XOrIOp::create(
      b, loc, seed,
      arith::MulIOp::create(b, loc, step,
                            i64Const(b, loc, 0xD1B54A32D192ED03ull)));
  key = arith::XOrIOp::create(b, loc, key,
                              i64Const(b, loc, salt * 0x9E3779B97F4A7C15ull));
  return mix64(b, loc, key);
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
/// Lowerings of image_transform, its gradient and the random transforms
/// (ImageOpsToLinalg.cpp).
void populateKilnImageOpsToLinalgPatterns(RewritePatternSet &patterns);
} // namespace mlir::kiln

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_LOWERINGUTILS_H
