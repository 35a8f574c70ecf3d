//===- KilnOps.cpp - Kiln op verifiers and gradient rules -----------------===//
//
// Each op's verifier is followed directly by its gradient rule, so the
// forward semantics and the derivative are read and reviewed together.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::kiln;

#include "kiln/Dialect/Kiln/IR/KilnInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

/// Two extents agree when they are equal or either is dynamic.
static bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static bool shapesAgree(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!extentsAgree(x, y))
      return false;
  return true;
}

/// True when `suffix` agrees with the trailing dimensions of `shape`.
static bool isShapeSuffix(ArrayRef<int64_t> suffix, ArrayRef<int64_t> shape) {
  if (suffix.size() > shape.size())
    return false;
  return shapesAgree(suffix, shape.take_back(suffix.size()));
}

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Checks the `n×C` scores / `n` labels pair shared by losses and metrics.
static LogicalResult verifyScoresAndLabels(Operation *op, Value scores,
                                           Value labels) {
  auto scoresType = tensorType(scores);
  auto labelsType = tensorType(labels);
  if (scoresType.getRank() != 2)
    return op->emitOpError("expects rank-2 scores (batch x classes), got ")
           << scoresType;
  if (!extentsAgree(scoresType.getDimSize(0), labelsType.getDimSize(0)))
    return op->emitOpError("expects one label per row, got ")
           << scoresType << " and " << labelsType;
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto lhsType = tensorType(getLhs());
  auto rhsType = tensorType(getRhs());
  auto resultType = tensorType(getResult());
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2 ||
      resultType.getRank() != 2)
    return emitOpError("expects rank-2 operands and result, got ")
           << lhsType << ", " << rhsType << " -> " << resultType;
  int64_t m = lhsType.getDimSize(getTransposeLhs() ? 1 : 0);
  int64_t kLhs = lhsType.getDimSize(getTransposeLhs() ? 0 : 1);
  int64_t kRhs = rhsType.getDimSize(getTransposeRhs() ? 1 : 0);
  int64_t n = rhsType.getDimSize(getTransposeRhs() ? 0 : 1);
  if (!extentsAgree(kLhs, kRhs))
    return emitOpError("expects contracted dimensions to agree, got ")
           << lhsType << " and " << rhsType;
  if (!extentsAgree(m, resultType.getDimSize(0)) ||
      !extentsAgree(n, resultType.getDimSize(1)))
    return emitOpError("expects result of shape ")
           << m << "x" << n << ", got " << resultType;
  return success();
}

/// For C = op(A)·op(B) the vector-Jacobian products are, case by case,
/// again single matmuls with transpose flags: no transpose is materialized.
LogicalResult MatmulOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value dC = resultGrads[0];
  Value lhs = getLhs(), rhs = getRhs();
  Location loc = getLoc();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  auto matmul = [&](Type type, Value x, Value y, bool tx, bool ty) -> Value {
    auto op = MatmulOp::create(b, loc, type, x, y);
    op.setTransposeLhs(tx);
    op.setTransposeRhs(ty);
    return op;
  };
  Type lhsType = lhs.getType(), rhsType = rhs.getType();
  Value dA, dB;
  if (!ta && !tb) { // C = A·B
    dA = matmul(lhsType, dC, rhs, false, true);
    dB = matmul(rhsType, lhs, dC, true, false);
  } else if (!ta && tb) { // C = A·Bᵀ
    dA = matmul(lhsType, dC, rhs, false, false);
    dB = matmul(rhsType, dC, lhs, true, false);
  } else if (ta && !tb) { // C = Aᵀ·B
    dA = matmul(lhsType, rhs, dC, false, true);
    dB = matmul(rhsType, lhs, dC, false, false);
  } else { // C = Aᵀ·Bᵀ
    dA = matmul(lhsType, rhs, dC, true, true);
    dB = matmul(rhsType, dC, lhs, true, true);
  }
  operandGrads.assign({dA, dB});
  return success();
}

//===----------------------------------------------------------------------===//
// AddOp
//===----------------------------------------------------------------------===//

LogicalResult AddOp::verify() {
  auto lhsType = tensorType(getLhs());
  auto rhsType = tensorType(getRhs());
  if (!isShapeSuffix(rhsType.getShape(), lhsType.getShape()))
    return emitOpError("expects the right operand's shape to be a suffix of "
                       "the left operand's, got ")
           << lhsType << " and " << rhsType;
  if (!shapesAgree(lhsType.getShape(), tensorType(getResult()).getShape()))
    return emitOpError("expects the result to have the left operand's shape");
  return success();
}

