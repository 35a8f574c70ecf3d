//===- WindowOpsToLinalg.cpp - Convolution, pooling, dropout to linalg ----===//
//
// Convolutions become matrix products over the im2col matrix, so that they
// run on the tuned matmul code generation (kiln-matmul-codegen):
//
//   conv2d             cols[N·OH·OW, KH·KW·C] · kernel[KH·KW·C, F]
//   conv2d_kernel_grad colsᵀ · dy[N·OH·OW, F]
//   conv2d_input_grad  dcols = dy · kernelᵀ, then col2im
//
// A transposed convolution is the input gradient of a convolution (and its
// gradients are that convolution and its kernel gradient), so it takes the
// same three forms with the roles of input and output swapped.
//
// im2col is a copy with strided, dilated reads; col2im sums, for each input
// position, the columns that read it: per tap, an in-place elementwise add
// of the tap's column slice into the strided rectangle of input positions
// it read. Pooling gradients route the output gradient into the same column
// layout and reuse col2im. Pooling windows of up to 16 taps are one
// elementwise op over the taps' strided slices of the input (vectorized
// along the channels); larger windows are linalg reductions whose extent
// comes from a shape-only `tensor.empty` operand, as linalg's named pooling
// ops do.
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

/// The geometry of an NHWC window op, both spatial dimensions resolved.
struct Window {
  int64_t kh, kw;
  int64_t sh, sw;
  int64_t dh, dw;
  int64_t inH, inW;
  int64_t outH, outW;
  int64_t padTop, padBottom, padLeft, padRight;

  bool hasPadding() const { return padTop || padBottom || padLeft || padRight; }
};

Window getWindow(RankedTensorType input, ArrayRef<int64_t> size,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                 Padding padding) {
  Window w;
  w.kh = size[0];
  w.kw = size[1];
  w.sh = strides[0];
  w.sw = strides[1];
  w.dh = dilations[0];
  w.dw = dilations[1];
  w.inH = input.getDimSize(1);
  w.inW = input.getDimSize(2);
  // The verifier has checked that the window fits.
  WindowDim h = *computeWindowDim(w.inH, w.kh, w.sh, w.dh, padding);
  WindowDim v = *computeWindowDim(w.inW, w.kw, w.sw, w.dw, padding);
  w.outH = h.output;
  w.outW = v.output;
  w.padTop = h.padBefore;
  w.padBottom = h.padAfter;
  w.padLeft = v.padBefore;
  w.padRight = v.padAfter;
  return w;
}

RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  return llvm::map_to_vector(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

/// Sizes of `source` as OpFoldResults (dimension 0 may be dynamic).
SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value source) {
  SmallVector<OpFoldResult> sizes;
  for (auto [i, extent] : llvm::enumerate(tensorTypeOf(source).getShape()))
    sizes.push_back(
        ShapedType::isDynamic(extent)
            ? OpFoldResult(tensor::DimOp::create(b, loc, source, i).getResult())
            : b.getIndexAttr(extent));
  return sizes;
}

/// Places `source` into a tensor of `shape` filled with `fillValue`, at
/// `offsets` with `strides` (a pad when the strides are 1, a stride spread
/// otherwise). Written as fill + insert_slice, which bufferizes in place.
Value embed(OpBuilder &b, Location loc, Value source, ArrayRef<int64_t> shape,
            ArrayRef<int64_t> offsets, ArrayRef<int64_t> strides,
            Value fillValue) {
  Value dest =
      emptyTensor(b, loc, shape, tensorTypeOf(source).getElementType(), source);
  dest = fillTensor(b, loc, dest, fillValue);
  return tensor::InsertSliceOp::create(
      b, loc, source, dest, indexAttrs(b, offsets), sizesOf(b, loc, source),
      indexAttrs(b, strides));
}

/// The NHWC input padded by the window's padding with `padValue`.
Value padInput(OpBuilder &b, Location loc, Value input, const Window &w,
               float padValue) {
  if (!w.hasPadding())
    return input;
  auto type = tensorTypeOf(input);
  SmallVector<int64_t> shape = {
      type.getDimSize(0), w.inH + w.padTop + w.padBottom,
      w.inW + w.padLeft + w.padRight, type.getDimSize(3)};
  return embed(b, loc, input, shape, {0, w.padTop, w.padLeft, 0}, {1, 1, 1, 1},
               f32Const(b, loc, padValue));
}

/// Iteration space (n, i, j, a, b, c) of window ops: output position,
/// window tap, channel. The map reading the padded input at tap (a, b) of
/// output position (i, j).
AffineMap windowReadMap(MLIRContext *ctx, const Window &w) {
  AffineExpr n, i, j, a, bb, c;
  bindDims(ctx, n, i, j, a, bb, c);
  return AffineMap::get(6, 0, {n, i * w.sh + a * w.dh, j * w.sw + bb * w.dw, c},
                        ctx);
}

AffineMap outputPositionMap(MLIRContext *ctx) {
  AffineExpr n, i, j, a, bb, c;
  bindDims(ctx, n, i, j, a, bb, c);
  return AffineMap::get(6, 0, {n, i, j, c}, ctx);
}

AffineMap tapMap(MLIRContext *ctx) {
  AffineExpr n, i, j, a, bb, c;
  bindDims(ctx, n, i, j, a, bb, c);
  return AffineMap::get(6, 0, {a, bb}, ctx);
}

SmallVector<utils::IteratorType> windowReductionIterators() {
  using utils::IteratorType;
  return {IteratorType::parallel,  IteratorType::parallel,
          IteratorType::parallel,  IteratorType::reduction,
          IteratorType::reduction, IteratorType::parallel};
}

