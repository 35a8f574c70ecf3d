//===- LossesToLinalg.cpp - Dense-target losses and metrics to linalg -----===//
//
// Every dense-target loss is one reduction of a per-element term over the
// whole prediction into a 0-d tensor, scaled by 1/N afterwards (N all
// elements, or the batch for the categorical losses); every gradient is one
// elementwise generic. The categorical forms first reduce each row (the sum
// of the probabilities, or the max and sum-of-exponentials of the logits)
// and feed the row values to the main generic through a row map.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::detail;

namespace {

/// Keras's backend epsilon, by which probabilities are clipped.
constexpr float kEpsilon = 1e-7f;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

using TermFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value div(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
}
Value cmpf(OpBuilder &b, Location loc, arith::CmpFPredicate pred, Value x,
           Value y) {
  return arith::CmpFOp::create(b, loc, pred, x, y);
}
Value select(OpBuilder &b, Location loc, Value cond, Value x, Value y) {
  return arith::SelectOp::create(b, loc, cond, x, y);
}
Value toF32(OpBuilder &b, Location loc, Value flag) {
  return arith::UIToFPOp::create(b, loc, b.getF32Type(), flag);
}

/// 1 / (the product of dimensions `dims` of `x`), as an f32 scalar.
Value inverseCount(OpBuilder &b, Location loc, Value x,
                   ArrayRef<int64_t> dims) {
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d : dims)
    count = arith::MulIOp::create(b, loc, count,
                                  tensor::DimOp::create(b, loc, x, d));
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  Value asFloat = arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
  return div(b, loc, f32Const(b, loc, 1.0f), asFloat);
}

/// 1/N over all elements of `x`.
Value inverseElementCount(OpBuilder &b, Location loc, Value x) {
  return inverseCount(b, loc, x,
                      llvm::to_vector(llvm::seq<int64_t>(typeOf(x).getRank())));
}

/// The input maps of `inputs` over the iteration space of `like`: identity
/// for tensors of its rank, the row map d0 for rank-1 row values and the
/// empty map for 0-d scalars.
SmallVector<AffineMap> operandMaps(ValueRange inputs, int64_t rank,
                                   MLIRContext *ctx) {
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    int64_t inputRank = typeOf(input).getRank();
    if (inputRank == rank)
      maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    else if (inputRank == 0)
      maps.push_back(AffineMap::get(rank, 0, {}, ctx));
    else
      maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(0, ctx)));
  }
  return maps;
}

/// `factor · Σ term(inputs)` over every element of `inputs.front()`, into a
/// 0-d tensor. The factor multiplies the sum, not each term.
Value scaledSum(OpBuilder &b, Location loc, ValueRange inputs, Value factor,
                TermFn term) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = typeOf(inputs.front()).getRank();
  Value zero = f32Const(b, loc, 0.0f);
  Value init = fillTensor(
      b, loc,
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type()),
      zero);
  SmallVector<AffineMap> maps = operandMaps(inputs, rank, ctx);
  maps.push_back(AffineMap::get(rank, 0, {}, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  Value sum = genericOp(b, loc, inputs, init, maps, iterators,
                        [&](OpBuilder &nb, Location nloc, ValueRange args) {
                          Value t = term(nb, nloc, args.drop_back());
                          return add(nb, nloc, args.back(), t);
                        });
  Value out =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type());
  return genericOp(
      b, loc, {sum}, out,
      {AffineMap::get(0, 0, {}, ctx), AffineMap::get(0, 0, {}, ctx)}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return mul(nb, nloc, args[0], factor);
      });
}

/// Reduces each row of the rank-2 `inputs.front()` into a rank-1 tensor:
/// acc = combine(acc, elements), starting from `initValue`.
Value rowReduce(
    OpBuilder &b, Location loc, ValueRange inputs, Value initValue,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  Value like = inputs.front();
  auto rowType =
      RankedTensorType::get({typeOf(like).getDimSize(0)}, initValue.getType());
  Value init = fillTensor(
      b, loc,
      emptyTensor(b, loc, rowType.getShape(), initValue.getType(), like),
      initValue);
  SmallVector<AffineMap> maps = operandMaps(inputs, 2, ctx);
  maps.push_back(AffineMap::get(2, 0, getAffineDimExpr(0, ctx)));
  return genericOp(
      b, loc, inputs, init, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return combine(nb, nloc, args.drop_back(), args.back());
      });
}

