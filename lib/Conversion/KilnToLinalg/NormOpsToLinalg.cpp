//===- NormOpsToLinalg.cpp - Lower the normalization ops ------------------===//
//
// `kiln.layer_norm` and its derivative become row reductions over the last
// dimension (linalg.generic with a trailing reduction iterator) feeding one
// elementwise generic; the batch normalization ops the same with the
// reduction over every dimension but the last (the channels). The variance
// is computed from the centered values (two passes) rather than as
// E[x²] - E[x]², which cancels catastrophically when the mean is large
// against the spread.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::detail;

namespace {

/// Body of a row reduction: the row's elements of the full-rank inputs,
/// then the row values, then the accumulator.
using RowBodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Iteration-space helper for the groups a normalization reduces: the rows
/// (the last dimension) of a tensor, or with `overBatch` its channels (the
/// last dimension), each reduced over every other dimension. "Row values"
/// are then one per row or one per channel.
struct Rows {
  Rows(OpBuilder &b, Value like, bool overBatch = false)
      : b(b), type(cast<RankedTensorType>(like.getType())),
        rank(type.getRank()), like(like), overBatch(overBatch) {}

  AffineMap full() const {
    return AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  }
  AffineMap row() const {
    if (overBatch)
      return AffineMap::get(rank, 0,
                            getAffineDimExpr(rank - 1, b.getContext()));
    return full().dropResult(rank - 1);
  }
  RankedTensorType rowType() const {
    ArrayRef<int64_t> shape = type.getShape();
    return RankedTensorType::get(overBatch ? shape.take_back()
                                           : shape.drop_back(),
                                 type.getElementType());
  }
  /// 1 / the number of elements each group reduces (the batch size is
  /// read at run time).
  Value inverseCount(Location loc) const {
    if (!overBatch)
      return f32Const(b, loc, 1.0f / float(type.getShape().back()));
    double fixed = 1.0;
    Value count;
    for (int64_t d = 0; d + 1 < rank; ++d) {
      if (!type.isDynamicDim(d)) {
        fixed *= double(type.getDimSize(d));
        continue;
      }
      Value extent = arith::IndexCastOp::create(
          b, loc, b.getI64Type(), tensor::DimOp::create(b, loc, like, d));
      count = count ? arith::MulIOp::create(b, loc, count, extent) : extent;
    }
    Value inverse = f32Const(b, loc, float(1.0 / fixed));
    if (!count)
      return inverse;
    Value n = arith::SIToFPOp::create(b, loc, b.getF32Type(), count);
    return arith::DivFOp::create(b, loc, inverse, n);
  }

  /// Σ over each row of `body(elements..., rowValues...)`.
  Value sum(Location loc, ValueRange inputs, ValueRange rowValues,
            RowBodyFn body) const {
    RankedTensorType resultType = rowType();
    Value init = fillTensor(b, loc,
                            emptyTensor(b, loc, resultType.getShape(),
                                        resultType.getElementType(), like),
                            f32Const(b, loc, 0.0f));
    SmallVector<Value> all(inputs);
    llvm::append_range(all, rowValues);
    SmallVector<AffineMap> maps(inputs.size(), full());
    maps.append(rowValues.size(), row());
    maps.push_back(row());
    SmallVector<utils::IteratorType> iterators(
        rank, overBatch ? utils::IteratorType::reduction
                        : utils::IteratorType::parallel);
    iterators.back() = overBatch ? utils::IteratorType::parallel
                                 : utils::IteratorType::reduction;
    return genericOp(b, loc, all, init, maps, iterators,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       Value term = body(nb, nloc, args.drop_back());
                       return arith::AddFOp::create(nb, nloc, term,
                                                    args.back());
                     });
  }

  /// A row tensor mapped elementwise.
  Value mapRows(Location loc, ValueRange rowValues, RowBodyFn body) const {
    RankedTensorType resultType = rowType();
    int64_t rowRank = resultType.getRank();
    Value init = emptyTensor(b, loc, resultType.getShape(),
                             resultType.getElementType(), like);
    SmallVector<AffineMap> maps(
        rowValues.size() + 1,
        AffineMap::getMultiDimIdentityMap(rowRank, b.getContext()));
    SmallVector<utils::IteratorType> iterators(rowRank,
                                               utils::IteratorType::parallel);
    return genericOp(b, loc, rowValues, init, maps, iterators, body);
  }

  /// A full tensor from full-rank `inputs` and broadcast `rowValues`.
  Value map(Location loc, ValueRange inputs, ValueRange rowValues,
            RowBodyFn body) const {
    Value init =
        emptyTensor(b, loc, type.getShape(), type.getElementType(), like);
    SmallVector<Value> all(inputs);
    llvm::append_range(all, rowValues);
    SmallVector<AffineMap> maps(inputs.size(), full());
    maps.append(rowValues.size(), row());
    maps.push_back(full());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    return genericOp(b, loc, all, init, maps, iterators, body);
  }

  OpBuilder &b;
  RankedTensorType type;
  int64_t rank;
  Value like;
  bool overBatch;
};

