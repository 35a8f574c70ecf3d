//===- ActivationsToLinalg.cpp - Further activations to linalg ------------===//
//
// The activations beyond relu, sigmoid and tanh (which kiln.linear can fuse
// and KilnToLinalg.cpp lowers) and their derivatives, and the square root, each
// one elementwise `linalg.generic` whose body is the scalar formula of the op's
// documentation.
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

/// SELU's constants, as Keras defines them.
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;

/// The scalar formula of one op; `op` gives access to its attributes.
template <typename OpTy>
Value formula(OpTy op, OpBuilder &b, Location loc, ValueRange args);

/// Lowers a unary or binary activation op to one elementwise generic.
template <typename OpTy>
struct ElementwiseLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, elementwiseOp(rewriter, op.getLoc(), adaptor.getOperands(),
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return formula(op, b, loc, args);
                          }));
    return success();
  }
};

Value cmp(OpBuilder &b, Location loc, arith::CmpFPredicate pred, Value x,
          float c) {
  return arith::CmpFOp::create(b, loc, pred, x, f32Const(b, loc, c));
}
Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value mulc(OpBuilder &b, Location loc, Value x, float c) {
  return mul(b, loc, x, f32Const(b, loc, c));
}
Value addc(OpBuilder &b, Location loc, Value x, float c) {
  return arith::AddFOp::create(b, loc, x, f32Const(b, loc, c));
}
Value select(OpBuilder &b, Location loc, Value cond, Value x, Value y) {
  return arith::SelectOp::create(b, loc, cond, x, y);
}
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, f32Const(b, loc, 1.0f),
                               addc(b, loc, e, 1.0f));
}
// erf, expm1 and log1p are written with exp and log, which every lowering
// turns into vector code (approximate-math) or LLVM intrinsics; libm's
// versions do not lower on the multi-dimensional vectors of NHWC tiles.

/// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
Value erf(OpBuilder &b, Location loc, Value x) {
  Value ax = math::AbsFOp::create(b, loc, x);
  Value t =
      arith::DivFOp::create(b, loc, f32Const(b, loc, 1.0f),
                            addc(b, loc, mulc(b, loc, ax, 0.3275911f), 1));
  Value poly = f32Const(b, loc, 1.061405429f);
  for (float c : {-1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f})
    poly = addc(b, loc, mul(b, loc, poly, t), c);
  poly = mul(b, loc, poly, t);
  Value e = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, mul(b, loc, ax, ax)));
  Value magnitude = arith::SubFOp::create(b, loc, f32Const(b, loc, 1.0f),
                                          mul(b, loc, poly, e));
  return math::CopySignOp::create(b, loc, magnitude, x);
}

/// exp(x) - 1.
Value expm1(OpBuilder &b, Location loc, Value x) {
  return addc(b, loc, math::ExpOp::create(b, loc, x), -1.0f);
}

/// log(1 + x) for x >= 0, exact for tiny x: log(u) · x / (u - 1), u = 1 + x.
Value log1p(OpBuilder &b, Location loc, Value x) {
  Value u = addc(b, loc, x, 1.0f);
  Value uMinusOne = addc(b, loc, u, -1.0f);
  Value ratio = arith::DivFOp::create(
      b, loc, mul(b, loc, math::LogOp::create(b, loc, u), x), uMinusOne);
  return select(b, loc, cmp(b, loc, arith::CmpFPredicate::OEQ, uMinusOne, 0), x,
                ratio);
}

/// Φ(x), the standard normal distribution function.
Value normalCdf(OpBuilder &b, Location loc, Value x) {
  Value e = erf(b, loc, mulc(b, loc, x, float(M_SQRT1_2)));
  return mulc(b, loc, addc(b, loc, e, 1.0f), 0.5f);
}

using CF = arith::CmpFPredicate;