Value rowSum(OpBuilder &b, Location loc, ValueRange inputs, TermFn term) {
  return rowReduce(
      b, loc, inputs, f32Const(b, loc, 0.0f),
      [&](OpBuilder &nb, Location nloc, ValueRange elems, Value acc) {
        return add(nb, nloc, acc, term(nb, nloc, elems));
      });
}

Value rowMaximum(OpBuilder &b, Location loc, Value x) {
  return rowReduce(
      b, loc, {x}, f32Const(b, loc, -std::numeric_limits<float>::infinity()),
      [](OpBuilder &nb, Location nloc, ValueRange elems, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, nloc, elems[0], acc);
      });
}

Value columnIndex(OpBuilder &b, Location loc) {
  Value index = linalg::IndexOp::create(b, loc, 1);
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), index);
}

/// The first column holding each row's maximum (i32, rank 1).
Value rowArgmax(OpBuilder &b, Location loc, Value x) {
  Value max = rowMaximum(b, loc, x);
  Value notFound = arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(std::numeric_limits<int32_t>::max()));
  return rowReduce(
      b, loc, {x, max}, notFound,
      [&](OpBuilder &nb, Location nloc, ValueRange elems, Value acc) -> Value {
        Value isMax =
            cmpf(nb, nloc, arith::CmpFPredicate::OEQ, elems[0], elems[1]);
        Value candidate =
            select(nb, nloc, isMax, columnIndex(nb, nloc), notFound);
        return arith::MinSIOp::create(nb, nloc, candidate, acc);
      });
}

/// An elementwise generic over `inputs.front()`'s shape; the other inputs
/// may be 0-d scalars or rank-1 row values.
Value mapLike(OpBuilder &b, Location loc, Type resultType, ValueRange inputs,
              Value like, TermFn body) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(resultType);
  int64_t rank = type.getRank();
  Value init =
      emptyTensor(b, loc, type.getShape(), type.getElementType(), like);
  SmallVector<AffineMap> maps = operandMaps(inputs, rank, ctx);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return genericOp(b, loc, inputs, init, maps, iterators, body);
}

/// sigmoid(z), without overflow for either sign of z.
Value stableSigmoid(OpBuilder &b, Location loc, Value z) {
  Value e = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, z)));
  Value onePlus = add(b, loc, f32Const(b, loc, 1.0f), e);
  Value positive =
      cmpf(b, loc, arith::CmpFPredicate::OGE, z, f32Const(b, loc, 0.0f));
  return select(b, loc, positive, div(b, loc, f32Const(b, loc, 1.0f), onePlus),
                div(b, loc, e, onePlus));
}

/// ε <= p <= 1 - ε, where clipping passes the gradient through.
Value insideClip(OpBuilder &b, Location loc, Value p) {
  Value lo =
      cmpf(b, loc, arith::CmpFPredicate::OGE, p, f32Const(b, loc, kEpsilon));
  Value hi = cmpf(b, loc, arith::CmpFPredicate::OLE, p,
                  f32Const(b, loc, 1.0f - kEpsilon));
  return arith::AndIOp::create(b, loc, lo, hi);
}

Value clipProbability(OpBuilder &b, Location loc, Value p) {
  Value lo = f32Const(b, loc, kEpsilon);
  Value hi = f32Const(b, loc, 1.0f - kEpsilon);
  return arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, p, lo), hi);
}

//===----------------------------------------------------------------------===//
// Element-averaged losses: the per-element term and its derivative
//===----------------------------------------------------------------------===//

/// The loss term f(p, t) of one element, and its derivative ∂f/∂p.
template <typename OpTy>
Value lossTerm(OpTy op, OpBuilder &b, Location loc, Value p, Value t);
template <typename OpTy>
Value lossDerivative(OpTy op, OpBuilder &b, Location loc, Value p, Value t);

