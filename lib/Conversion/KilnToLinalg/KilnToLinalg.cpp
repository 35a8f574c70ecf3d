//===- KilnToLinalg.cpp - Lower kiln ops to linalg on tensors -------------===//
//
// Every kiln op becomes destination-passing-style tensor code: a
// `tensor.empty` destination (dynamic extents read with `tensor.dim`),
// initialized by `linalg.fill` or a broadcast, and computed by
// `linalg.matmul` or `linalg.generic`. See the pass description in
// `kiln/Conversion/Passes.td` for the design choices.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALGPASS
#include "kiln/Conversion/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;
using mlir::kiln::detail::fillTensor;
using mlir::kiln::detail::genericOp;

/// Keras's clipping of probabilities before the logarithm.
static constexpr float kProbabilityEpsilon = 1e-7f;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static Value f32Constant(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// Returns `value` with type `type`, inserting a `tensor.cast` when the two
/// differ only in which extents are static.
static Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// Creates an uninitialized destination of `type`. Dynamic extent `i` is
/// dimension `sourceDims[i]` of `source`.
static Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                         Value source, ArrayRef<int64_t> sourceDims) {
  SmallVector<Value> dynamicSizes;
  for (auto [i, extent] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(extent))
      dynamicSizes.push_back(
          tensor::DimOp::create(b, loc, source, sourceDims[i]));
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamicSizes);
}

/// Creates an uninitialized destination of `type` whose dynamic extents are
/// those of `source` at the same positions.
static Value createEmptyLike(OpBuilder &b, Location loc, RankedTensorType type,
                             Value source) {
  auto dims = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  return createEmpty(b, loc, type, source, dims);
}

/// Elementwise map of `inputs` into a new tensor of `resultType`. Every
/// input has the result's rank except broadcast operands, which supply a
/// suffix of it; each input is read at the trailing dimensions it has.
static Value buildElementwise(OpBuilder &b, Location loc,
                              RankedTensorType resultType, ValueRange inputs,
                              BodyFn body) {
  int64_t rank = resultType.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  Value shapeSource;
  for (Value input : inputs) {
    int64_t inputRank = tensorType(input).getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = rank - inputRank; d < rank; ++d)
      exprs.push_back(getAffineDimExpr(d, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
    if (!shapeSource && inputRank == rank)
      shapeSource = input;
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = createEmptyLike(b, loc, resultType, shapeSource);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return genericOp(b, loc, inputs, init, maps, iterators, body);
}

/// Reduces rank-r `inputs` over their last dimension into a rank r-1 tensor
/// of `elementType` initialized to `initValue`. `combine` receives the
/// builder, the input elements, the accumulator and the reduced index.
static Value reduceInnermost(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<AffineMap> extraMaps, ValueRange extraInputs, Type elementType,
    TypedAttr initValue,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> combine) {
  auto inputType = tensorType(inputs.front());
  int64_t rank = inputType.getRank();
  MLIRContext *ctx = b.getContext();
  auto resultType =
      RankedTensorType::get(inputType.getShape().drop_back(), elementType);
  Value init = createEmptyLike(b, loc, resultType, inputs.front());
  init = fillTensor(b, loc, init, arith::ConstantOp::create(b, loc, initValue));

  SmallVector<Value> allInputs(inputs);
  llvm::append_range(allInputs, extraInputs);
  SmallVector<AffineMap> maps(inputs.size(),
                              AffineMap::getMultiDimIdentityMap(rank, ctx));
  llvm::append_range(maps, extraMaps);
  maps.push_back(
      AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  return genericOp(b, loc, allInputs, init, maps, iterators,
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     return combine(nb, nloc, args.drop_back(), args.back());
                   });
}

/// Row maximum of a rank >= 1 tensor over its last dimension.
static Value rowMax(OpBuilder &b, Location loc, Value input) {
  auto negInf = b.getF32FloatAttr(-std::numeric_limits<float>::infinity());
  return reduceInnermost(
      b, loc, input, {}, {}, b.getF32Type(), negInf,
      [](OpBuilder &nb, Location nloc, ValueRange elems, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, nloc, elems[0], acc);
      });
}

/// Map from an `(..., last)` iteration space to the row `(...)`.
static AffineMap rowMap(int64_t rank, MLIRContext *ctx) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx).dropResult(rank - 1);
}

