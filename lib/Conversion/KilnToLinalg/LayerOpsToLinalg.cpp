//===- LayerOpsToLinalg.cpp - Lower transpose, batch views, upsampling ----===//
//
// `kiln.transpose` becomes `linalg.transpose`; `kiln.batch_reshape` a
// `tensor.collapse_shape` or `tensor.expand_shape` (a view after
// bufferization); `kiln.upsample2d` a `linalg.broadcast` into
// `N×H×sh×W×sw×C` collapsed to `N×(H·sh)×(W·sw)×C`, so the repetition is
// one copy with plain indexing maps that the elementwise fusion and the
// vectorizer understand (no `floordiv` in a map). `kiln.embedding` is a
// generic that gathers with `tensor.extract`; its gradient is an `scf.for`
// over the index positions adding each gradient row into its table row in
// place (O(positions · width), not O(table · positions)).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// Whether the float index `x` names one of `rows` table rows once
/// truncated toward zero: -1 < x < rows (NaN fails both comparisons). The
/// analysis keeps `rows` below 2^24, so `rows` is exact in f32.
Value isRowIndex(OpBuilder &b, Location loc, Value x, int64_t rows) {
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                      f32Const(b, loc, -1.0f));
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      f32Const(b, loc, float(rows)));
  return arith::AndIOp::create(b, loc, above, below);
}

/// The row `x` names, or row 0 when it names none: always in bounds, so
/// invalid indices are masked rather than branched around.
Value rowIndex(OpBuilder &b, Location loc, Value x, Value valid) {
  Value safe = arith::SelectOp::create(b, loc, valid, x, f32Const(b, loc, 0));
  Value row = arith::FPToSIOp::create(b, loc, b.getI32Type(), safe);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), row);
}

struct EmbeddingLowering : public OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value indices = adaptor.getIndices(), table = adaptor.getTable();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    int64_t rows = cast<RankedTensorType>(table.getType()).getDimSize(0);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value init = emptyTensor(rewriter, loc, type.getShape(),
                             type.getElementType(), indices);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    rewriter.replaceOp(
        op,
        genericOp(rewriter, loc, indices, init, {id.dropResult(rank - 1), id},
                  iterators, [&](OpBuilder &b, Location nloc, ValueRange args) {
                    Value valid = isRowIndex(b, nloc, args[0], rows);
                    Value row = rowIndex(b, nloc, args[0], valid);
                    Value col = linalg::IndexOp::create(b, nloc, rank - 1);
                    Value v = tensor::ExtractOp::create(b, nloc, table,
                                                        ValueRange{row, col});
                    return arith::SelectOp::create(b, nloc, valid, v,
                                                   f32Const(b, nloc, 0))
                        .getResult();
                  }));
    return success();
  }
};