template <>
Value lossTerm(MeanSquaredErrorOp, OpBuilder &b, Location loc, Value p,
               Value t) {
  Value e = sub(b, loc, p, t);
  return mul(b, loc, e, e);
}
template <>
Value lossDerivative(MeanSquaredErrorGradOp, OpBuilder &b, Location loc,
                     Value p, Value t) {
  return mul(b, loc, f32Const(b, loc, 2.0f), sub(b, loc, p, t));
}

template <>
Value lossTerm(MeanDifferenceOp, OpBuilder &b, Location loc, Value p, Value t) {
  return sub(b, loc, p, t);
}
template <>
Value lossDerivative(MeanDifferenceGradOp, OpBuilder &b, Location loc, Value p,
                     Value t) {
  return f32Const(b, loc, 1.0f);
}

template <>
Value lossTerm(MeanAbsoluteErrorOp, OpBuilder &b, Location loc, Value p,
               Value t) {
  return math::AbsFOp::create(b, loc, sub(b, loc, p, t));
}
template <>
Value lossDerivative(MeanAbsoluteErrorGradOp, OpBuilder &b, Location loc,
                     Value p, Value t) {
  // sign(e), 0 at e == 0 as the subgradient TensorFlow and PyTorch take.
  Value e = sub(b, loc, p, t);
  Value zero = f32Const(b, loc, 0.0f);
  Value pos = toF32(b, loc, cmpf(b, loc, arith::CmpFPredicate::OGT, e, zero));
  Value neg = toF32(b, loc, cmpf(b, loc, arith::CmpFPredicate::OLT, e, zero));
  return sub(b, loc, pos, neg);
}

template <>
Value lossTerm(HuberOp op, OpBuilder &b, Location loc, Value p, Value t) {
  float delta = op.getDelta().convertToFloat();
  Value e = sub(b, loc, p, t);
  Value a = math::AbsFOp::create(b, loc, e);
  Value quadratic = mul(b, loc, f32Const(b, loc, 0.5f), mul(b, loc, e, e));
  Value linear = sub(b, loc, mul(b, loc, f32Const(b, loc, delta), a),
                     f32Const(b, loc, 0.5f * delta * delta));
  Value small =
      cmpf(b, loc, arith::CmpFPredicate::OLE, a, f32Const(b, loc, delta));
  return select(b, loc, small, quadratic, linear);
}
template <>
Value lossDerivative(HuberGradOp op, OpBuilder &b, Location loc, Value p,
                     Value t) {
  float delta = op.getDelta().convertToFloat();
  Value e = sub(b, loc, p, t);
  return arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, e, f32Const(b, loc, -delta)),
      f32Const(b, loc, delta));
}

template <>
Value lossTerm(BinaryCrossentropyOp, OpBuilder &b, Location loc, Value p,
               Value t) {
  // -(t log(q + ε) + (1 - t) log(1 - q + ε)), q = clip(p): Keras's formula.
  Value q = clipProbability(b, loc, p);
  Value one = f32Const(b, loc, 1.0f);
  Value eps = f32Const(b, loc, kEpsilon);
  Value logQ = math::LogOp::create(b, loc, add(b, loc, q, eps));
  Value log1mQ =
      math::LogOp::create(b, loc, add(b, loc, sub(b, loc, one, q), eps));
  Value sum = add(b, loc, mul(b, loc, t, logQ),
                  mul(b, loc, sub(b, loc, one, t), log1mQ));
  return arith::NegFOp::create(b, loc, sum);
}
template <>
Value lossDerivative(BinaryCrossentropyGradOp, OpBuilder &b, Location loc,
                     Value p, Value t) {
  Value one = f32Const(b, loc, 1.0f);
  Value eps = f32Const(b, loc, kEpsilon);
  Value g = sub(
      b, loc,
      div(b, loc, sub(b, loc, one, t), add(b, loc, sub(b, loc, one, p), eps)),
      div(b, loc, t, add(b, loc, p, eps)));
  return select(b, loc, insideClip(b, loc, p), g, f32Const(b, loc, 0.0f));
}