/// The row means of `x` and the reciprocal standard deviations
/// 1 / sqrt(var + epsilon), var the biased variance.
std::pair<Value, Value> rowStatistics(const Rows &rows, Location loc, Value x,
                                      float epsilon) {
  OpBuilder &b = rows.b;
  Value invWidth = rows.inverseCount(loc);
  Value sum = rows.sum(loc, x, {}, [](OpBuilder &, Location, ValueRange args) {
    return args[0];
  });
  Value mean = rows.mapRows(
      loc, sum, [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nloc, args[0], invWidth);
      });
  Value squares =
      rows.sum(loc, x, mean, [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value d = arith::SubFOp::create(nb, nloc, args[0], args[1]);
        return arith::MulFOp::create(nb, nloc, d, d);
      });
  Value eps = f32Const(b, loc, epsilon);
  Value one = f32Const(b, loc, 1.0f);
  Value rstd =
      rows.mapRows(loc, squares,
                   [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
                     Value var =
                         arith::MulFOp::create(nb, nloc, args[0], invWidth);
                     Value std = math::SqrtOp::create(
                         nb, nloc, arith::AddFOp::create(nb, nloc, var, eps));
                     return arith::DivFOp::create(nb, nloc, one, std);
                   });
  return {mean, rstd};
}

/// (x - mean) * rstd, over rows (layer_norm) or over the batch per channel
/// (batch_norm).
template <typename OpTy, bool OverBatch>
struct NormLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Rows rows(rewriter, x, OverBatch);
    auto [mean, rstd] =
        rowStatistics(rows, loc, x, op.getEpsilon().convertToFloat());
    rewriter.replaceOp(
        op, rows.map(loc, x, {mean, rstd},
                     [](OpBuilder &b, Location nloc, ValueRange args) {
                       Value d =
                           arith::SubFOp::create(b, nloc, args[0], args[1]);
                       return arith::MulFOp::create(b, nloc, d, args[2]);
                     }));
    return success();
  }
};

/// rstd * (dy - mean(dy) - x̂ * mean(dy * x̂)), x̂ = (x - mean) * rstd.
template <typename OpTy, bool OverBatch>
struct NormGradLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGrad(), x = adaptor.getInput();
    Rows rows(rewriter, x, OverBatch);
    auto [mean, rstd] =
        rowStatistics(rows, loc, x, op.getEpsilon().convertToFloat());
    auto normalized = [](OpBuilder &b, Location nloc, Value x, Value mean,
                         Value rstd) -> Value {
      Value d = arith::SubFOp::create(b, nloc, x, mean);
      return arith::MulFOp::create(b, nloc, d, rstd);
    };
    Value sumDy =
        rows.sum(loc, dy, {}, [](OpBuilder &, Location, ValueRange args) {
          return args[0];
        });
    Value sumDyXhat =
        rows.sum(loc, {dy, x}, {mean, rstd},
                 [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
                   Value xhat = normalized(b, nloc, args[1], args[2], args[3]);
                   return arith::MulFOp::create(b, nloc, args[0], xhat);
                 });
    Value invWidth = rows.inverseCount(loc);
    rewriter.replaceOp(
        op,
        rows.map(loc, {dy, x}, {mean, rstd, sumDy, sumDyXhat},
                 [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
                   Value xhat = normalized(b, nloc, args[1], args[2], args[3]);
                   Value meanDy =
                       arith::MulFOp::create(b, nloc, args[4], invWidth);
                   Value meanDyXhat =
                       arith::MulFOp::create(b, nloc, args[5], invWidth);
                   Value t = arith::SubFOp::create(b, nloc, args[0], meanDy);
                   t = arith::SubFOp::create(
                       b, nloc, t,
                       arith::MulFOp::create(b, nloc, xhat, meanDyXhat));
                   return arith::MulFOp::create(b, nloc, t, args[3]);
                 }));
    return success();
  }
};

/// The per-channel mean and biased variance.
struct MomentsLowering : public OpConversionPattern<MomentsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MomentsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Rows channels(rewriter, x, /*overBatch=*/true);
    Value invCount = channels.inverseCount(loc);
    auto scaled = [&](Value sum) {
      return channels.mapRows(
          loc, sum, [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
            return arith::MulFOp::create(b, nloc, args[0], invCount);
          });
    };
    Value mean = scaled(
        channels.sum(loc, x, {}, [](OpBuilder &, Location, ValueRange args) {
          return args[0];
        }));
    Value var = scaled(channels.sum(
        loc, x, mean, [](OpBuilder &b, Location nloc, ValueRange args) {
          Value d = arith::SubFOp::create(b, nloc, args[0], args[1]);
          return arith::MulFOp::create(b, nloc, d, d);
        }));
    rewriter.replaceOp(op, {mean, var});
    return success();
  }
};

/// (x - mean) / sqrt(variance + epsilon), per channel.
struct BatchNormInferenceLowering
    : public OpConversionPattern<BatchNormInferenceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormInferenceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Rows channels(rewriter, x, /*overBatch=*/true);
    Value eps = f32Const(rewriter, loc, op.getEpsilon().convertToFloat());
    Value one = f32Const(rewriter, loc, 1.0f);
    Value rstd = channels.mapRows(
        loc, adaptor.getVariance(),
        [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value std = math::SqrtOp::create(
              b, nloc, arith::AddFOp::create(b, nloc, args[0], eps));
          return arith::DivFOp::create(b, nloc, one, std);
        });
    rewriter.replaceOp(
        op, channels.map(loc, x, {adaptor.getMean(), rstd},
                         [](OpBuilder &b, Location nloc, ValueRange args) {
                           Value d =
                               arith::SubFOp::create(b, nloc, args[0], args[1]);
                           return arith::MulFOp::create(b, nloc, d, args[2]);
                         }));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnNormOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<NormLowering<LayerNormOp, false>,
               NormGradLowering<LayerNormGradOp, false>,
               NormLowering<BatchNormOp, true>,
               NormGradLowering<BatchNormGradOp, true>, MomentsLowering,
               BatchNormInferenceLowering>(patterns.getContext());
}