/// `Σ_i exp(x[..., i] - max[...])` over the last dimension.
static Value rowSumExp(OpBuilder &b, Location loc, Value input, Value max) {
  int64_t rank = tensorType(input).getRank();
  return reduceInnermost(
      b, loc, input, rowMap(rank, b.getContext()), max, b.getF32Type(),
      b.getF32FloatAttr(0.0f),
      [](OpBuilder &nb, Location nloc, ValueRange elems, Value acc) -> Value {
        Value shifted = arith::SubFOp::create(nb, nloc, elems[0], elems[1]);
        Value e = math::ExpOp::create(nb, nloc, shifted);
        return arith::AddFOp::create(nb, nloc, e, acc);
      });
}

/// The column index of the current element as i32.
static Value columnIndexI32(OpBuilder &b, Location loc) {
  Value col = linalg::IndexOp::create(b, loc, 1);
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), col);
}

/// `scores[b, labels[b]]` for every row of an `n×C` tensor, or 0 for a label
/// outside `[0, C)`. Compares the column index with the label instead of
/// indexing, so a bad label cannot read out of bounds.
static Value pickLabelColumn(OpBuilder &b, Location loc, Value scores,
                             Value labels) {
  MLIRContext *ctx = b.getContext();
  return reduceInnermost(
      b, loc, scores, rowMap(2, ctx), labels, b.getF32Type(),
      b.getF32FloatAttr(0.0f),
      [](OpBuilder &nb, Location nloc, ValueRange elems, Value acc) -> Value {
        Value isLabel =
            arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::eq,
                                  columnIndexI32(nb, nloc), elems[1]);
        return arith::SelectOp::create(nb, nloc, isLabel, elems[0], acc);
      });
}

/// `1 / n` as f32, with `n` dimension 0 of `batched`.
static Value inverseBatchSize(OpBuilder &b, Location loc, Value batched) {
  Value n = tensor::DimOp::create(b, loc, batched, 0);
  Value nI64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
  Value nF32 = arith::SIToFPOp::create(b, loc, b.getF32Type(), nI64);
  return arith::DivFOp::create(b, loc, f32Constant(b, loc, 1.0f), nF32);
}

/// Sums a rank-1 tensor into a 0-d tensor, each element first mapped by
/// `term`, then multiplies the sum by `factor`: the batch means of losses
/// and metrics.
static Value
meanOverBatch(OpBuilder &b, Location loc, ValueRange rows, Value factor,
              function_ref<Value(OpBuilder &, Location, ValueRange)> term) {
  MLIRContext *ctx = b.getContext();
  Value init =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type());
  Value zeroInit = fillTensor(b, loc, init, f32Constant(b, loc, 0.0f));
  SmallVector<AffineMap> maps(rows.size(),
                              AffineMap::getMultiDimIdentityMap(1, ctx));
  maps.push_back(AffineMap::get(1, 0, {}, ctx));
  Value sum =
      genericOp(b, loc, rows, zeroInit, maps, {utils::IteratorType::reduction},
                [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
                  Value t = term(nb, nloc, args.drop_back());
                  return arith::AddFOp::create(nb, nloc, t, args.back());
                });
  AffineMap scalarMap = AffineMap::get(0, 0, {}, ctx);
  return genericOp(
      b, loc, sum, init, {scalarMap, scalarMap}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return arith::MulFOp::create(nb, nloc, args[0], factor).getResult();
      });
}

/// Applies `activation` to a scalar.
static Value applyActivation(OpBuilder &b, Location loc, Activation activation,
                             Value x) {
  switch (activation) {
  case Activation::none:
    return x;
  case Activation::relu: {
    // `ugt` keeps NaN, as max(x, 0) does in TensorFlow.
    Value zero = f32Constant(b, loc, 0.0f);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT, x, zero);
    return arith::SelectOp::create(b, loc, positive, x, zero);
  }
  case Activation::sigmoid: {
    Value one = f32Constant(b, loc, 1.0f);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, one,
                                 arith::AddFOp::create(b, loc, one, e));
  }
  case Activation::tanh:
    return math::TanhOp::create(b, loc, x);
  }
  llvm_unreachable("unknown activation");
}