/// A shape-only operand giving the window's extent to the iteration space.
Value windowShape(OpBuilder &b, Location loc, const Window &w) {
  return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{w.kh, w.kw},
                                 b.getF32Type());
}

/// The window's taps of the padded NHWC input, in tap order (a-major): tap
/// (a, b) is the [N, OH, OW, C] strided slice xp[n, i·sh + a·dh,
/// j·sw + b·dw, c]. Window ops written over these slices are elementwise
/// (identity indexing maps), so the codegen vectorizes them along the
/// channels; one generic reading xp through `i·sh + a·dh` is not
/// vectorizable.
SmallVector<Value> tapSlices(OpBuilder &b, Location loc, Value padded,
                             const Window &w) {
  auto type = tensorTypeOf(padded);
  int64_t channels = type.getDimSize(3);
  auto sliceType = RankedTensorType::get(
      {type.getDimSize(0), w.outH, w.outW, channels}, type.getElementType());
  SmallVector<OpFoldResult> sizes = {
      sizesOf(b, loc, padded).front(), b.getIndexAttr(w.outH),
      b.getIndexAttr(w.outW), b.getIndexAttr(channels)};
  SmallVector<OpFoldResult> strides = indexAttrs(b, {1, w.sh, w.sw, 1});
  SmallVector<Value> taps;
  for (int64_t a = 0; a < w.kh; ++a)
    for (int64_t bb = 0; bb < w.kw; ++bb)
      taps.push_back(tensor::ExtractSliceOp::create(
          b, loc, sliceType, padded, indexAttrs(b, {0, a * w.dh, bb * w.dw, 0}),
          sizes, strides));
  return taps;
}

/// Windows with at most this many taps are reduced as one elementwise op
/// over the tap slices; larger ones (global pooling) by a reduction generic.
constexpr int64_t kMaxSlicedTaps = 16;

/// cols[n, i, j, a, b, c] = xp[n, i·sh + a·dh, j·sw + b·dw, c], collapsed to
/// the [N·OH·OW, KH·KW·C] matrix. One gather generic: copying the tap
/// slices one by one (vectorized, as pooling does) measured no faster in the
/// LeNet and DCGAN steps and made bufferization of the step much slower.
Value im2col(OpBuilder &b, Location loc, Value input, const Window &w) {
  MLIRContext *ctx = b.getContext();
  Value padded = padInput(b, loc, input, w, 0.0f);
  int64_t channels = tensorTypeOf(input).getDimSize(3);
  SmallVector<int64_t> shape = {
      tensorTypeOf(input).getDimSize(0), w.outH, w.outW, w.kh, w.kw, channels};
  Value init = emptyTensor(b, loc, shape, b.getF32Type(), input);
  SmallVector<utils::IteratorType> iterators(6, utils::IteratorType::parallel);
  Value cols = genericOp(
      b, loc, padded, init,
      {windowReadMap(ctx, w), AffineMap::getMultiDimIdentityMap(6, ctx)},
      iterators,
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  return tensor::CollapseShapeOp::create(
      b, loc, cols, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

/// [N, H, W, C] (or [KH, KW, C, F]) collapsed to a matrix whose columns are
/// the last dimension.
Value collapseToMatrix(OpBuilder &b, Location loc, Value value) {
  return tensor::CollapseShapeOp::create(
      b, loc, value, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}});
}

/// Expands an [N·OH·OW, X] matrix into `type` (rank 4, or rank 6 for
/// columns); the batch extent is dimension 0 of `batchSource`.
Value expandMatrix(OpBuilder &b, Location loc, Value matrix,
                   RankedTensorType type, Value batchSource) {
  SmallVector<OpFoldResult> shape = sizesOf(b, loc, batchSource);
  shape.resize(1);
  for (int64_t extent : type.getShape().drop_front())
    shape.push_back(b.getIndexAttr(extent));
  SmallVector<ReassociationIndices> groups = {{0, 1, 2}};
  groups.push_back(llvm::to_vector(llvm::seq<int64_t>(3, type.getRank())));
  return tensor::ExpandShapeOp::create(b, loc, type, matrix, groups, shape);
}

/// op(lhs) · op(rhs) into a zero-filled [M, N] tensor (transposes as
/// indexing maps, as the matmul lowering writes them).
Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
             bool transposeLhs, bool transposeRhs) {
  MLIRContext *ctx = b.getContext();
  auto lhsType = tensorTypeOf(lhs), rhsType = tensorTypeOf(rhs);
  int64_t m = lhsType.getDimSize(transposeLhs ? 1 : 0);
  int64_t n = rhsType.getDimSize(transposeRhs ? 0 : 1);
  SmallVector<Value> dynamic;
  if (ShapedType::isDynamic(m))
    dynamic.push_back(tensor::DimOp::create(b, loc, lhs, transposeLhs ? 1 : 0));
  if (ShapedType::isDynamic(n))
    dynamic.push_back(tensor::DimOp::create(b, loc, rhs, transposeRhs ? 0 : 1));
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{m, n},
                                       b.getF32Type(), dynamic);
  init = fillTensor(b, loc, init, f32Const(b, loc, 0.0f));
  AffineExpr dm, dn, dk;
  bindDims(ctx, dm, dn, dk);
  auto map = [&](AffineExpr r, AffineExpr c) {
    return AffineMap::get(3, 0, {r, c}, ctx);
  };
  SmallVector<Attribute> maps = {
      AffineMapAttr::get(transposeLhs ? map(dk, dm) : map(dm, dk)),
      AffineMapAttr::get(transposeRhs ? map(dn, dk) : map(dk, dn)),
      AffineMapAttr::get(map(dm, dn))};
  auto op = linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                     ValueRange{lhs, rhs}, ValueRange{init});
  op.setIndexingMapsAttr(b.getArrayAttr(maps));
  return op.getResult(0);
}