/// The broadcast operand's gradient sums over the dimensions it was
/// broadcast along.
LogicalResult AddOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dRhs = dy;
  if (tensorType(getRhs()).getRank() != tensorType(getLhs()).getRank())
    dRhs = ReduceSumOp::create(b, getLoc(), getRhs().getType(), dy);
  operandGrads.assign({dy, dRhs});
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceSumOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::verify() {
  auto inputType = tensorType(getInput());
  auto resultType = tensorType(getResult());
  if (!isShapeSuffix(resultType.getShape(), inputType.getShape()))
    return emitOpError("expects the result shape to be a suffix of the input "
                       "shape, got ")
           << inputType << " -> " << resultType;
  return success();
}

/// The adjoint of summing over the leading dimensions is broadcasting along
/// them: the incoming gradient added to zeros of the input's type (kiln.add
/// broadcasts its right operand). A dynamic batch takes its extent from the
/// input, scaled by 0.
LogicalResult ReduceSumOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  auto inputType = tensorType(getInput());
  if (inputType == tensorType(getResult())) {
    operandGrads.push_back(dy);
    return success();
  }
  Value zeros;
  if (inputType.hasStaticShape())
    zeros = arith::ConstantOp::create(
        b, getLoc(), inputType,
        DenseElementsAttr::get(inputType, b.getF32FloatAttr(0.0f)));
  else
    zeros = ScaleOp::create(b, getLoc(), inputType, getInput(),
                            b.getF32FloatAttr(0.0f), b.getF32FloatAttr(0.0f));
  operandGrads.push_back(AddOp::create(b, getLoc(), inputType, zeros, dy));
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto inputType = tensorType(getInput());
  auto resultType = tensorType(getResult());
  if (inputType.getRank() < 1 || resultType.getRank() < 1)
    return emitOpError("expects a leading batch dimension on both sides");
  if (!extentsAgree(inputType.getDimSize(0), resultType.getDimSize(0)))
    return emitOpError("expects the batch dimension to be kept, got ")
           << inputType << " -> " << resultType;
  auto sampleElements = [](RankedTensorType type) -> std::optional<int64_t> {
    int64_t count = 1;
    for (int64_t extent : type.getShape().drop_front()) {
      if (ShapedType::isDynamic(extent))
        return std::nullopt;
      count *= extent;
    }
    return count;
  };
  auto inCount = sampleElements(inputType);
  auto outCount = sampleElements(resultType);
  if (!inCount || !outCount)
    return emitOpError("expects static non-batch dimensions, got ")
           << inputType << " -> " << resultType;
  if (*inCount != *outCount)
    return emitOpError("expects the same number of elements per sample, got ")
           << *inCount << " and " << *outCount;
  return success();
}

LogicalResult ReshapeOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ReshapeOp::create(b, getLoc(), getInput().getType(), resultGrads[0]));
  return success();
}

//===----------------------------------------------------------------------===//
// ScaleOp
//===----------------------------------------------------------------------===//

LogicalResult ScaleOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(ScaleOp::create(b, getLoc(), getType(), resultGrads[0],
                                         getScaleAttr(),
                                         b.getF32FloatAttr(0.0f)));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

LogicalResult ReluOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ReluGradOp::create(b, getLoc(), getType(), resultGrads[0], getResult()));
  return success();
}

LogicalResult SigmoidOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SigmoidGradOp::create(b, getLoc(), getType(),
                                               resultGrads[0], getResult()));
  return success();
}

LogicalResult TanhOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      TanhGradOp::create(b, getLoc(), getType(), resultGrads[0], getResult()));
  return success();
}

/// The rules of the activations whose derivative is a function of the
/// output: `<op>_grad(dy, y)`.
#define KILN_OUTPUT_GRADIENT_RULE(OP, GRAD)                                    \
  LogicalResult OP::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,    \
                                 SmallVectorImpl<Value> &operandGrads) {       \
    operandGrads.push_back(                                                    \
        GRAD::create(b, getLoc(), getType(), resultGrads[0], getResult()));    \
    return success();                                                          \
  }
