//===- TensorOpsToLinalg.cpp - Lower mul, slice and concat ----------------===//
//
// `kiln.mul` becomes an elementwise `linalg.generic`; slices and
// concatenations become `tensor.extract_slice` / `tensor.insert_slice`, which
// bufferize to subviews and copies into one destination, so a slice is never
// a copy of its own.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::detail;

namespace {

struct MulLowering : public OpConversionPattern<MulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto type = cast<RankedTensorType>(lhs.getType());
    int64_t rank = type.getRank();
    int64_t rhsRank = cast<RankedTensorType>(rhs.getType()).getRank();
    MLIRContext *ctx = rewriter.getContext();
    // The broadcast operand reads the trailing dimensions it has.
    SmallVector<AffineExpr> rhsExprs;
    for (int64_t d = rank - rhsRank; d < rank; ++d)
      rhsExprs.push_back(getAffineDimExpr(d, ctx));
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<AffineMap> maps = {
        identity, AffineMap::get(rank, 0, rhsExprs, ctx), identity};
    Value init =
        emptyTensor(rewriter, loc, type.getShape(), type.getElementType(), lhs);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    rewriter.replaceOp(
        op, genericOp(rewriter, loc, {lhs, rhs}, init, maps, iterators,
                      [](OpBuilder &b, Location loc, ValueRange args) {
                        return arith::MulFOp::create(b, loc, args[0], args[1])
                            .getResult();
                      }));
    return success();
  }
};

/// Offsets, sizes and unit strides of the slice {dim, offset} of `whole`
/// that has the type `part` (of the same rank, or without `dim`). Dynamic
/// extents (the batch) are read from `wholeValue`.
static void sliceBounds(OpBuilder &b, Location loc, Value wholeValue,
                        RankedTensorType part, int64_t dim, int64_t offset,
                        SmallVectorImpl<OpFoldResult> &offsets,
                        SmallVectorImpl<OpFoldResult> &sizes,
                        SmallVectorImpl<OpFoldResult> &strides) {
  auto whole = cast<RankedTensorType>(wholeValue.getType());
  bool dropsDim = part.getRank() < whole.getRank();
  for (int64_t i = 0; i < whole.getRank(); ++i) {
    offsets.push_back(b.getIndexAttr(i == dim ? offset : 0));
    strides.push_back(b.getIndexAttr(1));
    if (i == dim) {
      sizes.push_back(b.getIndexAttr(dropsDim ? 1 : part.getDimSize(dim)));
    } else if (whole.isDynamicDim(i)) {
      sizes.push_back(tensor::DimOp::create(b, loc, wholeValue, i).getResult());
    } else {
      sizes.push_back(b.getIndexAttr(whole.getDimSize(i)));
    }
  }
}

struct SliceLowering : public OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    sliceBounds(rewriter, op.getLoc(), adaptor.getInput(), op.getType(),
                op.getDim(), op.getOffset(), offsets, sizes, strides);
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType(), adaptor.getInput(), offsets, sizes, strides);
    return success();
  }
};

/// Zeros of the input type with the gradient inserted where the slice read.
struct SliceGradLowering : public OpConversionPattern<SliceGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    // A static result (a parameter's gradient) starts from a constant: a
    // filled `tensor.empty` of a static shape is merged by CSE with the
    // other zero fills of that shape (matmul accumulators, out-parameters),
    // and the buffers of the merged values were seen to alias wrongly.
    Value zeros =
        type.hasStaticShape()
            ? arith::ConstantOp::create(
                  rewriter, loc, type,
                  DenseElementsAttr::get(type, rewriter.getF32FloatAttr(0.0f)))
                  .getResult()
            : fillTensor(rewriter, loc,
                         emptyTensor(rewriter, loc, type.getShape(),
                                     type.getElementType(), adaptor.getGrad()),
                         f32Const(rewriter, loc, 0.0f));
    // A slice that dropped `dim` is given back its unit dimension first: a
    // rank-reducing insert vectorizes to a lower-rank write into the
    // destination, and the copy of the zeros before such a write was seen
    // to be dropped later in the pipeline.
    Value grad = adaptor.getGrad();
    auto gradType = cast<RankedTensorType>(grad.getType());
    int64_t dim = op.getDim();
    if (gradType.getRank() < type.getRank()) {
      SmallVector<int64_t> shape(gradType.getShape());
      shape.insert(shape.begin() + dim, 1);
      SmallVector<ReassociationIndices> groups;
      for (int64_t i = 0; i < gradType.getRank(); ++i) {
        int64_t first = i < dim ? i : i + 1;
        groups.push_back({first});
      }
      // The unit dimension joins the next group (or the last one).
      if (dim < gradType.getRank())
        groups[dim].insert(groups[dim].begin(), dim);
      else
        groups.back().push_back(dim);
      SmallVector<OpFoldResult> outputShape;
      for (int64_t i = 0, e = shape.size(); i < e; ++i)
        outputShape.push_back(
            ShapedType::isDynamic(shape[i])
                ? OpFoldResult(tensor::DimOp::create(rewriter, loc, grad,
                                                     i < dim ? i : i - 1)
                                   .getResult())
                : OpFoldResult(rewriter.getIndexAttr(shape[i])));
      grad = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
          grad, groups, outputShape);
    }
    SmallVector<OpFoldResult> offsets, sizes, strides;
    sliceBounds(rewriter, loc, zeros, cast<RankedTensorType>(grad.getType()),
                dim, op.getOffset(), offsets, sizes, strides);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(op, grad, zeros, offsets,
                                                       sizes, strides);
    return success();
  }
};

/// Inserts the inputs one after another into one destination.
struct ConcatLowering : public OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value result = emptyTensor(rewriter, loc, type.getShape(),
                               type.getElementType(), adaptor.getInputs()[0]);
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides;
      sliceBounds(rewriter, loc, result, inputType, op.getDim(), offset,
                  offsets, sizes, strides);
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset += inputType.getDimSize(op.getDim());
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnTensorOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MulLowering, SliceLowering, SliceGradLowering, ConcatLowering>(
      patterns.getContext());
}