/// The output positions i in [0, count) of one tap along one spatial
/// dimension whose input position i·stride + shift lies in [0, extent): the
/// positions [first, first + count), reading input position `start` first.
struct TapRange {
  int64_t first = 0, count = 0, start = 0;
};

TapRange tapRange(int64_t count, int64_t extent, int64_t stride,
                  int64_t shift) {
  TapRange range;
  range.first = std::max<int64_t>(0, llvm::divideCeilSigned(-shift, stride));
  int64_t last = std::min<int64_t>(
      count - 1, llvm::divideFloorSigned(extent - 1 - shift, stride));
  range.count = std::max<int64_t>(0, last - range.first + 1);
  range.start = range.first * stride + shift;
  return range;
}

/// Sums the columns `cols` [N, OH, OW, KH, KW, C] back into the input
/// positions they were read from: the adjoint of im2col, an [N, H, W, C]
/// tensor. Tap (a, b) of output position (i, j) read input position
/// (i·sh + a·dh − pt, j·sw + b·dw − pl); the positions that land inside the
/// input form a strided rectangle of it, so each tap is one elementwise add
/// of its column slice into that rectangle, in place. Neither the columns
/// nor the result are copied, spread or padded, and each add is vectorized
/// along the channels like any elementwise op.
Value col2im(OpBuilder &b, Location loc, Value cols, const Window &w) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorTypeOf(cols);
  int64_t batch = type.getDimSize(0), channels = type.getDimSize(5);
  Value result = emptyTensor(b, loc, {batch, w.inH, w.inW, channels},
                             b.getF32Type(), cols);
  result = fillTensor(b, loc, result, f32Const(b, loc, 0.0f));
  OpFoldResult batchSize = sizesOf(b, loc, cols).front();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(4, ctx);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  for (int64_t a = 0; a < w.kh; ++a) {
    TapRange rows = tapRange(w.outH, w.inH, w.sh, a * w.dh - w.padTop);
    for (int64_t bb = 0; bb < w.kw; ++bb) {
      TapRange columns = tapRange(w.outW, w.inW, w.sw, bb * w.dw - w.padLeft);
      if (rows.count == 0 || columns.count == 0)
        continue; // The tap only ever read padding.
      auto sliceType = RankedTensorType::get(
          {batch, rows.count, columns.count, channels}, b.getF32Type());
      SmallVector<OpFoldResult> sizes = {batchSize, b.getIndexAttr(rows.count),
                                         b.getIndexAttr(columns.count)};
      SmallVector<OpFoldResult> tapSizes(sizes);
      tapSizes.append(
          {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(channels)});
      sizes.push_back(b.getIndexAttr(channels));
      Value tap = tensor::ExtractSliceOp::create(
          b, loc, sliceType, cols,
          indexAttrs(b, {0, rows.first, columns.first, a, bb, 0}), tapSizes,
          indexAttrs(b, {1, 1, 1, 1, 1, 1}));
      SmallVector<OpFoldResult> offsets =
          indexAttrs(b, {0, rows.start, columns.start, 0});
      SmallVector<OpFoldResult> strides = indexAttrs(b, {1, w.sh, w.sw, 1});
      Value dest = tensor::ExtractSliceOp::create(b, loc, sliceType, result,
                                                  offsets, sizes, strides);
      Value sum =
          genericOp(b, loc, tap, dest, {identity, identity}, iterators,
                    [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
                      return arith::AddFOp::create(nb, nloc, args[0], args[1]);
                    });
      result = tensor::InsertSliceOp::create(b, loc, sum, result, offsets,
                                             sizes, strides);
    }
  }
  return result;
}

/// The flat tap index a·KW + b of the current iteration, as i32.
Value tapIndex(OpBuilder &b, Location loc, const Window &w) {
  Value a = linalg::IndexOp::create(b, loc, 3);
  Value bb = linalg::IndexOp::create(b, loc, 4);
  Value kw = arith::ConstantIndexOp::create(b, loc, w.kw);
  Value flat =
      arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, a, kw), bb);
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), flat);
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

struct Conv2DLowering : public OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), kernel = adaptor.getKernel();
    auto kernelType = tensorTypeOf(kernel);
    Window w =
        getWindow(tensorTypeOf(input), kernelType.getShape().take_front(2),
                  op.getStrides(), op.getDilations(), op.getPadding());
    Value cols = im2col(rewriter, loc, input, w);
    Value product =
        matmul(rewriter, loc, cols, collapseToMatrix(rewriter, loc, kernel),
               false, false);
    rewriter.replaceOp(
        op, expandMatrix(rewriter, loc, product, op.getType(), input));
    return success();
  }
};

struct Conv2DKernelGradLowering
    : public OpConversionPattern<Conv2DKernelGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2DKernelGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto kernelType = cast<RankedTensorType>(op.getType());
    Window w =
        getWindow(tensorTypeOf(input), kernelType.getShape().take_front(2),
                  op.getStrides(), op.getDilations(), op.getPadding());
    Value cols = im2col(rewriter, loc, input, w);
    Value dy = collapseToMatrix(rewriter, loc, adaptor.getGrad());
    Value product =
        matmul(rewriter, loc, cols, dy, /*transposeLhs=*/true, false);
    rewriter.replaceOp(op, tensor::ExpandShapeOp::create(
                               rewriter, loc, kernelType, product,
                               ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}}));
    return success();
  }
};