KILN_OUTPUT_GRADIENT_RULE(Relu6Op, Relu6GradOp)
KILN_OUTPUT_GRADIENT_RULE(SeluOp, SeluGradOp)
KILN_OUTPUT_GRADIENT_RULE(SoftplusOp, SoftplusGradOp)
KILN_OUTPUT_GRADIENT_RULE(SoftsignOp, SoftsignGradOp)
KILN_OUTPUT_GRADIENT_RULE(HardSigmoidOp, HardSigmoidGradOp)
KILN_OUTPUT_GRADIENT_RULE(ExponentialOp, ExponentialGradOp)
#undef KILN_OUTPUT_GRADIENT_RULE

LogicalResult EluOp::verify() {
  float alpha = getAlpha().convertToFloat();
  if (!(alpha >= 0.0f))
    return emitOpError("expects alpha >= 0, got ") << alpha;
  return success();
}

/// The derivative of the negative branch, alpha · exp(x), is y + alpha.
LogicalResult EluOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(EluGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getResult(), getAlphaAttr()));
  return success();
}

LogicalResult GeluOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      GeluGradOp::create(b, getLoc(), getType(), resultGrads[0], getInput()));
  return success();
}

LogicalResult SwishOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      SwishGradOp::create(b, getLoc(), getType(), resultGrads[0], getInput()));
  return success();
}

LogicalResult LeakyReluOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(LeakyReluGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getInput(), getAlphaAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// Activation derivatives (second-order rules)
//===----------------------------------------------------------------------===//
//
// `<op>_grad(dy, y)` is linear in `dy`: its gradient there is the same op
// applied to the incoming gradient `u`. Its gradient with respect to the
// saved forward value is the derivative of the factor, times `dy · u`; it is
// zero almost everywhere for piecewise linear activations, where the rule
// returns null (no contribution) for that operand.

LogicalResult ReluGradOp::emitGradient(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ReluGradOp::create(b, getLoc(), getType(), resultGrads[0], getOutput()));
  operandGrads.push_back(nullptr);
  return success();
}

LogicalResult
LeakyReluGradOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(LeakyReluGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getInput(), getAlphaAttr()));
  operandGrads.push_back(nullptr);
  return success();
}

/// dy · (1 - y²): ∂/∂y = -2 · y · dy.
LogicalResult TanhGradOp::emitGradient(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value u = resultGrads[0], y = getOutput();
  Location loc = getLoc();
  Type type = getType();
  operandGrads.push_back(TanhGradOp::create(b, loc, type, u, y));
  Value uDy = MulOp::create(b, loc, type, u, getGrad());
  Value uDyY = MulOp::create(b, loc, type, uDy, y);
  operandGrads.push_back(ScaleOp::create(
      b, loc, type, uDyY, b.getF32FloatAttr(-2.0f), b.getF32FloatAttr(0.0f)));
  return success();
}

/// dy · y · (1 - y): ∂/∂y = dy · (1 - 2y).
LogicalResult
SigmoidGradOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  Value u = resultGrads[0], y = getOutput();
  Location loc = getLoc();
  Type type = getType();
  operandGrads.push_back(SigmoidGradOp::create(b, loc, type, u, y));
  Value uDy = MulOp::create(b, loc, type, u, getGrad());
  Value oneMinus2Y = ScaleOp::create(b, loc, type, y, b.getF32FloatAttr(-2.0f),
                                     b.getF32FloatAttr(1.0f));
  operandGrads.push_back(MulOp::create(b, loc, type, uDy, oneMinus2Y));
  return success();
}

/// y > 0 ? dy : dy · (y + alpha): ∂/∂y = y > 0 ? 0 : dy, written as
/// t - relu_grad(t, y) with t = u · dy.
LogicalResult EluGradOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  Value u = resultGrads[0], y = getOutput();
  Location loc = getLoc();
  Type type = getType();
  operandGrads.push_back(EluGradOp::create(b, loc, type, u, y, getAlphaAttr()));
  Value uDy = MulOp::create(b, loc, type, u, getGrad());
  Value positive = ReluGradOp::create(b, loc, type, uDy, y);
  Value negated =
      ScaleOp::create(b, loc, type, positive, b.getF32FloatAttr(-1.0f),
                      b.getF32FloatAttr(0.0f));
  operandGrads.push_back(AddOp::create(b, loc, type, uDy, negated));
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  if (getType().getRank() < 1)
    return emitOpError("expects a tensor of rank >= 1, got ") << getType();
  return success();
}

