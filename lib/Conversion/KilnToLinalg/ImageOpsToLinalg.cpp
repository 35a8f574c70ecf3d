//===- ImageOpsToLinalg.cpp - Lower image resampling and its transpose ----===//
//
// `kiln.image_transform` becomes one `linalg.generic` over the output
// pixels that computes each pixel's source point from its transform and
// gathers the (at most four) pixels around it with `tensor.extract`.
// Its gradient is the transposed scatter: an `scf.for` nest over the output
// pixels and channels adding each weighted gradient into the input
// pixels it was read from, in place. `kiln.random_image_transforms` is a
// generic over `N×8` hashing the image index with the key of the step, as
// dropout hashes its element index.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

#include <functional>

using namespace mlir;
using namespace mlir::kiln;
using namespace mlir::kiln::detail;

namespace {

Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// One pixel a resampled value reads: its interpolation weight, its
/// position inside the image (after the fill mode mapped it there) and
/// whether it is inside at all (false only for the constant fill).
struct Tap {
  Value weight, row, col, inside;
};

/// The source point of output pixel (row, col) and the pixels around it,
/// as `kiln.image_transform` defines them. `defined` is false where the
/// projective denominator is zero (the output is the fill value).
struct SamplePlan {
  SmallVector<Tap, 4> taps;
  Value defined;
};

/// Maps integer position `i` (i64) of an axis of extent `len` into the
/// image according to `fillMode`; returns (index, inside).
std::pair<Value, Value> mapIntoImage(OpBuilder &b, Location loc, Value i,
                                     int64_t len, StringRef fillMode) {
  auto c = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  Value trueValue = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  auto clamp = [&](Value v) -> Value {
    return arith::MinSIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, v, c(0)), c(len - 1));
  };
  /// `v` mod `period`, in [0, period).
  auto positiveMod = [&](Value v, int64_t period) -> Value {
    Value r = arith::RemSIOp::create(b, loc, v, c(period));
    Value negative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, c(0));
    return arith::SelectOp::create(
        b, loc, negative, arith::AddIOp::create(b, loc, r, c(period)), r);
  };
  if (fillMode == "nearest")
    return {clamp(i), trueValue};
  if (fillMode == "wrap")
    return {positiveMod(i, len), trueValue};
  if (fillMode == "reflect") {
    // Half-sample symmetric: period 2·len, the second half mirrored.
    Value r = positiveMod(i, 2 * len);
    Value mirrored = arith::SubIOp::create(b, loc, c(2 * len - 1), r);
    Value low =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, c(len));
    return {arith::SelectOp::create(b, loc, low, r, mirrored), trueValue};
  }
  // constant: read a safe index, the caller selects the fill value.
  Value inside = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, i, c(0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, c(len)));
  return {clamp(i), inside};
}

/// Float coordinate → i64, bounded first so that far-away (or NaN) points
/// convert without overflow; they land in the fill either way.
Value toI64(OpBuilder &b, Location loc, Value v) {
  const float bound = 1.0e7f;
  v = arith::MaxNumFOp::create(b, loc, v, f32Const(b, loc, -bound));
  v = arith::MinNumFOp::create(b, loc, v, f32Const(b, loc, bound));
  return arith::FPToSIOp::create(b, loc, b.getI64Type(), v);
}

