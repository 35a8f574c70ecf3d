//===- NormOpsToLinalg.cpp - Lower the normalization ops ------------------===//
//
// `kiln.layer_norm` and its derivative become row reductions over the last
// dimension (linalg.generic with a trailing reduction iterator) feeding one
// elementwise generic. The variance is computed from the centered values
// (two passes) rather than as E[x²] - E[x]², which cancels catastrophically
// when the mean is large against the spread.
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

/// Iteration-space helper for a tensor whose last dimension is the row.
struct Rows {
  Rows(OpBuilder &b, Value like)
      : b(b), type(cast<RankedTensorType>(like.getType())),
        rank(type.getRank()), like(like) {}

  AffineMap full() const {
    return AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  }
  AffineMap row() const { return full().dropResult(rank - 1); }
  RankedTensorType rowType() const {
    return RankedTensorType::get(type.getShape().drop_back(),
                                 type.getElementType());
  }
  float width() const { return float(type.getShape().back()); }

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
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
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
    int64_t rowRank = rank - 1;
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
};

/// The row means of `x` and the reciprocal standard deviations
/// 1 / sqrt(var + epsilon), var the biased variance.
std::pair<Value, Value> rowStatistics(const Rows &rows, Location loc, Value x,
                                      float epsilon) {
  OpBuilder &b = rows.b;
  Value invWidth = f32Const(b, loc, 1.0f / rows.width());
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

/// (x - mean) * rstd
struct LayerNormLowering : public OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Rows rows(rewriter, x);
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
struct LayerNormGradLowering : public OpConversionPattern<LayerNormGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerNormGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGrad(), x = adaptor.getInput();
    Rows rows(rewriter, x);
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
    Value invWidth = f32Const(rewriter, loc, 1.0f / rows.width());
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

} // namespace

void mlir::kiln::populateKilnNormOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LayerNormLowering, LayerNormGradLowering>(patterns.getContext());
}