/// `op(lhs) · op(rhs)` accumulated into `init` (a zero fill or a broadcast
/// bias). Transposes are expressed by the indexing maps.
static Value buildMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         bool transposeLhs, bool transposeRhs, Value init) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](AffineExpr r, AffineExpr c) {
    return AffineMap::get(3, 0, {r, c}, ctx);
  };
  SmallVector<Attribute> maps = {
      AffineMapAttr::get(transposeLhs ? map(k, m) : map(m, k)),
      AffineMapAttr::get(transposeRhs ? map(n, k) : map(k, n)),
      AffineMapAttr::get(map(m, n))};
  auto matmul =
      linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                               ValueRange{lhs, rhs}, ValueRange{init});
  matmul.setIndexingMapsAttr(b.getArrayAttr(maps));
  return matmul.getResult(0);
}

/// The `M×N` destination of a matmul: M from `lhs`, N from `rhs`.
static Value createMatmulDest(OpBuilder &b, Location loc,
                              RankedTensorType resultType, Value lhs, Value rhs,
                              bool transposeLhs, bool transposeRhs) {
  SmallVector<Value> dynamicSizes;
  if (resultType.isDynamicDim(0))
    dynamicSizes.push_back(
        tensor::DimOp::create(b, loc, lhs, transposeLhs ? 1 : 0));
  if (resultType.isDynamicDim(1))
    dynamicSizes.push_back(
        tensor::DimOp::create(b, loc, rhs, transposeRhs ? 0 : 1));
  return tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                 resultType.getElementType(), dynamicSizes);
}

//===----------------------------------------------------------------------===//
// Linear algebra and shape ops
//===----------------------------------------------------------------------===//

namespace {

struct MatmulLowering : public OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dest = createMatmulDest(rewriter, loc, op.getType(), adaptor.getLhs(),
                                  adaptor.getRhs(), op.getTransposeLhs(),
                                  op.getTransposeRhs());
    Value zero =
        fillTensor(rewriter, loc, dest, f32Constant(rewriter, loc, 0.0f));
    rewriter.replaceOp(op, buildMatmul(rewriter, loc, adaptor.getLhs(),
                                       adaptor.getRhs(), op.getTransposeLhs(),
                                       op.getTransposeRhs(), zero));
    return success();
  }
};

/// `activation(op(x) · op(w) + b)` as
///   %init = linalg.broadcast %b (or a zero fill)
///   %mm   = linalg.matmul ins(%x, %w) outs(%init)
///   %y    = linalg.generic outs(%mm) { activation }   (in place)
/// so that the whole chain is a destination chain: tiling the epilogue and
/// fusing its producers computes bias, product and activation per tile.
struct LinearLowering : public OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dest = createMatmulDest(rewriter, loc, op.getType(),
                                  adaptor.getInput(), adaptor.getWeight(),
                                  op.getTransposeLhs(), op.getTransposeRhs());
    Value init;
    if (Value bias = adaptor.getBias())
      init = linalg::BroadcastOp::create(rewriter, loc, bias, dest,
                                         ArrayRef<int64_t>{0})
                 .getResult()[0];
    else
      init = fillTensor(rewriter, loc, dest, f32Constant(rewriter, loc, 0.0f));
    Value result =
        buildMatmul(rewriter, loc, adaptor.getInput(), adaptor.getWeight(),
                    op.getTransposeLhs(), op.getTransposeRhs(), init);
    Activation activation = op.getActivation();
    if (activation != Activation::none) {
      MLIRContext *ctx = rewriter.getContext();
      result = genericOp(
          rewriter, loc, ValueRange{}, result,
          AffineMap::getMultiDimIdentityMap(2, ctx),
          {utils::IteratorType::parallel, utils::IteratorType::parallel},
          [&](OpBuilder &b, Location nloc, ValueRange args) {
            return applyActivation(b, nloc, activation, args[0]);
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AddLowering : public OpConversionPattern<AddOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), op.getType(),
                {adaptor.getLhs(), adaptor.getRhs()},
                [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                  return arith::AddFOp::create(b, loc, args[0], args[1]);
                }));
    return success();
  }
};