struct EmbeddingGradLowering : public OpConversionPattern<EmbeddingGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EmbeddingGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value indices = adaptor.getIndices(), grad = adaptor.getGrad();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rows = type.getDimSize(0), width = type.getDimSize(1);
    // One list of positions: indices [N], gradient rows [N, D].
    int64_t rank = cast<RankedTensorType>(indices.getType()).getRank();
    if (rank > 1) {
      ReassociationIndices all = llvm::to_vector(llvm::seq<int64_t>(0, rank));
      indices = tensor::CollapseShapeOp::create(
          b, loc, indices, ArrayRef<ReassociationIndices>{all});
      grad = tensor::CollapseShapeOp::create(
          b, loc, grad, ArrayRef<ReassociationIndices>{all, {rank}});
    }
    Value zero = f32Const(b, loc, 0);
    Value table = fillTensor(
        b, loc,
        tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type()), zero);
    Value count = tensor::DimOp::create(b, loc, indices, 0);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<OpFoldResult> rowSizes = {b.getIndexAttr(1),
                                          b.getIndexAttr(width)};
    SmallVector<OpFoldResult> unitStrides = {b.getIndexAttr(1),
                                             b.getIndexAttr(1)};
    auto loop = scf::ForOp::create(
        b, loc, c0, count, c1, ValueRange{table},
        [&](OpBuilder &nb, Location nloc, Value i, ValueRange acc) {
          Value x = tensor::ExtractOp::create(nb, nloc, indices, ValueRange{i});
          Value valid = isRowIndex(nb, nloc, x, rows);
          Value row = rowIndex(nb, nloc, x, valid);
          SmallVector<OpFoldResult> at = {row, nb.getIndexAttr(0)};
          SmallVector<OpFoldResult> from = {i, nb.getIndexAttr(0)};
          Value src = tensor::ExtractSliceOp::create(nb, nloc, grad, from,
                                                     rowSizes, unitStrides);
          Value dst = tensor::ExtractSliceOp::create(nb, nloc, acc[0], at,
                                                     rowSizes, unitStrides);
          // Accumulates into the table row itself (its slice is the
          // generic's output), so the update bufferizes in place.
          AffineMap id = AffineMap::getMultiDimIdentityMap(2, nb.getContext());
          Value sum = genericOp(
              nb, nloc, src, dst, {id, id},
              {utils::IteratorType::parallel, utils::IteratorType::parallel},
              [&](OpBuilder &bb, Location bloc, ValueRange args) {
                Value add = arith::SelectOp::create(bb, bloc, valid, args[0],
                                                    f32Const(bb, bloc, 0));
                return arith::AddFOp::create(bb, bloc, args[1], add)
                    .getResult();
              });
          Value updated = tensor::InsertSliceOp::create(
              nb, nloc, sum, acc[0], at, rowSizes, unitStrides);
          scf::YieldOp::create(nb, nloc, updated);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// One generic over the result's axes and the input's last: `max` of the
/// comparisons (0 or 1) reduced over the input's last axis, written to
/// every element of the result's.
struct AnyNotEqualLowering : public OpConversionPattern<AnyNotEqualOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AnyNotEqualOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    // Loop dims: the result's axes, then the input's last axis (reduced).
    SmallVector<AffineExpr> inputExprs, resultExprs;
    for (int64_t d = 0; d + 1 < rank; ++d) {
      inputExprs.push_back(getAffineDimExpr(d, ctx));
      resultExprs.push_back(getAffineDimExpr(d, ctx));
    }
    inputExprs.push_back(getAffineDimExpr(rank, ctx));
    resultExprs.push_back(getAffineDimExpr(rank - 1, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank + 1, 0, inputExprs, ctx),
        AffineMap::get(rank + 1, 0, resultExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value init = fillTensor(rewriter, loc,
                            emptyTensor(rewriter, loc, type.getShape(),
                                        type.getElementType(), input),
                            f32Const(rewriter, loc, 0));
    float value = op.getValue().convertToFloat();
    rewriter.replaceOp(
        op, genericOp(rewriter, loc, input, init, maps, iterators,
                      [&](OpBuilder &b, Location nloc, ValueRange args) {
                        // Unordered: a NaN differs from every value.
                        Value differs = arith::CmpFOp::create(
                            b, nloc, arith::CmpFPredicate::UNE, args[0],
                            f32Const(b, nloc, value));
                        Value one = arith::SelectOp::create(
                            b, nloc, differs, f32Const(b, nloc, 1),
                            f32Const(b, nloc, 0));
                        return arith::MaximumFOp::create(b, nloc, args[1], one)
                            .getResult();
                      }));
    return success();
  }
};

/// Whether a mask element keeps its timestep (nonzero), and 1.0 or 0.0.
Value isKept(OpBuilder &b, Location loc, Value m) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, m,
                               f32Const(b, loc, 0));
}