// Forward formulas: args = {x}.
template <>
Value formula(Relu6Op, OpBuilder &b, Location loc, ValueRange args) {
  Value lo = arith::MaximumFOp::create(b, loc, args[0], f32Const(b, loc, 0));
  return arith::MinimumFOp::create(b, loc, lo, f32Const(b, loc, 6));
}
template <>
Value formula(EluOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0];
  Value neg = expm1(b, loc, x);
  float alpha = op.getAlpha().convertToFloat();
  if (alpha != 1.0f)
    neg = mulc(b, loc, neg, alpha);
  return select(b, loc, cmp(b, loc, CF::OGT, x, 0), x, neg);
}
template <> Value formula(SeluOp, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0];
  Value neg = mulc(b, loc, expm1(b, loc, x), kSeluAlpha);
  return mulc(b, loc, select(b, loc, cmp(b, loc, CF::OGT, x, 0), x, neg),
              kSeluScale);
}
template <>
Value formula(SoftplusOp, OpBuilder &b, Location loc, ValueRange args) {
  // max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
  Value x = args[0];
  Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail = log1p(b, loc, math::ExpOp::create(b, loc, negAbs));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x, f32Const(b, loc, 0)), tail);
}
template <>
Value formula(SoftsignOp, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0];
  return arith::DivFOp::create(
      b, loc, x, addc(b, loc, math::AbsFOp::create(b, loc, x), 1.0f));
}
template <>
Value formula(HardSigmoidOp, OpBuilder &b, Location loc, ValueRange args) {
  Value y = addc(b, loc, mulc(b, loc, args[0], 1.0f / 6.0f), 0.5f);
  y = arith::MaximumFOp::create(b, loc, y, f32Const(b, loc, 0));
  return arith::MinimumFOp::create(b, loc, y, f32Const(b, loc, 1));
}
template <>
Value formula(ExponentialOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::ExpOp::create(b, loc, args[0]);
}
template <> Value formula(GeluOp, OpBuilder &b, Location loc, ValueRange args) {
  return mul(b, loc, args[0], normalCdf(b, loc, args[0]));
}
template <>
Value formula(SwishOp, OpBuilder &b, Location loc, ValueRange args) {
  return mul(b, loc, args[0], sigmoid(b, loc, args[0]));
}
template <>
Value formula(LeakyReluOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value x = args[0];
  return select(b, loc, cmp(b, loc, CF::OGT, x, 0), x,
                mulc(b, loc, x, op.getAlpha().convertToFloat()));
}

template <>
Value formula(ClippedReluOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value lo = arith::MaximumFOp::create(b, loc, args[0], f32Const(b, loc, 0));
  return arith::MinimumFOp::create(
      b, loc, lo, f32Const(b, loc, op.getMaxValue().convertToFloat()));
}