/// Sum over the leading dimensions the result lacks.
struct ReduceSumLowering : public OpConversionPattern<ReduceSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReduceSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = tensorType(input).getRank();
    int64_t reduced = rank - resultType.getRank();
    if (reduced == 0) {
      rewriter.replaceOp(op, castTo(rewriter, loc, input, resultType));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    auto dims = llvm::to_vector(llvm::seq<int64_t>(reduced, rank));
    Value init = createEmpty(rewriter, loc, resultType, input, dims);
    init = fillTensor(rewriter, loc, init, f32Constant(rewriter, loc, 0.0f));
    SmallVector<AffineExpr> resultExprs;
    for (int64_t d : dims)
      resultExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    for (int64_t d = 0; d < reduced; ++d)
      iterators[d] = utils::IteratorType::reduction;
    rewriter.replaceOp(
        op,
        genericOp(rewriter, loc, input, init,
                  {AffineMap::getMultiDimIdentityMap(rank, ctx),
                   AffineMap::get(rank, 0, resultExprs, ctx)},
                  iterators, [](OpBuilder &b, Location nloc, ValueRange args) {
                    return arith::AddFOp::create(b, nloc, args[0], args[1])
                        .getResult();
                  }));
    return success();
  }
};

/// Row-major reshape keeping the batch: collapse the sample dimensions into
/// one, then expand them into the result's. No data moves.
struct ReshapeLowering : public OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = tensorType(input);
    auto resultType = cast<RankedTensorType>(op.getType());
    if (inputType.getShape().drop_front() ==
        resultType.getShape().drop_front()) {
      rewriter.replaceOp(op, castTo(rewriter, loc, input, resultType));
      return success();
    }
    // `?×S` (or `?`) with S the number of elements of one sample.
    Value flat = input;
    if (inputType.getRank() > 2) {
      ReassociationIndices rest =
          llvm::to_vector(llvm::seq<int64_t>(1, inputType.getRank()));
      flat = tensor::CollapseShapeOp::create(
          rewriter, loc, input, ArrayRef<ReassociationIndices>{{0}, rest});
    }
    Value result = flat;
    int64_t flatRank = tensorType(flat).getRank();
    int64_t resultRank = resultType.getRank();
    if (resultRank > flatRank) {
      // Expand the trailing group (or, from rank 1, the only one).
      SmallVector<ReassociationIndices> groups;
      if (flatRank == 2)
        groups = {{0}, llvm::to_vector(llvm::seq<int64_t>(1, resultRank))};
      else
        groups = {llvm::to_vector(llvm::seq<int64_t>(0, resultRank))};
      // The batch extent is static if either side knows it.
      int64_t batch = inputType.isDynamicDim(0) ? resultType.getDimSize(0)
                                                : inputType.getDimSize(0);
      SmallVector<int64_t> shape = {batch};
      llvm::append_range(shape, resultType.getShape().drop_front());
      SmallVector<OpFoldResult> outputShape;
      if (ShapedType::isDynamic(batch))
        outputShape.push_back(
            tensor::DimOp::create(rewriter, loc, input, 0).getResult());
      else
        outputShape.push_back(rewriter.getIndexAttr(batch));
      for (int64_t extent : resultType.getShape().drop_front())
        outputShape.push_back(rewriter.getIndexAttr(extent));
      auto expandedType =
          RankedTensorType::get(shape, resultType.getElementType());
      result = tensor::ExpandShapeOp::create(rewriter, loc, expandedType, flat,
                                             groups, outputShape);
    } else if (resultRank < flatRank) {
      // `?×1` into `?`.
      result = tensor::CollapseShapeOp::create(
          rewriter, loc, flat, ArrayRef<ReassociationIndices>{{0, 1}});
    }
    rewriter.replaceOp(op, castTo(rewriter, loc, result, resultType));
    return success();
  }
};