struct Conv2DInputGradLowering : public OpConversionPattern<Conv2DInputGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2DInputGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value grad = adaptor.getGrad(), kernel = adaptor.getKernel();
    auto inputType = cast<RankedTensorType>(op.getType());
    auto kernelType = tensorTypeOf(kernel);
    Window w = getWindow(inputType, kernelType.getShape().take_front(2),
                         op.getStrides(), op.getDilations(), op.getPadding());
    // dcols = dy · kernelᵀ: [N·OH·OW, F] · [F, KH·KW·C].
    Value product = matmul(rewriter, loc, collapseToMatrix(rewriter, loc, grad),
                           collapseToMatrix(rewriter, loc, kernel), false,
                           /*transposeRhs=*/true);
    auto colsType =
        RankedTensorType::get({inputType.getDimSize(0), w.outH, w.outW, w.kh,
                               w.kw, inputType.getDimSize(3)},
                              rewriter.getF32Type());
    Value cols = expandMatrix(rewriter, loc, product, colsType, grad);
    Value result = col2im(rewriter, loc, cols, w);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename OpTy> Window getPoolWindow(OpTy op, RankedTensorType input) {
  return getWindow(input, op.getPoolSize(), op.getStrides(), {1, 1},
                   op.getPadding());
}

/// Reduces the windows of `input` (padded with `padValue`) with `combine`
/// into an [N, OH, OW, C] tensor initialized to `padValue`, the taps combined
/// in order (a-major).
Value reduceWindows(
    OpBuilder &b, Location loc, Value input, const Window &w, float padValue,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorTypeOf(input);
  Value padded = padInput(b, loc, input, w, padValue);
  Value init = emptyTensor(
      b, loc, {type.getDimSize(0), w.outH, w.outW, type.getDimSize(3)},
      b.getF32Type(), input);
  init = fillTensor(b, loc, init, f32Const(b, loc, padValue));
  if (w.kh * w.kw <= kMaxSlicedTaps) {
    SmallVector<Value> taps = tapSlices(b, loc, padded, w);
    SmallVector<AffineMap> maps(taps.size() + 1,
                                AffineMap::getMultiDimIdentityMap(4, ctx));
    SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
    return genericOp(b, loc, taps, init, maps, parallel,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       Value acc = args.back();
                       for (Value x : args.drop_back())
                         acc = combine(nb, nloc, x, acc);
                       return acc;
                     });
  }
  return genericOp(b, loc, ValueRange{padded, windowShape(b, loc, w)}, init,
                   {windowReadMap(ctx, w), tapMap(ctx), outputPositionMap(ctx)},
                   windowReductionIterators(),
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     return combine(nb, nloc, args[0], args[2]);
                   });
}

struct MaxPool2DLowering : public OpConversionPattern<MaxPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    Window w = getPoolWindow(op, tensorTypeOf(input));
    Value result = reduceWindows(
        rewriter, op.getLoc(), input, w,
        -std::numeric_limits<float>::infinity(),
        [](OpBuilder &b, Location loc, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(b, loc, x, acc);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Windows that tile the input without overlap or padding (stride = pool
/// size, `valid`): the common pooling, whose gradient needs no col2im.
bool tilesWithoutOverlap(const Window &w) {
  return w.sh == w.kh && w.sw == w.kw && !w.hasPadding();
}

/// For non-overlapping windows: dx[n, i·KH + a, j·KW + b, c] =
/// `tap`(n, i, a, j, b, c), computed in one pass as an [N, OH, KH, OW, KW, C]
/// tensor that collapses to the covered rows and columns; rows and columns no
/// window covers get zeros. `ins` are read through `inMaps` over those six
/// dimensions; `ins[0]` has the batch dimension.
Value spreadOverTiles(
    OpBuilder &b, Location loc, ValueRange ins, ArrayRef<AffineMap> inMaps,
    const Window &w, RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> tap) {
  MLIRContext *ctx = b.getContext();
  int64_t batch = resultType.getDimSize(0);
  int64_t channels = resultType.getDimSize(3);
  Value init =
      emptyTensor(b, loc, {batch, w.outH, w.kh, w.outW, w.kw, channels},
                  b.getF32Type(), ins[0]);
  SmallVector<AffineMap> maps(inMaps);
  maps.push_back(AffineMap::getMultiDimIdentityMap(6, ctx));
  SmallVector<utils::IteratorType> parallel(6, utils::IteratorType::parallel);
  Value tiles = genericOp(b, loc, ins, init, maps, parallel, tap);
  Value covered = tensor::CollapseShapeOp::create(
      b, loc, tiles, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3, 4}, {5}});
  Value result = covered;
  if (w.outH * w.kh != w.inH || w.outW * w.kw != w.inW)
    result = embed(b, loc, covered, resultType.getShape(), {0, 0, 0, 0},
                   {1, 1, 1, 1}, f32Const(b, loc, 0.0f));
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}

/// The window of output position (i, j) over spreadOverTiles' dimensions
/// (n, i, a, j, b, c).
AffineMap tileWindowMap(MLIRContext *ctx) {
  AffineExpr n, i, a, j, bb, c;
  bindDims(ctx, n, i, a, j, bb, c);
  return AffineMap::get(6, 0, {n, i, j, c}, ctx);
}

/// Max pooling's gradient for non-overlapping windows: dy goes to the tap
/// (a, b) that holds the window's maximum, 0 to the others.
Value routeToTiles(OpBuilder &b, Location loc, Value grad, Value argmax,
                   const Window &w, RankedTensorType resultType) {
  AffineMap window = tileWindowMap(b.getContext());
  return spreadOverTiles(
      b, loc, ValueRange{grad, argmax}, {window, window}, w, resultType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value row = linalg::IndexOp::create(nb, nloc, 2);
        Value col = linalg::IndexOp::create(nb, nloc, 4);
        Value tap = arith::AddIOp::create(
            nb, nloc,
            arith::MulIOp::create(
                nb, nloc, row, arith::ConstantIndexOp::create(nb, nloc, w.kw)),
            col);
        Value hit = arith::CmpIOp::create(
            nb, nloc, arith::CmpIPredicate::eq, args[1],
            arith::IndexCastOp::create(nb, nloc, nb.getI32Type(), tap));
        return arith::SelectOp::create(nb, nloc, hit, args[0],
                                       f32Const(nb, nloc, 0.0f));
      });
}