LogicalResult SoftmaxOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SoftmaxGradOp::create(b, getLoc(), getType(),
                                               resultGrads[0], getResult()));
  return success();
}

//===----------------------------------------------------------------------===//
// Window ops: convolution and pooling
//===----------------------------------------------------------------------===//

std::optional<WindowDim>
mlir::kiln::computeWindowDim(int64_t input, int64_t window, int64_t stride,
                             int64_t dilation, Padding padding) {
  if (input < 1 || window < 1 || stride < 1 || dilation < 1)
    return std::nullopt;
  int64_t span = (window - 1) * dilation + 1;
  if (padding == Padding::valid) {
    if (input < span)
      return std::nullopt;
    return WindowDim{(input - span) / stride + 1, 0, 0};
  }
  int64_t output = (input + stride - 1) / stride;
  int64_t total = std::max<int64_t>((output - 1) * stride + span - input, 0);
  return WindowDim{output, total / 2, total - total / 2};
}

/// Checks an NHWC window op: `input` (N×H×W×C, static H and W) read through
/// a `window` (height, width) with `strides` and `dilations` gives
/// `output` (N×OH×OW×`channels`). A dynamic `channels` is not checked.
static LogicalResult
verifyWindowOp(Operation *op, RankedTensorType input, ArrayRef<int64_t> window,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
               Padding padding, RankedTensorType output, int64_t channels) {
  if (input.getRank() != 4 || output.getRank() != 4)
    return op->emitOpError("expects rank-4 NHWC input and result, got ")
           << input << " and " << output;
  if (strides.size() != 2 || dilations.size() != 2 || window.size() != 2)
    return op->emitOpError("expects two window sizes, strides and dilations");
  if (input.isDynamicDim(1) || input.isDynamicDim(2))
    return op->emitOpError("expects static spatial dimensions, got ") << input;
  SmallVector<int64_t> expected = {input.getDimSize(0)};
  for (int i = 0; i < 2; ++i) {
    std::optional<WindowDim> dim = computeWindowDim(
        input.getDimSize(1 + i), window[i], strides[i], dilations[i], padding);
    if (!dim)
      return op->emitOpError("expects positive window options and a window "
                             "that fits the input, got window ")
             << window[i] << ", stride " << strides[i] << ", dilation "
             << dilations[i] << " on extent " << input.getDimSize(1 + i);
    expected.push_back(dim->output);
  }
  expected.push_back(channels);
  if (!shapesAgree(expected, output.getShape())) {
    InFlightDiagnostic diag = op->emitOpError("expects result shape [");
    llvm::interleaveComma(expected, diag, [&](int64_t extent) {
      if (ShapedType::isDynamic(extent))
        diag << "?";
      else
        diag << extent;
    });
    return diag << "], got " << output;
  }
  return success();
}

/// Checks the kernel of a convolution against its NHWC input.
static LogicalResult verifyKernel(Operation *op, RankedTensorType input,
                                  RankedTensorType kernel) {
  if (kernel.getRank() != 4 || !kernel.hasStaticShape())
    return op->emitOpError("expects a static HWIO kernel, got ") << kernel;
  if (input.getRank() == 4 &&
      !extentsAgree(input.getDimSize(3), kernel.getDimSize(2)))
    return op->emitOpError("expects the kernel's input channels to match "
                           "the input, got ")
           << input << " and " << kernel;
  return success();
}

LogicalResult Conv2DOp::verify() {
  auto input = tensorType(getInput());
  auto kernel = tensorType(getKernel());
  if (failed(verifyKernel(*this, input, kernel)))
    return failure();
  return verifyWindowOp(*this, input, kernel.getShape().take_front(2),
                        getStrides(), getDilations(), getPadding(),
                        tensorType(getResult()), kernel.getDimSize(3));
}