struct ScaleLowering : public OpConversionPattern<ScaleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ScaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    float scale = op.getScale().convertToFloat();
    float offset = op.getOffset().convertToFloat();
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), op.getType(), adaptor.getInput(),
                [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                  Value y = arith::MulFOp::create(b, loc, args[0],
                                                  f32Constant(b, loc, scale));
                  if (offset != 0.0f)
                    y = arith::AddFOp::create(b, loc, y,
                                              f32Constant(b, loc, offset));
                  return y;
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Activations and their derivatives
//===----------------------------------------------------------------------===//

template <typename OpTy, Activation kind>
struct ActivationLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(),
                             adaptor.getInput(),
                             [](OpBuilder &b, Location loc, ValueRange args) {
                               return applyActivation(b, loc, kind, args[0]);
                             }));
    return success();
  }
};

/// dx from (dy, y) for the activation ops, pointwise.
template <typename OpTy>
struct ActivationGradLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  static Value derivative(OpBuilder &b, Location loc, Value dy, Value y);

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(),
                             {adaptor.getGrad(), adaptor.getOutput()},
                             [](OpBuilder &b, Location loc, ValueRange args) {
                               return derivative(b, loc, args[0], args[1]);
                             }));
    return success();
  }
};

/// y > 0 ? dy : 0
template <>
Value ActivationGradLowering<ReluGradOp>::derivative(OpBuilder &b, Location loc,
                                                     Value dy, Value y) {
  Value zero = f32Constant(b, loc, 0.0f);
  Value active =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, y, zero);
  return arith::SelectOp::create(b, loc, active, dy, zero);
}

/// dy * y * (1 - y)
template <>
Value ActivationGradLowering<SigmoidGradOp>::derivative(OpBuilder &b,
                                                        Location loc, Value dy,
                                                        Value y) {
  Value oneMinusY = arith::SubFOp::create(b, loc, f32Constant(b, loc, 1.0f), y);
  Value dyY = arith::MulFOp::create(b, loc, dy, y);
  return arith::MulFOp::create(b, loc, dyY, oneMinusY);
}

/// dy * (1 - y * y)
template <>
Value ActivationGradLowering<TanhGradOp>::derivative(OpBuilder &b, Location loc,
                                                     Value dy, Value y) {
  Value ySquared = arith::MulFOp::create(b, loc, y, y);
  Value d = arith::SubFOp::create(b, loc, f32Constant(b, loc, 1.0f), ySquared);
  return arith::MulFOp::create(b, loc, dy, d);
}

/// exp(x - max) / Σ exp(x - max) over the last dimension.
struct SoftmaxLowering : public OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Value max = rowMax(rewriter, loc, x);
    Value sum = rowSumExp(rewriter, loc, x, max);
    rewriter.replaceOp(
        op, buildRowwise(rewriter, loc, op.getType(), x, {max, sum}));
    return success();
  }

  static Value buildRowwise(OpBuilder &b, Location loc, RankedTensorType type,
                            Value x, ValueRange rowValues) {
    int64_t rank = type.getRank();
    MLIRContext *ctx = b.getContext();
    SmallVector<Value> inputs = {x};
    llvm::append_range(inputs, rowValues);
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    maps.append(rowValues.size(), rowMap(rank, ctx));
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    Value init = createEmptyLike(b, loc, type, x);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    return genericOp(
        b, loc, inputs, init, maps, iterators,
        [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value e = math::ExpOp::create(
              nb, nloc, arith::SubFOp::create(nb, nloc, args[0], args[1]));
          return arith::DivFOp::create(nb, nloc, e, args[2]);
        });
  }
};