/// Finds each window's first maximum (the smallest tap index a·KW + b whose
/// element equals the pooled value), routes the output gradient to that tap
/// in the column layout, and sums the columns back with col2im.
struct MaxPool2DGradLowering : public OpConversionPattern<MaxPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPool2DGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = tensorTypeOf(input);
    Window w = getPoolWindow(op, type);
    int64_t batch = type.getDimSize(0), channels = type.getDimSize(3);
    Value padded = padInput(rewriter, loc, input, w,
                            -std::numeric_limits<float>::infinity());
    int32_t none = static_cast<int32_t>(w.kh * w.kw);
    Value init = emptyTensor(rewriter, loc, {batch, w.outH, w.outW, channels},
                             rewriter.getI32Type(), input);
    init = fillTensor(rewriter, loc, init,
                      arith::ConstantOp::create(
                          rewriter, loc, rewriter.getI32IntegerAttr(none)));
    // The first tap whose element equals the pooled value.
    auto firstMax = [&](OpBuilder &b, Location nloc, Value x, Value pooled,
                        Value tap, Value acc) -> Value {
      Value isMax =
          arith::CmpFOp::create(b, nloc, arith::CmpFPredicate::OEQ, x, pooled);
      Value candidate = arith::SelectOp::create(
          b, nloc, isMax, tap,
          arith::ConstantOp::create(b, nloc, b.getI32IntegerAttr(none)));
      return arith::MinSIOp::create(b, nloc, candidate, acc);
    };
    Value argmax;
    if (w.kh * w.kw <= kMaxSlicedTaps) {
      SmallVector<Value> ins = tapSlices(rewriter, loc, padded, w);
      ins.push_back(adaptor.getOutput());
      SmallVector<AffineMap> maps(ins.size() + 1,
                                  AffineMap::getMultiDimIdentityMap(4, ctx));
      SmallVector<utils::IteratorType> parallel(4,
                                                utils::IteratorType::parallel);
      argmax = genericOp(
          rewriter, loc, ins, init, maps, parallel,
          [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
            Value acc = args.back();
            ValueRange taps = args.drop_back(2);
            Value pooled = args[taps.size()];
            for (auto [t, x] : llvm::enumerate(taps))
              acc = firstMax(b, nloc, x, pooled,
                             arith::ConstantOp::create(
                                 b, nloc, b.getI32IntegerAttr(int32_t(t))),
                             acc);
            return acc;
          });
    } else {
      argmax =
          genericOp(rewriter, loc,
                    ValueRange{padded, adaptor.getOutput(),
                               windowShape(rewriter, loc, w)},
                    init,
                    {windowReadMap(ctx, w), outputPositionMap(ctx), tapMap(ctx),
                     outputPositionMap(ctx)},
                    windowReductionIterators(),
                    [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
                      return firstMax(b, nloc, args[0], args[1],
                                      tapIndex(b, nloc, w), args[3]);
                    });
    }

    SmallVector<utils::IteratorType> parallel(6, utils::IteratorType::parallel);
    if (tilesWithoutOverlap(w)) {
      rewriter.replaceOp(op, routeToTiles(rewriter, loc, adaptor.getGrad(),
                                          argmax, w, op.getType()));
      return success();
    }
    Value colsInit = emptyTensor(rewriter, loc,
                                 {batch, w.outH, w.outW, w.kh, w.kw, channels},
                                 rewriter.getF32Type(), input);
    Value cols = genericOp(
        rewriter, loc, ValueRange{adaptor.getGrad(), argmax}, colsInit,
        {outputPositionMap(ctx), outputPositionMap(ctx),
         AffineMap::getMultiDimIdentityMap(6, ctx)},
        parallel, [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value hit = arith::CmpIOp::create(b, nloc, arith::CmpIPredicate::eq,
                                            args[1], tapIndex(b, nloc, w));
          return arith::SelectOp::create(b, nloc, hit, args[0],
                                         f32Const(b, nloc, 0.0f));
        });
    Value result = col2im(rewriter, loc, cols, w);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// 1 / (number of input positions in each window), per output position: a
/// constant, since the spatial extents are static.
Value inverseWindowCounts(OpBuilder &b, Location loc, const Window &w) {
  auto inside = [](int64_t start, int64_t window, int64_t extent) {
    return std::min(start + window, extent) - std::max<int64_t>(start, 0);
  };
  SmallVector<float> values;
  for (int64_t i = 0; i < w.outH; ++i)
    for (int64_t j = 0; j < w.outW; ++j)
      values.push_back(1.0f / float(inside(i * w.sh - w.padTop, w.kh, w.inH) *
                                    inside(j * w.sw - w.padLeft, w.kw, w.inW)));
  auto type = RankedTensorType::get({w.outH, w.outW}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

AffineMap spatialMap(MLIRContext *ctx, unsigned rank) {
  return AffineMap::get(
      rank, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)}, ctx);
}