/// One generic over (n, f, t) sums the kept values and counts the kept
/// timesteps (both reduced over t), then an elementwise division.
struct MaskedMeanLowering : public OpConversionPattern<MaskedMeanOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaskedMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), mask = adaptor.getMask();
    auto type = cast<RankedTensorType>(op.getType());
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr n = getAffineDimExpr(0, ctx), f = getAffineDimExpr(1, ctx),
               t = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(3, 0, {n, t, f}, ctx),
        AffineMap::get(3, 0, {n, t, getAffineConstantExpr(0, ctx)}, ctx),
        AffineMap::get(3, 0, {n, f}, ctx), AffineMap::get(3, 0, {n, f}, ctx)};
    Value zeros = fillTensor(rewriter, loc,
                             emptyTensor(rewriter, loc, type.getShape(),
                                         type.getElementType(), input),
                             f32Const(rewriter, loc, 0));
    auto reduce = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type, type}, ValueRange{input, mask},
        ValueRange{zeros, zeros}, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value kept = isKept(b, nloc, args[1]);
          Value zero = f32Const(b, nloc, 0);
          Value value = arith::SelectOp::create(b, nloc, kept, args[0], zero);
          Value one = arith::SelectOp::create(b, nloc, kept,
                                              f32Const(b, nloc, 1), zero);
          linalg::YieldOp::create(
              b, nloc,
              ValueRange{arith::AddFOp::create(b, nloc, args[2], value),
                         arith::AddFOp::create(b, nloc, args[3], one)});
        });
    rewriter.replaceOp(
        op, elementwiseOp(rewriter, loc, reduce.getResults(),
                          [](OpBuilder &b, Location nloc, ValueRange args) {
                            return arith::DivFOp::create(b, nloc, args[0],
                                                         args[1])
                                .getResult();
                          }));
    return success();
  }
};

/// The count of kept timesteps per sample (a reduction over t), then one
/// generic over (n, t, f) giving each kept timestep g / count.
struct MaskedMeanGradLowering : public OpConversionPattern<MaskedMeanGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaskedMeanGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value grad = adaptor.getGrad(), mask = adaptor.getMask();
    auto type = cast<RankedTensorType>(op.getType());
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr n = getAffineDimExpr(0, ctx), t = getAffineDimExpr(1, ctx),
               f = getAffineDimExpr(2, ctx);
    AffineExpr zeroExpr = getAffineConstantExpr(0, ctx);
    Value counts = fillTensor(rewriter, loc,
                              emptyTensor(rewriter, loc, {type.getDimSize(0)},
                                          type.getElementType(), grad),
                              f32Const(rewriter, loc, 0));
    counts = genericOp(
        rewriter, loc, mask, counts,
        {AffineMap::get(2, 0, {n, t, zeroExpr}, ctx),
         AffineMap::get(2, 0, {n}, ctx)},
        {utils::IteratorType::parallel, utils::IteratorType::reduction},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value one = arith::SelectOp::create(b, nloc, isKept(b, nloc, args[0]),
                                              f32Const(b, nloc, 1),
                                              f32Const(b, nloc, 0));
          return arith::AddFOp::create(b, nloc, args[1], one).getResult();
        });
    Value init = emptyTensor(rewriter, loc, type.getShape(),
                             type.getElementType(), grad);
    rewriter.replaceOp(
        op,
        genericOp(
            rewriter, loc, ValueRange{grad, mask, counts}, init,
            {AffineMap::get(3, 0, {n, f}, ctx),
             AffineMap::get(3, 0, {n, t, zeroExpr}, ctx),
             AffineMap::get(3, 0, {n}, ctx),
             AffineMap::get(3, 0, {n, t, f}, ctx)},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location nloc, ValueRange args) {
              Value share = arith::DivFOp::create(b, nloc, args[0], args[2]);
              return arith::SelectOp::create(b, nloc, isKept(b, nloc, args[1]),
                                             share, f32Const(b, nloc, 0))
                  .getResult();
            }));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnLayerOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<TransposeLowering, BatchReshapeLowering, UpSample2DLowering,
               EmbeddingLowering, EmbeddingGradLowering, AnyNotEqualLowering,
               MaskedMeanLowering, MaskedMeanGradLowering>(
      patterns.getContext());
}