/// y * (dy - Σ dy·y) over the last dimension.
struct SoftmaxGradLowering : public OpConversionPattern<SoftmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGrad(), y = adaptor.getOutput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    Value dot = reduceInnermost(
        rewriter, loc, {dy, y}, {}, {}, rewriter.getF32Type(),
        rewriter.getF32FloatAttr(0.0f),
        [](OpBuilder &b, Location nloc, ValueRange elems, Value acc) -> Value {
          Value p = arith::MulFOp::create(b, nloc, elems[0], elems[1]);
          return arith::AddFOp::create(b, nloc, p, acc);
        });
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    Value init = createEmptyLike(rewriter, loc, type, dy);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    rewriter.replaceOp(
        op,
        genericOp(rewriter, loc, {dy, y, dot}, init,
                  {id, id, rowMap(rank, ctx), id}, iterators,
                  [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
                    Value d = arith::SubFOp::create(b, nloc, args[0], args[2]);
                    return arith::MulFOp::create(b, nloc, args[1], d);
                  }));
    return success();
  }
};

/// x - max - log Σ exp(x - max) over the last dimension: the same two row
/// reductions as the softmax, and no division, so no probability can
/// underflow before the logarithm.
struct LogSoftmaxLowering : public OpConversionPattern<LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LogSoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    Value max = rowMax(rewriter, loc, x);
    Value sum = rowSumExp(rewriter, loc, x, max);
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    rewriter.replaceOp(
        op, genericOp(rewriter, loc, {x, max, sum},
                      createEmptyLike(rewriter, loc, type, x),
                      {id, rowMap(rank, ctx), rowMap(rank, ctx), id}, iterators,
                      [](OpBuilder &b, Location nloc, ValueRange args) {
                        Value shifted =
                            arith::SubFOp::create(b, nloc, args[0], args[1]);
                        Value logSum = math::LogOp::create(b, nloc, args[2]);
                        return arith::SubFOp::create(b, nloc, shifted, logSum)
                            .getResult();
                      }));
    return success();
  }
};

/// dy - exp(y) · Σ dy over the last dimension.
struct LogSoftmaxGradLowering : public OpConversionPattern<LogSoftmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LogSoftmaxGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = adaptor.getGrad(), y = adaptor.getOutput();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    Value sum = reduceInnermost(
        rewriter, loc, dy, {}, {}, rewriter.getF32Type(),
        rewriter.getF32FloatAttr(0.0f),
        [](OpBuilder &b, Location nloc, ValueRange elems, Value acc) -> Value {
          return arith::AddFOp::create(b, nloc, elems[0], acc);
        });
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    rewriter.replaceOp(
        op, genericOp(
                rewriter, loc, {dy, y, sum},
                createEmptyLike(rewriter, loc, type, dy),
                {id, id, rowMap(rank, ctx), id}, iterators,
                [](OpBuilder &b, Location nloc, ValueRange args) {
                  Value p = math::ExpOp::create(b, nloc, args[1]);
                  Value t = arith::MulFOp::create(b, nloc, p, args[2]);
                  return arith::SubFOp::create(b, nloc, args[0], t).getResult();
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

/// -(1/n) Σ_b log(clip(p[b, y_b], ε, 1 - ε))
struct SparseCategoricalCrossentropyLowering
    : public OpConversionPattern<SparseCategoricalCrossentropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparseCategoricalCrossentropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value probs = adaptor.getProbs();
    Value picked = pickLabelColumn(rewriter, loc, probs, adaptor.getLabels());
    Value negInvN = arith::NegFOp::create(
        rewriter, loc, inverseBatchSize(rewriter, loc, probs));
    Value loss = meanOverBatch(
        rewriter, loc, picked, negInvN,
        [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value lo = f32Constant(b, nloc, kProbabilityEpsilon);
          Value hi = f32Constant(b, nloc, 1.0f - kProbabilityEpsilon);
          Value p = arith::MinimumFOp::create(
              b, nloc, arith::MaximumFOp::create(b, nloc, args[0], lo), hi);
          return math::LogOp::create(b, nloc, p);
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, loss, op.getType()));
    return success();
  }
};

/// dp[b, c] = -dloss / (n · p) where c = y_b and ε <= p <= 1 - ε; else 0.
struct SparseCategoricalCrossentropyGradLowering
    : public OpConversionPattern<SparseCategoricalCrossentropyGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparseCategoricalCrossentropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value probs = adaptor.getProbs();
    MLIRContext *ctx = rewriter.getContext();
    Value invN = inverseBatchSize(rewriter, loc, probs);
    auto type = cast<RankedTensorType>(op.getType());
    Value init = createEmptyLike(rewriter, loc, type, probs);
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    rewriter.replaceOp(
        op, genericOp(
                rewriter, loc, {adaptor.getGrad(), probs, adaptor.getLabels()},
                init, {AffineMap::get(2, 0, {}, ctx), id, rowMap(2, ctx), id},
                {utils::IteratorType::parallel, utils::IteratorType::parallel},
                [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
                  Value dl = args[0], p = args[1], label = args[2];
                  Value isLabel =
                      arith::CmpIOp::create(b, nloc, arith::CmpIPredicate::eq,
                                            columnIndexI32(b, nloc), label);
                  Value lo = f32Constant(b, nloc, kProbabilityEpsilon);
                  Value hi = f32Constant(b, nloc, 1.0f - kProbabilityEpsilon);
                  Value aboveLo = arith::CmpFOp::create(
                      b, nloc, arith::CmpFPredicate::OGE, p, lo);
                  Value belowHi = arith::CmpFOp::create(
                      b, nloc, arith::CmpFPredicate::OLE, p, hi);
                  Value live = arith::AndIOp::create(
                      b, nloc, isLabel,
                      arith::AndIOp::create(b, nloc, aboveLo, belowHi));
                  Value scaled = arith::MulFOp::create(b, nloc, dl, invN);
                  Value g = arith::NegFOp::create(
                      b, nloc, arith::DivFOp::create(b, nloc, scaled, p));
                  return arith::SelectOp::create(b, nloc, live, g,
                                                 f32Constant(b, nloc, 0.0f));
                }));
    return success();
  }
};