/// Both gradients are again kiln ops (lowered to matrix products over the
/// im2col matrix), so the forward values they read are the convolution's
/// operands.
LogicalResult Conv2DOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dInput = Conv2DInputGradOp::create(
      b, getLoc(), getInput().getType(), dy, getKernel(), getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  Value dKernel = Conv2DKernelGradOp::create(
      b, getLoc(), getKernel().getType(), getInput(), dy, getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  operandGrads.assign({dInput, dKernel});
  return success();
}

LogicalResult Conv2DInputGradOp::verify() {
  auto input = tensorType(getResult());
  auto kernel = tensorType(getKernel());
  if (failed(verifyKernel(*this, input, kernel)))
    return failure();
  return verifyWindowOp(*this, input, kernel.getShape().take_front(2),
                        getStrides(), getDilations(), getPadding(),
                        tensorType(getGrad()), kernel.getDimSize(3));
}

/// dx = conv2d_input_grad(g, K) is the transpose of the convolution by K
/// applied to g, bilinear in (g, K): with u the gradient of dx,
/// ∂/∂g = conv2d(u, K) and ∂/∂K = conv2d_kernel_grad(u, g) (u in the
/// place of the convolution's input).
LogicalResult
Conv2DInputGradOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  Value u = resultGrads[0];
  Value dGrad =
      Conv2DOp::create(b, getLoc(), getGrad().getType(), u, getKernel(),
                       getStridesAttr(), getDilationsAttr(), getPaddingAttr());
  Value dKernel = Conv2DKernelGradOp::create(
      b, getLoc(), getKernel().getType(), u, getGrad(), getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  operandGrads.assign({dGrad, dKernel});
  return success();
}

LogicalResult Conv2DKernelGradOp::verify() {
  auto input = tensorType(getInput());
  auto kernel = tensorType(getResult());
  if (failed(verifyKernel(*this, input, kernel)))
    return failure();
  return verifyWindowOp(*this, input, kernel.getShape().take_front(2),
                        getStrides(), getDilations(), getPadding(),
                        tensorType(getGrad()), kernel.getDimSize(3));
}

/// dK = conv2d_kernel_grad(x, g) is bilinear in (x, g): with u the gradient
/// of dK, ∂/∂x = conv2d_input_grad(g, u) and ∂/∂g = conv2d(x, u).
LogicalResult
Conv2DKernelGradOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  Value u = resultGrads[0];
  Value dInput = Conv2DInputGradOp::create(
      b, getLoc(), getInput().getType(), getGrad(), u, getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  Value dGrad =
      Conv2DOp::create(b, getLoc(), getGrad().getType(), getInput(), u,
                       getStridesAttr(), getDilationsAttr(), getPaddingAttr());
  operandGrads.assign({dInput, dGrad});
  return success();
}

/// Pooling reads each channel on its own: the result keeps the channels.
static LogicalResult verifyPoolOp(Operation *op, RankedTensorType input,
                                  ArrayRef<int64_t> poolSize,
                                  ArrayRef<int64_t> strides, Padding padding,
                                  RankedTensorType output) {
  int64_t channels =
      input.getRank() == 4 ? input.getDimSize(3) : ShapedType::kDynamic;
  return verifyWindowOp(op, input, poolSize, strides, {1, 1}, padding, output,
                        channels);
}

LogicalResult MaxPool2DOp::verify() {
  return verifyPoolOp(*this, tensorType(getInput()), getPoolSize(),
                      getStrides(), getPadding(), tensorType(getResult()));
}

LogicalResult MaxPool2DOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(MaxPool2DGradOp::create(
      b, getLoc(), getInput().getType(), resultGrads[0], getInput(),
      getResult(), getPoolSizeAttr(), getStridesAttr(), getPaddingAttr()));
  return success();
}

LogicalResult MaxPool2DGradOp::verify() {
  if (getInput().getType() != getResult().getType() ||
      getOutput().getType() != getGrad().getType())
    return emitOpError("expects the result to have the input's type and the "
                       "gradient the output's");
  return verifyPoolOp(*this, tensorType(getInput()), getPoolSize(),
                      getStrides(), getPadding(), tensorType(getOutput()));
}

LogicalResult AvgPool2DOp::verify() {
  return verifyPoolOp(*this, tensorType(getInput()), getPoolSize(),
                      getStrides(), getPadding(), tensorType(getResult()));
}

LogicalResult AvgPool2DOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(AvgPool2DGradOp::create(
      b, getLoc(), getInput().getType(), resultGrads[0], getPoolSizeAttr(),
      getStridesAttr(), getPaddingAttr()));
  return success();
}

LogicalResult AvgPool2DGradOp::verify() {
  return verifyPoolOp(*this, tensorType(getResult()), getPoolSize(),
                      getStrides(), getPadding(), tensorType(getGrad()));
}