template <>
Value lossTerm(SigmoidBinaryCrossEntropyOp, OpBuilder &b, Location loc, Value z,
               Value t) {
  // max(z, 0) - z t + log(1 + exp(-|z|)): no exp of a positive number.
  Value zero = f32Const(b, loc, 0.0f);
  Value e = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, z)));
  Value softplus =
      math::LogOp::create(b, loc, add(b, loc, f32Const(b, loc, 1.0f), e));
  return add(b, loc,
             sub(b, loc, arith::MaximumFOp::create(b, loc, z, zero),
                 mul(b, loc, z, t)),
             softplus);
}
template <>
Value lossDerivative(SigmoidBinaryCrossEntropyGradOp, OpBuilder &b,
                     Location loc, Value z, Value t) {
  return sub(b, loc, stableSigmoid(b, loc, z), t);
}

/// loss = (1/N) Σ f(p, t)
template <typename OpTy>
struct ElementLossLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = adaptor.getPrediction();
    Value loss = scaledSum(rewriter, loc, {p, adaptor.getTarget()},
                           inverseElementCount(rewriter, loc, p),
                           [&](OpBuilder &b, Location nloc, ValueRange args) {
                             return lossTerm(op, b, nloc, args[0], args[1]);
                           });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

/// dp = dl / N · ∂f/∂p
template <typename OpTy>
struct ElementLossGradLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = adaptor.getPrediction();
    Value scale = mul(rewriter, loc, inverseElementCount(rewriter, loc, p),
                      tensor::ExtractOp::create(
                          rewriter, loc, adaptor.getGrad(), ValueRange{}));
    rewriter.replaceOp(
        op, mapLike(rewriter, loc, op.getType(), {p, adaptor.getTarget()}, p,
                    [&](OpBuilder &b, Location nloc, ValueRange args) {
                      return mul(b, nloc, scale,
                                 lossDerivative(op, b, nloc, args[0], args[1]));
                    }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Categorical cross-entropy
//===----------------------------------------------------------------------===//

/// -(1/n) Σ t log(clip(p / s)), s the row sums of p.
struct CategoricalCrossentropyLowering
    : public OpConversionPattern<CategoricalCrossentropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CategoricalCrossentropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = adaptor.getPrediction();
    Value sums =
        rowSum(rewriter, loc, {p},
               [](OpBuilder &, Location, ValueRange e) { return e[0]; });
    Value negInvN = arith::NegFOp::create(rewriter, loc,
                                          inverseCount(rewriter, loc, p, {0}));
    rewriter.replaceOp(
        op, scaledSum(rewriter, loc, {p, adaptor.getTarget(), sums}, negInvN,
                      [](OpBuilder &b, Location nloc, ValueRange args) {
                        Value q = clipProbability(
                            b, nloc, div(b, nloc, args[0], args[2]));
                        return mul(b, nloc, args[1],
                                   math::LogOp::create(b, nloc, q));
                      }));
    return success();
  }
};

/// dp_i = dl/n · (g_i + Σ_j t_j [q_j live]) / s with g_i = -t_i [q_i live]/q_i,
/// the chain rule through the row normalization q = p / s.
struct CategoricalCrossentropyGradLowering
    : public OpConversionPattern<CategoricalCrossentropyGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CategoricalCrossentropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = adaptor.getPrediction();
    Value t = adaptor.getTarget();
    Value sums =
        rowSum(rewriter, loc, {p},
               [](OpBuilder &, Location, ValueRange e) { return e[0]; });
    Value liveTargets = rowSum(rewriter, loc, {p, t, sums},
                               [](OpBuilder &b, Location nloc, ValueRange e) {
                                 Value q = div(b, nloc, e[0], e[2]);
                                 return select(b, nloc, insideClip(b, nloc, q),
                                               e[1], f32Const(b, nloc, 0.0f));
                               });
    Value scale = mul(rewriter, loc, inverseCount(rewriter, loc, p, {0}),
                      tensor::ExtractOp::create(
                          rewriter, loc, adaptor.getGrad(), ValueRange{}));
    rewriter.replaceOp(
        op, mapLike(rewriter, loc, op.getType(), {p, t, sums, liveTargets}, p,
                    [&](OpBuilder &b, Location nloc, ValueRange e) {
                      Value q = div(b, nloc, e[0], e[2]);
                      Value g = select(
                          b, nloc, insideClip(b, nloc, q),
                          arith::NegFOp::create(b, nloc, div(b, nloc, e[1], q)),
                          f32Const(b, nloc, 0.0f));
                      Value d = div(b, nloc, add(b, nloc, g, e[3]), e[2]);
                      return mul(b, nloc, scale, d);
                    }));
    return success();
  }
};