struct AvgPool2DLowering : public OpConversionPattern<AvgPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    Window w = getPoolWindow(op, tensorTypeOf(input));
    Value sums = reduceWindows(
        rewriter, loc, input, w, 0.0f,
        [](OpBuilder &b, Location nloc, Value x, Value acc) -> Value {
          return arith::AddFOp::create(b, nloc, x, acc);
        });
    Value inverse = inverseWindowCounts(rewriter, loc, w);
    auto id = AffineMap::getMultiDimIdentityMap(4, ctx);
    Value init = emptyTensor(rewriter, loc, op.getType().getShape(),
                             rewriter.getF32Type(), input);
    SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
    rewriter.replaceOp(
        op, genericOp(rewriter, loc, ValueRange{sums, inverse}, init,
                      {id, spatialMap(ctx, 4), id}, parallel,
                      [](OpBuilder &b, Location nloc, ValueRange args) {
                        return arith::MulFOp::create(b, nloc, args[0], args[1])
                            .getResult();
                      }));
    return success();
  }
};

struct AvgPool2DGradLowering : public OpConversionPattern<AvgPool2DGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPool2DGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inputType = cast<RankedTensorType>(op.getType());
    Window w = getPoolWindow(op, inputType);
    Value grad = adaptor.getGrad();
    // Non-overlapping windows (global pooling among them) spread dy / count
    // over their taps directly: col2im would build a column tensor of
    // (2·OH + KH)·(2·OW + KW)·KH·KW elements per channel.
    if (tilesWithoutOverlap(w)) {
      AffineExpr n, i, a, j, bb, c;
      bindDims(ctx, n, i, a, j, bb, c);
      rewriter.replaceOp(
          op, spreadOverTiles(
                  rewriter, loc,
                  ValueRange{grad, inverseWindowCounts(rewriter, loc, w)},
                  {tileWindowMap(ctx), AffineMap::get(6, 0, {i, j}, ctx)}, w,
                  inputType, [](OpBuilder &b, Location nloc, ValueRange args) {
                    return arith::MulFOp::create(b, nloc, args[0], args[1])
                        .getResult();
                  }));
      return success();
    }
    Value colsInit = emptyTensor(rewriter, loc,
                                 {inputType.getDimSize(0), w.outH, w.outW, w.kh,
                                  w.kw, inputType.getDimSize(3)},
                                 rewriter.getF32Type(), grad);
    SmallVector<utils::IteratorType> parallel(6, utils::IteratorType::parallel);
    Value cols = genericOp(
        rewriter, loc, ValueRange{grad, inverseWindowCounts(rewriter, loc, w)},
        colsInit,
        {outputPositionMap(ctx), spatialMap(ctx, 6),
         AffineMap::getMultiDimIdentityMap(6, ctx)},
        parallel, [](OpBuilder &b, Location nloc, ValueRange args) {
          return arith::MulFOp::create(b, nloc, args[0], args[1]).getResult();
        });
    Value result = col2im(rewriter, loc, cols, w);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

/// keep(e) = mix32(mix32(e · φ ^ k₁) ^ k₂) >= rate · 2³² where (k₁, k₂) are
/// the halves of mix64(seed ^ step · c₁ ^ (stream + 1) · c₂) and e is the
/// row-major element index within the batch.
struct DropoutLowering : public OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value key = rngKey(b, loc, adaptor.getRng(), op.getStream());
    Value k1 = arith::TruncIOp::create(b, loc, b.getI32Type(), key);
    Value k2 = arith::TruncIOp::create(
        b, loc, b.getI32Type(),
        arith::ShRUIOp::create(b, loc, key, i64Const(b, loc, 32)));

    double rate = op.getRate().convertToDouble();
    auto threshold =
        static_cast<uint32_t>(std::min(rate * 4294967296.0, 4294967295.0));
    float scale = static_cast<float>(1.0 / (1.0 - rate));
    auto type = cast<RankedTensorType>(op.getType());
    // Row-major strides of the mask: a broadcast dimension has extent 1 in
    // it, so it adds nothing to the index (stride 0).
    SmallVector<int64_t> strides(type.getRank(), 1);
    int64_t stride = 1;
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      if (llvm::is_contained(op.getBroadcastDims(), d)) {
        strides[d] = 0;
        continue;
      }
      strides[d] = stride;
      if (d > 0)
        stride *= type.getDimSize(d);
    }

    Value result = elementwiseOp(
        b, loc, adaptor.getInput(),
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value index = i32Const(nb, nloc, 0);
          for (auto [d, stride] : llvm::enumerate(strides)) {
            if (stride == 0)
              continue;
            Value i = arith::IndexCastOp::create(
                nb, nloc, nb.getI32Type(),
                linalg::IndexOp::create(nb, nloc, d));
            index = arith::AddIOp::create(
                nb, nloc, index,
                arith::MulIOp::create(nb, nloc, i,
                                      i32Const(nb, nloc, uint32_t(stride))));
          }
          Value h = arith::MulIOp::create(nb, nloc, index,
                                          i32Const(nb, nloc, 0x9E3779B9u));
          h = mix32(nb, nloc, arith::XOrIOp::create(nb, nloc, h, k1));
          h = mix32(nb, nloc, arith::XOrIOp::create(nb, nloc, h, k2));
          Value keep =
              arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::uge, h,
                                    i32Const(nb, nloc, threshold));
          Value scaled = arith::MulFOp::create(nb, nloc, args[0],
                                               f32Const(nb, nloc, scale));
          return arith::SelectOp::create(nb, nloc, keep, scaled,
                                         f32Const(nb, nloc, 0.0f));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Transposed convolution
//===----------------------------------------------------------------------===//