SamplePlan planSample(OpBuilder &b, Location loc, Value transforms, Value row,
                      Value outRow, Value outCol, int64_t height, int64_t width,
                      StringRef interpolation, StringRef fillMode) {
  Value t[8];
  for (int64_t k = 0; k < 8; ++k)
    t[k] = tensor::ExtractOp::create(b, loc, transforms,
                                     ValueRange{row, indexConst(b, loc, k)});
  auto toF32 = [&](Value index) -> Value {
    Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), i);
  };
  Value x = toF32(outCol), y = toF32(outRow);
  auto affine = [&](Value a, Value c, Value d, Value one) -> Value {
    Value sum = arith::MulFOp::create(b, loc, a, x);
    sum =
        arith::AddFOp::create(b, loc, sum, arith::MulFOp::create(b, loc, c, y));
    return arith::AddFOp::create(b, loc, sum, d ? d : one);
  };
  Value k = affine(t[6], t[7], nullptr, f32Const(b, loc, 1.0f));
  SamplePlan plan;
  plan.defined = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, k,
                                       f32Const(b, loc, 0.0f));
  Value srcX = arith::DivFOp::create(b, loc, affine(t[0], t[1], t[2], {}), k);
  Value srcY = arith::DivFOp::create(b, loc, affine(t[3], t[4], t[5], {}), k);

  if (interpolation == "nearest") {
    auto [r, rIn] =
        mapIntoImage(b, loc, toI64(b, loc, math::RoundOp::create(b, loc, srcY)),
                     height, fillMode);
    auto [c, cIn] =
        mapIntoImage(b, loc, toI64(b, loc, math::RoundOp::create(b, loc, srcX)),
                     width, fillMode);
    plan.taps.push_back({f32Const(b, loc, 1.0f), r, c,
                         arith::AndIOp::create(b, loc, rIn, cIn)});
    return plan;
  }
  // Bilinear: the weight of the lower neighbour is (floor + 1 - point), of
  // the upper one (point - floor).
  Value floorX = math::FloorOp::create(b, loc, srcX);
  Value floorY = math::FloorOp::create(b, loc, srcY);
  Value one = f32Const(b, loc, 1.0f);
  Value wx[2] = {arith::SubFOp::create(
                     b, loc, arith::AddFOp::create(b, loc, floorX, one), srcX),
                 arith::SubFOp::create(b, loc, srcX, floorX)};
  Value wy[2] = {arith::SubFOp::create(
                     b, loc, arith::AddFOp::create(b, loc, floorY, one), srcY),
                 arith::SubFOp::create(b, loc, srcY, floorY)};
  Value baseX = toI64(b, loc, floorX), baseY = toI64(b, loc, floorY);
  Value oneI = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
  Value xs[2] = {baseX, arith::AddIOp::create(b, loc, baseX, oneI)};
  Value ys[2] = {baseY, arith::AddIOp::create(b, loc, baseY, oneI)};
  std::pair<Value, Value> cols[2], rows[2];
  for (int d = 0; d < 2; ++d) {
    cols[d] = mapIntoImage(b, loc, xs[d], width, fillMode);
    rows[d] = mapIntoImage(b, loc, ys[d], height, fillMode);
  }
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx)
      plan.taps.push_back(
          {arith::MulFOp::create(b, loc, wy[dy], wx[dx]), rows[dy].first,
           cols[dx].first,
           arith::AndIOp::create(b, loc, rows[dy].second, cols[dx].second)});
  return plan;
}

Value i64ToIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// The transform row of image `n`: `n`, or 0 when one row serves all.
Value transformRow(OpBuilder &b, Location loc, Value transforms, Value n) {
  auto type = cast<RankedTensorType>(transforms.getType());
  if (type.getDimSize(0) == 1)
    return indexConst(b, loc, 0);
  return n;
}