/// (1/n) Σ_b Σ_i t[b,i] (lse_b - z[b,i]), lse_b = log Σ exp(z - m_b) + m_b.
struct SoftmaxCrossEntropyLowering
    : public OpConversionPattern<SoftmaxCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxCrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value z = adaptor.getPrediction();
    Value max = rowMaximum(rewriter, loc, z);
    Value sumExp = rowSum(
        rewriter, loc, {z, max}, [](OpBuilder &b, Location nloc, ValueRange e) {
          return math::ExpOp::create(b, nloc, sub(b, nloc, e[0], e[1]));
        });
    rewriter.replaceOp(
        op, scaledSum(rewriter, loc, {z, adaptor.getTarget(), max, sumExp},
                      inverseCount(rewriter, loc, z, {0}),
                      [](OpBuilder &b, Location nloc, ValueRange e) {
                        Value lse = add(
                            b, nloc, math::LogOp::create(b, nloc, e[3]), e[2]);
                        return mul(b, nloc, e[1], sub(b, nloc, lse, e[0]));
                      }));
    return success();
  }
};

/// dz_i = dl/n · (softmax(z)_i Σ_j t_j - t_i)
struct SoftmaxCrossEntropyGradLowering
    : public OpConversionPattern<SoftmaxCrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxCrossEntropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value z = adaptor.getPrediction();
    Value t = adaptor.getTarget();
    Value max = rowMaximum(rewriter, loc, z);
    Value sumExp = rowSum(
        rewriter, loc, {z, max}, [](OpBuilder &b, Location nloc, ValueRange e) {
          return math::ExpOp::create(b, nloc, sub(b, nloc, e[0], e[1]));
        });
    Value targetSums =
        rowSum(rewriter, loc, {t},
               [](OpBuilder &, Location, ValueRange e) { return e[0]; });
    Value scale = mul(rewriter, loc, inverseCount(rewriter, loc, z, {0}),
                      tensor::ExtractOp::create(
                          rewriter, loc, adaptor.getGrad(), ValueRange{}));
    rewriter.replaceOp(
        op,
        mapLike(rewriter, loc, op.getType(), {z, t, max, sumExp, targetSums}, z,
                [&](OpBuilder &b, Location nloc, ValueRange e) {
                  Value softmax = div(
                      b, nloc,
                      math::ExpOp::create(b, nloc, sub(b, nloc, e[0], e[2])),
                      e[3]);
                  Value d = sub(b, nloc, mul(b, nloc, softmax, e[4]), e[1]);
                  return mul(b, nloc, scale, d);
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

/// (1/N) Σ [t == (p > threshold ? 1 : 0)], Keras's exact comparison.
struct BinaryAccuracyLowering : public OpConversionPattern<BinaryAccuracyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BinaryAccuracyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = adaptor.getPrediction();
    float threshold = op.getThreshold().convertToFloat();
    rewriter.replaceOp(
        op, scaledSum(rewriter, loc, {p, adaptor.getTarget()},
                      inverseElementCount(rewriter, loc, p),
                      [&](OpBuilder &b, Location nloc, ValueRange e) {
                        Value above =
                            toF32(b, nloc,
                                  cmpf(b, nloc, arith::CmpFPredicate::OGT, e[0],
                                       f32Const(b, nloc, threshold)));
                        return toF32(b, nloc,
                                     cmpf(b, nloc, arith::CmpFPredicate::OEQ,
                                          above, e[1]));
                      }));
    return success();
  }
};

/// (1/n) Σ_b [argmax p[b] == argmax t[b]]
struct CategoricalAccuracyLowering
    : public OpConversionPattern<CategoricalAccuracyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CategoricalAccuracyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value p = adaptor.getScores();
    Value predicted = rowArgmax(rewriter, loc, p);
    Value expected = rowArgmax(rewriter, loc, adaptor.getTarget());
    rewriter.replaceOp(
        op, scaledSum(rewriter, loc, {predicted, expected},
                      inverseCount(rewriter, loc, p, {0}),
                      [](OpBuilder &b, Location nloc, ValueRange e) {
                        return toF32(
                            b, nloc,
                            arith::CmpIOp::create(
                                b, nloc, arith::CmpIPredicate::eq, e[0], e[1]));
                      }));
    return success();
  }
};