// Derivatives: args = {dy, y} or {dy, x}.
template <>
Value formula(Relu6GradOp, OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[1];
  Value inside = arith::AndIOp::create(b, loc, cmp(b, loc, CF::OGT, y, 0),
                                       cmp(b, loc, CF::OLT, y, 6));
  return select(b, loc, inside, args[0], f32Const(b, loc, 0));
}
template <>
Value formula(ClippedReluGradOp op, OpBuilder &b, Location loc,
              ValueRange args) {
  Value y = args[1];
  Value inside = arith::AndIOp::create(
      b, loc, cmp(b, loc, CF::OGT, y, 0),
      cmp(b, loc, CF::OLT, y, op.getMaxValue().convertToFloat()));
  return select(b, loc, inside, args[0], f32Const(b, loc, 0));
}
template <>
Value formula(EluGradOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value dy = args[0], y = args[1];
  return select(
      b, loc, cmp(b, loc, CF::OGT, y, 0), dy,
      mul(b, loc, dy, addc(b, loc, y, op.getAlpha().convertToFloat())));
}
template <>
Value formula(SeluGradOp, OpBuilder &b, Location loc, ValueRange args) {
  Value dy = args[0], y = args[1];
  return select(b, loc, cmp(b, loc, CF::OGT, y, 0),
                mulc(b, loc, dy, kSeluScale),
                mul(b, loc, dy, addc(b, loc, y, kSeluScale * kSeluAlpha)));
}
template <>
Value formula(SoftplusGradOp, OpBuilder &b, Location loc, ValueRange args) {
  // sigmoid(x) = 1 - exp(-y), without cancellation for small y.
  Value e = expm1(b, loc, arith::NegFOp::create(b, loc, args[1]));
  return mul(b, loc, args[0], arith::NegFOp::create(b, loc, e));
}
template <>
Value formula(SoftsignGradOp, OpBuilder &b, Location loc, ValueRange args) {
  Value t = arith::SubFOp::create(b, loc, f32Const(b, loc, 1.0f),
                                  math::AbsFOp::create(b, loc, args[1]));
  return mul(b, loc, args[0], mul(b, loc, t, t));
}
template <>
Value formula(HardSigmoidGradOp, OpBuilder &b, Location loc, ValueRange args) {
  Value y = args[1];
  Value inside = arith::AndIOp::create(b, loc, cmp(b, loc, CF::OGT, y, 0),
                                       cmp(b, loc, CF::OLT, y, 1));
  return select(b, loc, inside, mulc(b, loc, args[0], 1.0f / 6.0f),
                f32Const(b, loc, 0));
}
template <>
Value formula(ExponentialGradOp, OpBuilder &b, Location loc, ValueRange args) {
  return mul(b, loc, args[0], args[1]);
}
template <>
Value formula(GeluGradOp, OpBuilder &b, Location loc, ValueRange args) {
  // Φ(x) + x · φ(x), φ(x) = exp(-x²/2) / √(2π).
  Value x = args[1];
  Value pdf =
      mulc(b, loc,
           math::ExpOp::create(b, loc, mulc(b, loc, mul(b, loc, x, x), -0.5f)),
           0.3989422804014327f);
  Value d =
      arith::AddFOp::create(b, loc, normalCdf(b, loc, x), mul(b, loc, x, pdf));
  return mul(b, loc, args[0], d);
}
template <>
Value formula(SwishGradOp, OpBuilder &b, Location loc, ValueRange args) {
  // s + x · s · (1 - s)
  Value x = args[1];
  Value s = sigmoid(b, loc, x);
  Value oneMinusS = arith::SubFOp::create(b, loc, f32Const(b, loc, 1.0f), s);
  Value d = arith::AddFOp::create(b, loc, s,
                                  mul(b, loc, mul(b, loc, x, s), oneMinusS));
  return mul(b, loc, args[0], d);
}
template <>
Value formula(LeakyReluGradOp op, OpBuilder &b, Location loc, ValueRange args) {
  Value dy = args[0];
  return select(b, loc, cmp(b, loc, CF::OGT, args[1], 0), dy,
                mulc(b, loc, dy, op.getAlpha().convertToFloat()));
}
template <> Value formula(SqrtOp, OpBuilder &b, Location loc, ValueRange args) {
  return math::SqrtOp::create(b, loc, args[0]);
}
template <>
Value formula(SqrtGradOp, OpBuilder &b, Location loc, ValueRange args) {
  // dy / (2 · y)
  return arith::DivFOp::create(b, loc, args[0], mulc(b, loc, args[1], 2.0f));
}

} // namespace

void mlir::kiln::populateKilnActivationsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseLowering<Relu6Op>, ElementwiseLowering<EluOp>,
      ElementwiseLowering<SeluOp>, ElementwiseLowering<SoftplusOp>,
      ElementwiseLowering<SoftsignOp>, ElementwiseLowering<HardSigmoidOp>,
      ElementwiseLowering<ExponentialOp>, ElementwiseLowering<GeluOp>,
      ElementwiseLowering<SwishOp>, ElementwiseLowering<LeakyReluOp>,
      ElementwiseLowering<Relu6GradOp>, ElementwiseLowering<EluGradOp>,
      ElementwiseLowering<SeluGradOp>, ElementwiseLowering<SoftplusGradOp>,
      ElementwiseLowering<SoftsignGradOp>,
      ElementwiseLowering<HardSigmoidGradOp>,
      ElementwiseLowering<ExponentialGradOp>, ElementwiseLowering<GeluGradOp>,
      ElementwiseLowering<SwishGradOp>, ElementwiseLowering<LeakyReluGradOp>,
      ElementwiseLowering<ClippedReluOp>,
      ElementwiseLowering<ClippedReluGradOp>, ElementwiseLowering<SqrtOp>,
      ElementwiseLowering<SqrtGradOp>>(patterns.getContext());
}