/// (1/n) Σ_b (log Σ_i exp(z[b,i] - m_b) + m_b - z[b, y_b]), m_b the row max.
struct SparseSoftmaxCrossEntropyLowering
    : public OpConversionPattern<SparseSoftmaxCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparseSoftmaxCrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits();
    Value max = rowMax(rewriter, loc, logits);
    Value sum = rowSumExp(rewriter, loc, logits, max);
    Value picked = pickLabelColumn(rewriter, loc, logits, adaptor.getLabels());
    Value loss = meanOverBatch(
        rewriter, loc, {sum, max, picked},
        inverseBatchSize(rewriter, loc, logits),
        [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value lse = arith::AddFOp::create(
              b, nloc, math::LogOp::create(b, nloc, args[0]), args[1]);
          return arith::SubFOp::create(b, nloc, lse, args[2]);
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, loss, op.getType()));
    return success();
  }
};

/// dz[b, i] = dloss · (exp(z[b,i] - m_b) / s_b - [i == y_b]) / n
struct SparseSoftmaxCrossEntropyGradLowering
    : public OpConversionPattern<SparseSoftmaxCrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparseSoftmaxCrossEntropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getLogits();
    MLIRContext *ctx = rewriter.getContext();
    Value max = rowMax(rewriter, loc, logits);
    Value sum = rowSumExp(rewriter, loc, logits, max);
    Value invN = inverseBatchSize(rewriter, loc, logits);
    auto type = cast<RankedTensorType>(op.getType());
    Value init = createEmptyLike(rewriter, loc, type, logits);
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = rowMap(2, ctx);
    rewriter.replaceOp(
        op, genericOp(
                rewriter, loc,
                {adaptor.getGrad(), logits, max, sum, adaptor.getLabels()},
                init, {AffineMap::get(2, 0, {}, ctx), id, row, row, row, id},
                {utils::IteratorType::parallel, utils::IteratorType::parallel},
                [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
                  Value dl = args[0], z = args[1], m = args[2], s = args[3];
                  Value label = args[4];
                  Value e = math::ExpOp::create(
                      b, nloc, arith::SubFOp::create(b, nloc, z, m));
                  Value p = arith::DivFOp::create(b, nloc, e, s);
                  Value isLabel =
                      arith::CmpIOp::create(b, nloc, arith::CmpIPredicate::eq,
                                            columnIndexI32(b, nloc), label);
                  Value onehot =
                      arith::UIToFPOp::create(b, nloc, b.getF32Type(), isLabel);
                  Value diff = arith::SubFOp::create(b, nloc, p, onehot);
                  Value scale = arith::MulFOp::create(b, nloc, dl, invN);
                  return arith::MulFOp::create(b, nloc, diff, scale);
                }));
    return success();
  }
};