struct ImageTransformLowering : public OpConversionPattern<ImageTransformOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ImageTransformOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value input = adaptor.getInput(), transforms = adaptor.getTransforms();
    auto inType = cast<RankedTensorType>(input.getType());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t height = inType.getDimSize(1), width = inType.getDimSize(2);
    std::string interpolation = op.getInterpolation().str();
    std::string fillMode = op.getFillMode().str();
    float fillValue = op.getFillValue().convertToFloat();
    Value init = emptyTensor(b, loc, outType.getShape(), b.getF32Type(), input);
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, b.getContext());
    SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
    Value result = genericOp(
        b, loc, ValueRange{}, init, {id}, parallel,
        [&](OpBuilder &nb, Location nloc, ValueRange) -> Value {
          Value n = linalg::IndexOp::create(nb, nloc, 0);
          Value channel = linalg::IndexOp::create(nb, nloc, 3);
          SamplePlan plan = planSample(nb, nloc, transforms,
                                       transformRow(nb, nloc, transforms, n),
                                       linalg::IndexOp::create(nb, nloc, 1),
                                       linalg::IndexOp::create(nb, nloc, 2),
                                       height, width, interpolation, fillMode);
          Value fill = f32Const(nb, nloc, fillValue);
          Value sum = f32Const(nb, nloc, 0.0f);
          for (const Tap &tap : plan.taps) {
            Value pixel = tensor::ExtractOp::create(
                nb, nloc, input,
                ValueRange{n, i64ToIndex(nb, nloc, tap.row),
                           i64ToIndex(nb, nloc, tap.col), channel});
            pixel = arith::SelectOp::create(nb, nloc, tap.inside, pixel, fill);
            sum = arith::AddFOp::create(
                nb, nloc, sum,
                arith::MulFOp::create(nb, nloc, tap.weight, pixel));
          }
          return arith::SelectOp::create(nb, nloc, plan.defined, sum, fill);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The transposed scatter, in place on a zero-filled tensor carried by the
/// loops: one read-modify-write per tap of each output element.
struct ImageTransformGradLowering
    : public OpConversionPattern<ImageTransformGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ImageTransformGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value grad = adaptor.getGrad(), transforms = adaptor.getTransforms();
    auto gradType = cast<RankedTensorType>(grad.getType());
    auto inType = cast<RankedTensorType>(op.getType());
    int64_t height = inType.getDimSize(1), width = inType.getDimSize(2);
    std::string interpolation = op.getInterpolation().str();
    std::string fillMode = op.getFillMode().str();
    Value init = fillTensor(
        b, loc, emptyTensor(b, loc, inType.getShape(), b.getF32Type(), grad),
        f32Const(b, loc, 0.0f));
    Value c0 = indexConst(b, loc, 0), c1 = indexConst(b, loc, 1);
    Value bounds[4] = {tensor::DimOp::create(b, loc, grad, 0),
                       indexConst(b, loc, gradType.getDimSize(1)),
                       indexConst(b, loc, gradType.getDimSize(2)),
                       tensor::DimOp::create(b, loc, grad, 3)};
    // The loops over n, row and col, built outside in (`ivs` collects
    // them); the innermost computes the pixel's taps once and loops over
    // the channels. The depth is the rank, not input controlled.
    SmallVector<Value> ivs;
    std::function<Value(OpBuilder &, Location, Value, unsigned)> build =
        [&](OpBuilder &nb, Location nloc, Value acc, unsigned depth) -> Value {
      auto loop = scf::ForOp::create(
          nb, nloc, c0, bounds[depth], c1, ValueRange{acc},
          [&](OpBuilder &lb, Location lloc, Value iv, ValueRange iter) {
            ivs.push_back(iv);
            Value next = depth < 2
                             ? build(lb, lloc, iter[0], depth + 1)
                             : scatterPixel(lb, lloc, grad, transforms, iter[0],
                                            ivs, bounds[3], height, width,
                                            interpolation, fillMode);
            ivs.pop_back();
            scf::YieldOp::create(lb, lloc, next);
          });
      return loop.getResult(0);
    };
    Value result = build(b, loc, init, 0);
    rewriter.replaceOp(op, result);
    return success();
  }

  /// Adds output pixel (n, row, col)'s gradient, every channel, into the
  /// input pixels it was read from.
  static Value scatterPixel(OpBuilder &b, Location loc, Value grad,
                            Value transforms, Value acc, ArrayRef<Value> ivs,
                            Value channels, int64_t height, int64_t width,
                            StringRef interpolation, StringRef fillMode) {
    Value n = ivs[0], row = ivs[1], col = ivs[2];
    SamplePlan plan =
        planSample(b, loc, transforms, transformRow(b, loc, transforms, n), row,
                   col, height, width, interpolation, fillMode);
    Value zero = f32Const(b, loc, 0.0f);
    SmallVector<Value, 4> weights, rows, cols;
    for (const Tap &tap : plan.taps) {
      // Taps outside the image (constant fill) and undefined points add 0.
      Value live = arith::AndIOp::create(b, loc, tap.inside, plan.defined);
      weights.push_back(
          arith::SelectOp::create(b, loc, live, tap.weight, zero));
      rows.push_back(i64ToIndex(b, loc, tap.row));
      cols.push_back(i64ToIndex(b, loc, tap.col));
    }
    auto loop = scf::ForOp::create(
        b, loc, indexConst(b, loc, 0), channels, indexConst(b, loc, 1),
        ValueRange{acc},
        [&](OpBuilder &cb, Location cloc, Value channel, ValueRange iter) {
          Value g = tensor::ExtractOp::create(cb, cloc, grad,
                                              ValueRange{n, row, col, channel});
          Value sum = iter[0];
          for (auto [weight, r, c] : llvm::zip(weights, rows, cols)) {
            SmallVector<Value> at = {n, r, c, channel};
            Value old = tensor::ExtractOp::create(cb, cloc, sum, at);
            Value add = arith::AddFOp::create(
                cb, cloc, old, arith::MulFOp::create(cb, cloc, weight, g));
            sum = tensor::InsertOp::create(cb, cloc, add, sum, at);
          }
          scf::YieldOp::create(cb, cloc, sum);
        });
    return loop.getResult(0);
  }
};