/// The window of the convolution that a transposed convolution transposes:
/// its input is the transposed convolution's result (`resultType`, extents
/// OH × OW) and its output the transposed convolution's input (`inputType`).
template <typename OpTy>
Window getTransposeWindow(OpTy op, RankedTensorType inputType,
                          RankedTensorType resultType,
                          RankedTensorType kernelType) {
  Window w;
  w.kh = kernelType.getDimSize(0);
  w.kw = kernelType.getDimSize(1);
  w.sh = op.getStrides()[0];
  w.sw = op.getStrides()[1];
  w.dh = op.getDilations()[0];
  w.dw = op.getDilations()[1];
  w.outH = inputType.getDimSize(1);
  w.outW = inputType.getDimSize(2);
  w.inH = resultType.getDimSize(1);
  w.inW = resultType.getDimSize(2);
  // The verifier has checked the options.
  WindowDim h = *computeTransposeWindowDim(
      w.outH, w.kh, w.sh, w.dh, op.getPadding(), op.getOutputPadding()[0]);
  WindowDim v = *computeTransposeWindowDim(
      w.outW, w.kw, w.sw, w.dw, op.getPadding(), op.getOutputPadding()[1]);
  w.padTop = h.padBefore;
  w.padBottom = h.padAfter;
  w.padLeft = v.padBefore;
  w.padRight = v.padAfter;
  return w;
}

/// y = col2im(x · kernelᵀ): the input gradient of the transposed
/// convolution's convolution, [N·H·W, C] · [C, KH·KW·F] on the matmul
/// schedule, then the columns summed into the result positions.
struct Conv2DTransposeLowering : public OpConversionPattern<Conv2DTransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2DTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), kernel = adaptor.getKernel();
    auto inputType = tensorTypeOf(input), kernelType = tensorTypeOf(kernel);
    Window w = getTransposeWindow(op, inputType, op.getType(), kernelType);
    Value product =
        matmul(rewriter, loc, collapseToMatrix(rewriter, loc, input),
               collapseToMatrix(rewriter, loc, kernel), false,
               /*transposeRhs=*/true);
    auto colsType =
        RankedTensorType::get({inputType.getDimSize(0), w.outH, w.outW, w.kh,
                               w.kw, kernelType.getDimSize(2)},
                              rewriter.getF32Type());
    Value cols = expandMatrix(rewriter, loc, product, colsType, input);
    Value result = col2im(rewriter, loc, cols, w);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// dx = im2col(dy) · kernel: a convolution of the result gradient.
struct Conv2DTransposeInputGradLowering
    : public OpConversionPattern<Conv2DTransposeInputGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2DTransposeInputGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value grad = adaptor.getGrad(), kernel = adaptor.getKernel();
    Window w = getTransposeWindow(op, op.getType(), tensorTypeOf(grad),
                                  tensorTypeOf(kernel));
    Value cols = im2col(rewriter, loc, grad, w);
    Value product =
        matmul(rewriter, loc, cols, collapseToMatrix(rewriter, loc, kernel),
               false, false);
    rewriter.replaceOp(
        op, expandMatrix(rewriter, loc, product, op.getType(), grad));
    return success();
  }
};

/// dkernel = im2col(dy)ᵀ · x: [KH·KW·F, N·H·W] · [N·H·W, C].
struct Conv2DTransposeKernelGradLowering
    : public OpConversionPattern<Conv2DTransposeKernelGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2DTransposeKernelGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), grad = adaptor.getGrad();
    auto kernelType = cast<RankedTensorType>(op.getType());
    Window w = getTransposeWindow(op, tensorTypeOf(input), tensorTypeOf(grad),
                                  kernelType);
    Value cols = im2col(rewriter, loc, grad, w);
    Value product =
        matmul(rewriter, loc, cols, collapseToMatrix(rewriter, loc, input),
               /*transposeLhs=*/true, false);
    rewriter.replaceOp(op, tensor::ExpandShapeOp::create(
                               rewriter, loc, kernelType, product,
                               ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Depthwise convolution
//===----------------------------------------------------------------------===//
//
// Each channel is its own tiny convolution (a [KH·KW] · [KH·KW, M] product
// per position), so there is no large matrix product to hand to the matmul
// schedule: the forward op and the kernel gradient reduce over the taps
// (or the positions) directly from the padded input, and the input
// gradient builds the column gradient and reuses col2im.

template <typename OpTy>
Window getDepthwiseWindow(OpTy op, RankedTensorType inputType,
                          RankedTensorType kernelType) {
  return getWindow(inputType, kernelType.getShape().take_front(2),
                   op.getStrides(), op.getDilations(), op.getPadding());
}

/// [N, OH, OW, C·M] viewed as [N, OH, OW, C, M].
Value splitChannels(OpBuilder &b, Location loc, Value value, int64_t channels,
                    int64_t multiplier) {
  auto type = tensorTypeOf(value);
  SmallVector<OpFoldResult> shape = sizesOf(b, loc, value);
  shape.back() = b.getIndexAttr(channels);
  shape.push_back(b.getIndexAttr(multiplier));
  SmallVector<int64_t> extents(type.getShape().drop_back());
  extents.append({channels, multiplier});
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(extents, type.getElementType()), value,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}}, shape);
}

