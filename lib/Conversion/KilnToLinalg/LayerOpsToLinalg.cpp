//===- LayerOpsToLinalg.cpp - Lower transpose, batch views, upsampling ----===//
//
// `kiln.transpose` becomes `linalg.transpose`; `kiln.batch_reshape` a
// `tensor.collapse_shape` or `tensor.expand_shape` (a view after
// bufferization); `kiln.upsample2d` a `linalg.broadcast` into
// `N×H×sh×W×sw×C` collapsed to `N×(H·sh)×(W·sw)×C`, so the repetition is
// one copy with plain indexing maps that the elementwise fusion and the
// vectorizer understand (no `floordiv` in a map).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::detail;

namespace {

/// Returns `value` as `type` when the two differ only in which extents are
/// static.
Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

struct TransposeLowering : public OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<Value> dynamic;
    for (auto [k, extent] : llvm::enumerate(resultType.getShape()))
      if (ShapedType::isDynamic(extent))
        dynamic.push_back(tensor::DimOp::create(rewriter, loc, input, perm[k]));
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType(), dynamic);
    auto transpose =
        linalg::TransposeOp::create(rewriter, loc, input, init, perm);
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

/// Folding collapses the leading group; unfolding expands it again, the
/// first extent being the folded one divided by the static extents.
struct BatchReshapeLowering : public OpConversionPattern<BatchReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    bool folds = inputType.getRank() > resultType.getRank();
    RankedTensorType wide = folds ? inputType : resultType;
    int64_t folded =
        wide.getRank() - (folds ? resultType : inputType).getRank();
    SmallVector<ReassociationIndices> groups = {
        llvm::to_vector(llvm::seq<int64_t>(0, folded + 1))};
    for (int64_t d = folded + 1; d < wide.getRank(); ++d)
      groups.push_back({d});
    if (folds) {
      Value collapsed =
          tensor::CollapseShapeOp::create(rewriter, loc, input, groups);
      rewriter.replaceOp(op, castTo(rewriter, loc, collapsed, resultType));
      return success();
    }
    int64_t factor = 1;
    for (int64_t extent : wide.getShape().slice(1, folded))
      factor *= extent;
    SmallVector<OpFoldResult> outputShape;
    if (resultType.isDynamicDim(0)) {
      Value rows = tensor::DimOp::create(rewriter, loc, input, 0);
      outputShape.push_back(
          arith::DivUIOp::create(
              rewriter, loc, rows,
              arith::ConstantIndexOp::create(rewriter, loc, factor))
              .getResult());
    } else {
      outputShape.push_back(rewriter.getIndexAttr(resultType.getDimSize(0)));
    }
    for (int64_t extent : resultType.getShape().drop_front())
      outputShape.push_back(rewriter.getIndexAttr(extent));
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, resultType, input,
                                                       groups, outputShape);
    return success();
  }
};

struct UpSample2DLowering : public OpConversionPattern<UpSample2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UpSample2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    ArrayRef<int64_t> in = inputType.getShape();
    ArrayRef<int64_t> size = op.getSize();
    SmallVector<int64_t> blocks = {in[0], in[1],   size[0],
                                   in[2], size[1], in[3]};
    Value init =
        emptyTensor(rewriter, loc, blocks, inputType.getElementType(), input);
    auto broadcast = linalg::BroadcastOp::create(rewriter, loc, input, init,
                                                 ArrayRef<int64_t>{2, 4});
    Value image = tensor::CollapseShapeOp::create(
        rewriter, loc, broadcast.getResult()[0],
        ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3, 4}, {5}});
    rewriter.replaceOp(op, castTo(rewriter, loc, image, op.getType()));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnLayerOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<TransposeLowering, BatchReshapeLowering, UpSample2DLowering>(
      patterns.getContext());
}