/// (1/n) Σ_b [#{i : s[b,i] > s[b, y_b]} < k]
struct SparseTopKCategoricalAccuracyLowering
    : public OpConversionPattern<SparseTopKCategoricalAccuracyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SparseTopKCategoricalAccuracyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value s = adaptor.getScores();
    Value labels = adaptor.getLabels();
    // The label's score; a label outside the classes picks -inf and misses.
    Value picked = rowReduce(
        rewriter, loc, {s, labels},
        f32Const(rewriter, loc, -std::numeric_limits<float>::infinity()),
        [](OpBuilder &b, Location nloc, ValueRange e, Value acc) -> Value {
          Value isLabel = arith::CmpIOp::create(
              b, nloc, arith::CmpIPredicate::eq, columnIndex(b, nloc), e[1]);
          return select(b, nloc, isLabel, e[0], acc);
        });
    Value greater = rowSum(
        rewriter, loc, {s, picked},
        [](OpBuilder &b, Location nloc, ValueRange e) {
          return toF32(b, nloc,
                       cmpf(b, nloc, arith::CmpFPredicate::OGT, e[0], e[1]));
        });
    float k = static_cast<float>(op.getK());
    rewriter.replaceOp(
        op,
        scaledSum(rewriter, loc, {greater, picked},
                  inverseCount(rewriter, loc, s, {0}),
                  [&](OpBuilder &b, Location nloc, ValueRange e) {
                    // A label scored -inf (out of range) never hits.
                    Value few = cmpf(b, nloc, arith::CmpFPredicate::OLT, e[0],
                                     f32Const(b, nloc, k));
                    Value finite =
                        cmpf(b, nloc, arith::CmpFPredicate::OGT, e[1],
                             f32Const(b, nloc,
                                      -std::numeric_limits<float>::infinity()));
                    return toF32(b, nloc,
                                 arith::AndIOp::create(b, nloc, few, finite));
                  }));
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnLossesToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<ElementLossLowering<MeanSquaredErrorOp>,
           ElementLossGradLowering<MeanSquaredErrorGradOp>,
           ElementLossLowering<MeanAbsoluteErrorOp>,
           ElementLossGradLowering<MeanAbsoluteErrorGradOp>,
           ElementLossLowering<HuberOp>, ElementLossGradLowering<HuberGradOp>,
           ElementLossLowering<BinaryCrossentropyOp>,
           ElementLossGradLowering<BinaryCrossentropyGradOp>,
           ElementLossLowering<SigmoidBinaryCrossEntropyOp>,
           ElementLossGradLowering<SigmoidBinaryCrossEntropyGradOp>,
           CategoricalCrossentropyLowering, CategoricalCrossentropyGradLowering,
           SoftmaxCrossEntropyLowering, SoftmaxCrossEntropyGradLowering,
           BinaryAccuracyLowering, CategoricalAccuracyLowering,
           SparseTopKCategoricalAccuracyLowering,
           ElementLossLowering<MeanDifferenceOp>,
           ElementLossGradLowering<MeanDifferenceGradOp>>(
          patterns.getContext());
}