struct DepthwiseConv2DLowering : public OpConversionPattern<DepthwiseConv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DepthwiseConv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput(), kernel = adaptor.getKernel();
    auto inputType = tensorTypeOf(input), kernelType = tensorTypeOf(kernel);
    Window w = getDepthwiseWindow(op, inputType, kernelType);
    int64_t channels = kernelType.getDimSize(2);
    int64_t multiplier = kernelType.getDimSize(3);
    Value padded = padInput(rewriter, loc, input, w, 0.0f);
    // Iteration (n, i, j, c, m, a, b), the taps reduced.
    AffineExpr n, i, j, c, m, a, bb;
    bindDims(ctx, n, i, j, c, m, a, bb);
    AffineMap read = AffineMap::get(
        7, 0, {n, i * w.sh + a * w.dh, j * w.sw + bb * w.dw, c}, ctx);
    AffineMap tap = AffineMap::get(7, 0, {a, bb, c, m}, ctx);
    AffineMap write = AffineMap::get(7, 0, {n, i, j, c, m}, ctx);
    Value init = emptyTensor(
        rewriter, loc,
        {inputType.getDimSize(0), w.outH, w.outW, channels, multiplier},
        rewriter.getF32Type(), input);
    init = fillTensor(rewriter, loc, init, f32Const(rewriter, loc, 0.0f));
    using utils::IteratorType;
    SmallVector<IteratorType> iterators(5, IteratorType::parallel);
    iterators.append(2, IteratorType::reduction);
    Value product = genericOp(
        rewriter, loc, ValueRange{padded, kernel}, init, {read, tap, write},
        iterators, [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value term = arith::MulFOp::create(b, nloc, args[0], args[1]);
          return arith::AddFOp::create(b, nloc, args[2], term);
        });
    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc, product,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// dcols[n, i, j, a, b, c] = Σ_m dy[n, i, j, c, m] · kernel[a, b, c, m],
/// then col2im.
struct DepthwiseConv2DInputGradLowering
    : public OpConversionPattern<DepthwiseConv2DInputGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DepthwiseConv2DInputGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value kernel = adaptor.getKernel();
    auto kernelType = tensorTypeOf(kernel);
    Window w = getDepthwiseWindow(op, op.getType(), kernelType);
    int64_t channels = kernelType.getDimSize(2);
    int64_t multiplier = kernelType.getDimSize(3);
    Value grad =
        splitChannels(rewriter, loc, adaptor.getGrad(), channels, multiplier);
    // Iteration (n, i, j, a, b, c, m), the multiplier reduced.
    AffineExpr n, i, j, a, bb, c, m;
    bindDims(ctx, n, i, j, a, bb, c, m);
    AffineMap readGrad = AffineMap::get(7, 0, {n, i, j, c, m}, ctx);
    AffineMap tap = AffineMap::get(7, 0, {a, bb, c, m}, ctx);
    AffineMap write = AffineMap::get(7, 0, {n, i, j, a, bb, c}, ctx);
    Value init = emptyTensor(rewriter, loc,
                             {tensorTypeOf(grad).getDimSize(0), w.outH, w.outW,
                              w.kh, w.kw, channels},
                             rewriter.getF32Type(), grad);
    init = fillTensor(rewriter, loc, init, f32Const(rewriter, loc, 0.0f));
    using utils::IteratorType;
    SmallVector<IteratorType> iterators(6, IteratorType::parallel);
    iterators.push_back(IteratorType::reduction);
    Value cols = genericOp(
        rewriter, loc, ValueRange{grad, kernel}, init, {readGrad, tap, write},
        iterators, [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value term = arith::MulFOp::create(b, nloc, args[0], args[1]);
          return arith::AddFOp::create(b, nloc, args[2], term);
        });
    Value result = col2im(rewriter, loc, cols, w);
    if (result.getType() != op.getType())
      result = tensor::CastOp::create(rewriter, loc, op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// dkernel[a, b, c, m] = Σ_{n, i, j} xp[n, i·sh + a·dh, j·sw + b·dw, c] ·
/// dy[n, i, j, c, m], read from the padded input without columns.
struct DepthwiseConv2DKernelGradLowering
    : public OpConversionPattern<DepthwiseConv2DKernelGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DepthwiseConv2DKernelGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto kernelType = cast<RankedTensorType>(op.getType());
    Window w = getDepthwiseWindow(op, tensorTypeOf(input), kernelType);
    int64_t channels = kernelType.getDimSize(2);
    int64_t multiplier = kernelType.getDimSize(3);
    Value padded = padInput(rewriter, loc, input, w, 0.0f);
    Value grad =
        splitChannels(rewriter, loc, adaptor.getGrad(), channels, multiplier);
    // Iteration (a, b, c, m, n, i, j), the batch and positions reduced.
    AffineExpr a, bb, c, m, n, i, j;
    bindDims(ctx, a, bb, c, m, n, i, j);
    AffineMap read = AffineMap::get(
        7, 0, {n, i * w.sh + a * w.dh, j * w.sw + bb * w.dw, c}, ctx);
    AffineMap readGrad = AffineMap::get(7, 0, {n, i, j, c, m}, ctx);
    AffineMap write = AffineMap::get(7, 0, {a, bb, c, m}, ctx);
    Value init = tensor::EmptyOp::create(rewriter, loc, kernelType.getShape(),
                                         rewriter.getF32Type());
    init = fillTensor(rewriter, loc, init, f32Const(rewriter, loc, 0.0f));
    using utils::IteratorType;
    SmallVector<IteratorType> iterators(4, IteratorType::parallel);
    iterators.append(3, IteratorType::reduction);
    Value result = genericOp(
        rewriter, loc, ValueRange{padded, grad}, init, {read, readGrad, write},
        iterators, [](OpBuilder &b, Location nloc, ValueRange args) -> Value {
          Value term = arith::MulFOp::create(b, nloc, args[0], args[1]);
          return arith::AddFOp::create(b, nloc, args[2], term);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateKilnWindowOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<Conv2DLowering, Conv2DKernelGradLowering, Conv2DInputGradLowering,
           MaxPool2DLowering, MaxPool2DGradLowering, AvgPool2DLowering,
           AvgPool2DGradLowering, DropoutLowering, Conv2DTransposeLowering,
           Conv2DTransposeInputGradLowering, Conv2DTransposeKernelGradLowering,
           DepthwiseConv2DLowering, DepthwiseConv2DInputGradLowering,
           DepthwiseConv2DKernelGradLowering>(patterns.getContext());
}