/// Uniform draws in [0, 1) with 24 bits: mix32(mix32(e · φ ^ k₁) ^ k₂) >> 8
/// scaled by 2⁻²⁴, e = 4 · image + draw.
struct RandomImageTransformsLowering
    : public OpConversionPattern<RandomImageTransformsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RandomImageTransformsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value key = rngKey(b, loc, adaptor.getRng(), op.getStream());
    Value k1 = arith::TruncIOp::create(b, loc, b.getI32Type(), key);
    Value k2 = arith::TruncIOp::create(
        b, loc, b.getI32Type(),
        arith::ShRUIOp::create(b, loc, key, i64Const(b, loc, 32)));
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    float height = static_cast<float>(inType.getDimSize(1));
    float width = static_cast<float>(inType.getDimSize(2));
    std::string kind = op.getKind().str();
    SmallVector<float> ranges(op.getRanges());
    Value init = emptyTensor(b, loc, outType.getShape(), b.getF32Type(),
                             adaptor.getInput());
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, b.getContext());
    SmallVector<utils::IteratorType> parallel(2, utils::IteratorType::parallel);
    Value result = genericOp(
        b, loc, ValueRange{}, init, {id}, parallel,
        [&](OpBuilder &nb, Location nloc, ValueRange) -> Value {
          Value image = arith::IndexCastOp::create(
              nb, nloc, nb.getI32Type(), linalg::IndexOp::create(nb, nloc, 0));
          Value entry = linalg::IndexOp::create(nb, nloc, 1);
          auto cst = [&](float v) { return f32Const(nb, nloc, v); };
          auto draw = [&](uint32_t d) -> Value {
            Value e = arith::AddIOp::create(
                nb, nloc,
                arith::MulIOp::create(nb, nloc, image, i32Const(nb, nloc, 4)),
                i32Const(nb, nloc, d));
            Value h = arith::MulIOp::create(nb, nloc, e,
                                            i32Const(nb, nloc, 0x9E3779B9u));
            h = mix32(nb, nloc, arith::XOrIOp::create(nb, nloc, h, k1));
            h = mix32(nb, nloc, arith::XOrIOp::create(nb, nloc, h, k2));
            h = arith::ShRUIOp::create(nb, nloc, h, i32Const(nb, nloc, 8));
            Value u = arith::UIToFPOp::create(nb, nloc, nb.getF32Type(), h);
            return arith::MulFOp::create(nb, nloc, u, cst(0x1.0p-24f));
          };
          auto between = [&](float lo, float hi, Value u) -> Value {
            return arith::AddFOp::create(
                nb, nloc, cst(lo),
                arith::MulFOp::create(nb, nloc, cst(hi - lo), u));
          };
          auto mul = [&](Value a, Value c) -> Value {
            return arith::MulFOp::create(nb, nloc, a, c);
          };
          auto sub = [&](Value a, Value c) -> Value {
            return arith::SubFOp::create(nb, nloc, a, c);
          };
          Value row[8];
          for (Value &v : row)
            v = cst(0.0f);
          row[0] = row[4] = cst(1.0f);
          if (kind == "flip") {
            auto flipped = [&](uint32_t d) -> Value {
              return arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OLT,
                                           draw(d), cst(0.5f));
            };
            if (ranges[0] != 0.0f) {
              Value f = flipped(0);
              row[0] = arith::SelectOp::create(nb, nloc, f, cst(-1.0f), row[0]);
              row[2] =
                  arith::SelectOp::create(nb, nloc, f, cst(width - 1), row[2]);
            }
            if (ranges[1] != 0.0f) {
              Value f = flipped(1);
              row[4] = arith::SelectOp::create(nb, nloc, f, cst(-1.0f), row[4]);
              row[5] =
                  arith::SelectOp::create(nb, nloc, f, cst(height - 1), row[5]);
            }
          } else if (kind == "rotation") {
            Value angle = between(ranges[0], ranges[1], draw(0));
            Value cos = math::CosOp::create(nb, nloc, angle);
            Value sin = math::SinOp::create(nb, nloc, angle);
            Value w1 = cst(width - 1), h1 = cst(height - 1);
            Value halfX = sub(w1, sub(mul(cos, w1), mul(sin, h1)));
            Value halfY = sub(h1, arith::AddFOp::create(nb, nloc, mul(sin, w1),
                                                        mul(cos, h1)));
            row[0] = cos;
            row[1] = arith::NegFOp::create(nb, nloc, sin);
            row[2] = mul(halfX, cst(0.5f));
            row[3] = sin;
            row[4] = cos;
            row[5] = mul(halfY, cst(0.5f));
          } else if (kind == "zoom") {
            Value zy = between(ranges[0], ranges[1], draw(0));
            Value zx = ranges.size() == 4
                           ? between(ranges[2], ranges[3], draw(1))
                           : zy;
            row[0] = zx;
            row[2] = mul(cst((width - 1) / 2), sub(cst(1.0f), zx));
            row[4] = zy;
            row[5] = mul(cst((height - 1) / 2), sub(cst(1.0f), zy));
          } else {
            Value dy = mul(cst(height), between(ranges[0], ranges[1], draw(0)));
            Value dx = mul(cst(width), between(ranges[2], ranges[3], draw(1)));
            row[2] = arith::NegFOp::create(nb, nloc, dx);
            row[5] = arith::NegFOp::create(nb, nloc, dy);
          }
          Value value = row[7];
          for (int64_t k = 6; k >= 0; --k) {
            Value is = arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::eq,
                                             entry, indexConst(nb, nloc, k));
            value = arith::SelectOp::create(nb, nloc, is, row[k], value);
          }
          return value;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnImageOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ImageTransformLowering, ImageTransformGradLowering,
               RandomImageTransformsLowering>(patterns.getContext());
}