/// (1/n) Σ_b [argmax_i scores[b, i] == y_b], the first maximum winning:
/// the arg-max is the smallest column holding the row maximum.
struct SparseCategoricalAccuracyLowering
    : public OpConversionPattern<SparseCategoricalAccuracyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparseCategoricalAccuracyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value scores = adaptor.getScores();
    MLIRContext *ctx = rewriter.getContext();
    int64_t classes = tensorType(scores).getDimSize(1);
    // With a dynamic class count any value no column index reaches works as
    // "not found"; INT32_MAX is one.
    int32_t notFound = ShapedType::isDynamic(classes)
                           ? std::numeric_limits<int32_t>::max()
                           : static_cast<int32_t>(classes);
    Value max = rowMax(rewriter, loc, scores);
    Value argmax = reduceInnermost(
        rewriter, loc, scores, rowMap(2, ctx), max, rewriter.getI32Type(),
        rewriter.getI32IntegerAttr(notFound),
        [&](OpBuilder &b, Location nloc, ValueRange elems, Value acc) -> Value {
          Value isMax = arith::CmpFOp::create(
              b, nloc, arith::CmpFPredicate::OEQ, elems[0], elems[1]);
          Value candidate = arith::SelectOp::create(
              b, nloc, isMax, columnIndexI32(b, nloc),
              arith::ConstantOp::create(b, nloc,
                                        b.getI32IntegerAttr(notFound)));
          return arith::MinSIOp::create(b, nloc, candidate, acc);
        });
    Value accuracy = meanOverBatch(
        rewriter, loc, {argmax, adaptor.getLabels()},
        inverseBatchSize(rewriter, loc, scores),
        [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value hit = arith::CmpIOp::create(b, nloc, arith::CmpIPredicate::eq,
                                            args[0], args[1]);
          return arith::UIToFPOp::create(b, nloc, b.getF32Type(), hit);
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, accuracy, op.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertKilnToLinalgPass
    : public kiln::impl::ConvertKilnToLinalgPassBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<KilnDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    RewritePatternSet patterns(ctx);
    populateKilnToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::kiln::populateKilnToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      MatmulLowering, LinearLowering, AddLowering, ReduceSumLowering,
      ReshapeLowering, ScaleLowering,
      ActivationLowering<ReluOp, Activation::relu>,
      ActivationLowering<SigmoidOp, Activation::sigmoid>,
      ActivationLowering<TanhOp, Activation::tanh>,
      ActivationGradLowering<ReluGradOp>, ActivationGradLowering<SigmoidGradOp>,
      ActivationGradLowering<TanhGradOp>, SoftmaxLowering, SoftmaxGradLowering,
      SparseCategoricalCrossentropyLowering,
      SparseCategoricalCrossentropyGradLowering,
      SparseSoftmaxCrossEntropyLowering, SparseSoftmaxCrossEntropyGradLowering,
      SparseCategoricalAccuracyLowering>(patterns.getContext());
  populateKilnWindowOpsToLinalgPatterns(patterns);
  populateKilnActivationsToLinalgPatterns(patterns);
  populateKilnLossesToLinalgPatterns(patterns);
  populateKilnTensorOpsToLinalgPatterns(patterns);
  populateKilnLayerOpsToLinalgPatterns(patterns);
  patterns.add<LogSoftmaxLowering, LogSoftmaxGradLowering>(
      patterns.getContext());
  populateKilnNormOpsToLinalgPatterns(patterns);
  populateKilnImageOpsToLinalgPatterns(patterns);
}