//===----------------------------------------------------------------------===//
// DropoutOp
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  float rate = getRate().convertToFloat();
  if (!(rate >= 0.0f && rate < 1.0f))
    return emitOpError("expects a rate in [0, 1), got ") << rate;
  if (tensorType(getRng()).getDimSize(0) != 2)
    return emitOpError("expects rng as tensor<2xi64> {seed, step}, got ")
           << getRng().getType();
  int64_t previous = 0;
  for (int64_t dim : getBroadcastDims()) {
    if (dim <= previous || dim >= getType().getRank())
      return emitOpError("expects increasing broadcast_dims in [1, ")
             << getType().getRank() << "), got " << dim;
    previous = dim;
  }
  return success();
}

/// y = x · mask / (1 - rate) is linear in x with a mask fixed by the rng:
/// the gradient is the same dropout (same rng, stream and rate, hence the
/// same mask) of the incoming gradient.
LogicalResult DropoutOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      DropoutOp::create(b, getLoc(), resultGrads[0], getRng(), getRateAttr(),
                        getStreamAttr(), getBroadcastDimsAttr()));
  operandGrads.push_back(nullptr); // The random state is data.
  return success();
}

//===----------------------------------------------------------------------===//
// SparseCategoricalCrossentropyOp
//===----------------------------------------------------------------------===//

LogicalResult SparseCategoricalCrossentropyOp::verify() {
  return verifyScoresAndLabels(*this, getProbs(), getLabels());
}

LogicalResult SparseCategoricalCrossentropyOp::emitGradient(
    OpBuilder &b, ArrayRef<Value> resultGrads,
    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SparseCategoricalCrossentropyGradOp::create(
      b, getLoc(), getProbs().getType(), resultGrads[0], getProbs(),
      getLabels()));
  operandGrads.push_back(nullptr); // Labels are data.
  return success();
}

LogicalResult SparseCategoricalCrossentropyGradOp::verify() {
  if (getProbs().getType() != getResult().getType())
    return emitOpError("expects the result to have the type of the probs");
  return verifyScoresAndLabels(*this, getProbs(), getLabels());
}

//===----------------------------------------------------------------------===//
// SparseSoftmaxCrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult SparseSoftmaxCrossEntropyOp::verify() {
  return verifyScoresAndLabels(*this, getLogits(), getLabels());
}

LogicalResult SparseSoftmaxCrossEntropyOp::emitGradient(
    OpBuilder &b, ArrayRef<Value> resultGrads,
    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SparseSoftmaxCrossEntropyGradOp::create(
      b, getLoc(), getLogits().getType(), resultGrads[0], getLogits(),
      getLabels()));
  operandGrads.push_back(nullptr); // Labels are data.
  return success();
}

LogicalResult SparseSoftmaxCrossEntropyGradOp::verify() {
  if (getLogits().getType() != getResult().getType())
    return emitOpError("expects the result to have the type of the logits");
  return verifyScoresAndLabels(*this, getLogits(), getLabels());
}

//===----------------------------------------------------------------------===//
// SparseCategoricalAccuracyOp
//===----------------------------------------------------------------------===//

LogicalResult SparseCategoricalAccuracyOp::verify() {
  return verifyScoresAndLabels(*this, getScores(), getLabels());
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  auto inputType = tensorType(getInput());
  auto weightType = tensorType(getWeight());
  auto resultType = tensorType(getResult());
  if (inputType.getRank() != 2 || weightType.getRank() != 2 ||
      resultType.getRank() != 2)
    return emitOpError("expects rank-2 input, weight and result");
  int64_t m = inputType.getDimSize(getTransposeLhs() ? 1 : 0);
  int64_t kIn = inputType.getDimSize(getTransposeLhs() ? 0 : 1);
  int64_t kW = weightType.getDimSize(getTransposeRhs() ? 1 : 0);
  int64_t n = weightType.getDimSize(getTransposeRhs() ? 0 : 1);
  if (!extentsAgree(kIn, kW))
    return emitOpError("expects contracted dimensions to agree, got ")
           << inputType << " and " << weightType;
  if (!extentsAgree(m, resultType.getDimSize(0)) ||
      !extentsAgree(n, resultType.getDimSize(1)))
    return emitOpError("expects result of shape ")
           << m << "x" << n << ", got " << resultType;
  if (Value bias = getBias()) {
    auto biasType = tensorType(bias);
    if (biasType.getRank() != 1 ||
        !extentsAgree(biasType.getDimSize(0), resultType.getDimSize(1)))
      return emitOpError("expects a bias of shape ")
             << resultType.getDimSize(1) << ", got " << biasType;
  }
  return success();
}

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.cpp.inc"
