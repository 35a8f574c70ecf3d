//===- ConvOps.cpp - Transposed and depthwise convolutions ----------------===//
//
// Verifiers and gradient rules of the ops in KilnConvOps.td, each rule
// directly below its op's verifier, and the geometry of a transposed
// convolution that the verifiers and the lowering share.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::kiln;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Prints `[?, 14, 14, 4]`.
static void printShape(InFlightDiagnostic &diag, ArrayRef<int64_t> shape) {
  diag << "[";
  llvm::interleaveComma(shape, diag, [&](int64_t extent) {
    if (ShapedType::isDynamic(extent))
      diag << "?";
    else
      diag << extent;
  });
  diag << "]";
}

/// Checks `actual` against `expected`, extent by extent (dynamic agrees).
static LogicalResult checkShape(Operation *op, StringRef what,
                                ArrayRef<int64_t> expected,
                                RankedTensorType actual) {
  bool agree = actual.getRank() == static_cast<int64_t>(expected.size());
  for (size_t i = 0; agree && i < expected.size(); ++i)
    agree = extentsAgree(expected[i], actual.getDimSize(i));
  if (agree)
    return success();
  InFlightDiagnostic diag = op->emitOpError("expects ") << what << " shape ";
  printShape(diag, expected);
  return diag << ", got " << actual;
}

/// Checks the common form: an NHWC `input` with static H and W, a static
/// rank-4 kernel and two strides and dilations.
static LogicalResult verifyConvOperands(Operation *op, RankedTensorType input,
                                        RankedTensorType kernel,
                                        ArrayRef<int64_t> strides,
                                        ArrayRef<int64_t> dilations) {
  if (input.getRank() != 4 || input.isDynamicDim(1) || input.isDynamicDim(2))
    return op->emitOpError("expects an NHWC input with static height and "
                           "width, got ")
           << input;
  if (kernel.getRank() != 4 || !kernel.hasStaticShape())
    return op->emitOpError("expects a static rank-4 kernel, got ") << kernel;
  if (strides.size() != 2 || dilations.size() != 2)
    return op->emitOpError("expects two strides and two dilations");
  return success();
}

//===----------------------------------------------------------------------===//
// Transposed convolution geometry
//===----------------------------------------------------------------------===//

std::optional<WindowDim>
mlir::kiln::computeTransposeWindowDim(int64_t input, int64_t window,
                                      int64_t stride, int64_t dilation,
                                      Padding padding, int64_t outputPadding) {
  if (input < 1 || window < 1 || stride < 1 || dilation < 1 ||
      outputPadding < 0)
    return std::nullopt;
  int64_t span = (window - 1) * dilation + 1;
  int64_t output, before;
  if (padding == Padding::valid) {
    output = (input - 1) * stride + span + outputPadding;
    before = 0;
  } else {
    // TensorFlow's `same` for the convolution this transposes: its input
    // (our output) padded by `total`, the odd element after the data.
    output = (input - 1) * stride + span % 2 + outputPadding;
    before = std::max<int64_t>(span - span % 2 - outputPadding, 0) / 2;
  }
  int64_t reach = (input - 1) * stride + span - before;
  return WindowDim{output, before, std::max<int64_t>(reach - output, 0)};
}

int64_t mlir::kiln::defaultTransposeOutputPadding(int64_t window,
                                                  int64_t stride,
                                                  int64_t dilation,
                                                  Padding padding) {
  int64_t span = (window - 1) * dilation + 1;
  if (padding == Padding::valid)
    return std::max(span, stride) - span;
  return stride - span % 2;
}

/// Checks a transposed convolution of `input` [N, H, W, C] by `kernel`
/// [KH, KW, F, C] giving `output` [N, OH, OW, F].
static LogicalResult
verifyTranspose(Operation *op, RankedTensorType input, RankedTensorType kernel,
                RankedTensorType output, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> dilations, Padding padding,
                ArrayRef<int64_t> outputPadding) {
  if (failed(verifyConvOperands(op, input, kernel, strides, dilations)))
    return failure();
  if (outputPadding.size() != 2)
    return op->emitOpError("expects two output_padding values");
  if (!extentsAgree(input.getDimSize(3), kernel.getDimSize(3)))
    return op->emitOpError("expects the kernel's last extent (input "
                           "channels) to match the input, got ")
           << input << " and " << kernel;
  SmallVector<int64_t> expected = {input.getDimSize(0)};
  for (int i = 0; i < 2; ++i) {
    std::optional<WindowDim> dim = computeTransposeWindowDim(
        input.getDimSize(1 + i), kernel.getDimSize(i), strides[i], dilations[i],
        padding, outputPadding[i]);
    if (!dim)
      return op->emitOpError("expects positive strides and dilations and a "
                             "non-negative output_padding, got stride ")
             << strides[i] << ", dilation " << dilations[i]
             << ", output_padding " << outputPadding[i];
    expected.push_back(dim->output);
  }
  expected.push_back(kernel.getDimSize(2));
  return checkShape(op, "result", expected, output);
}

LogicalResult Conv2DTransposeOp::verify() {
  return verifyTranspose(*this, tensorType(getInput()), tensorType(getKernel()),
                         tensorType(getResult()), getStrides(), getDilations(),
                         getPadding(), getOutputPadding());
}

/// The input gradient is a convolution of the result gradient with the
/// same kernel; the kernel gradient correlates the two.
LogicalResult
Conv2DTransposeOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dInput = Conv2DTransposeInputGradOp::create(
      b, getLoc(), getInput().getType(), dy, getKernel(), getStridesAttr(),
      getDilationsAttr(), getPaddingAttr(), getOutputPaddingAttr());
  Value dKernel = Conv2DTransposeKernelGradOp::create(
      b, getLoc(), getKernel().getType(), getInput(), dy, getStridesAttr(),
      getDilationsAttr(), getPaddingAttr(), getOutputPaddingAttr());
  operandGrads.assign({dInput, dKernel});
  return success();
}

LogicalResult Conv2DTransposeInputGradOp::verify() {
  return verifyTranspose(*this, tensorType(getResult()),
                         tensorType(getKernel()), tensorType(getGrad()),
                         getStrides(), getDilations(), getPadding(),
                         getOutputPadding());
}

LogicalResult Conv2DTransposeKernelGradOp::verify() {
  return verifyTranspose(*this, tensorType(getInput()), tensorType(getResult()),
                         tensorType(getGrad()), getStrides(), getDilations(),
                         getPadding(), getOutputPadding());
}

//===----------------------------------------------------------------------===//
// Depthwise convolution
//===----------------------------------------------------------------------===//

/// Checks a depthwise convolution of `input` [N, H, W, C] by `kernel`
/// [KH, KW, C, M] giving `output` [N, OH, OW, C·M].
static LogicalResult
verifyDepthwise(Operation *op, RankedTensorType input, RankedTensorType kernel,
                RankedTensorType output, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> dilations, Padding padding) {
  if (failed(verifyConvOperands(op, input, kernel, strides, dilations)))
    return failure();
  if (!extentsAgree(input.getDimSize(3), kernel.getDimSize(2)))
    return op->emitOpError("expects the kernel's input channels to match "
                           "the input, got ")
           << input << " and " << kernel;
  SmallVector<int64_t> expected = {input.getDimSize(0)};
  for (int i = 0; i < 2; ++i) {
    std::optional<WindowDim> dim =
        computeWindowDim(input.getDimSize(1 + i), kernel.getDimSize(i),
                         strides[i], dilations[i], padding);
    if (!dim)
      return op->emitOpError("expects positive window options and a window "
                             "that fits the input, got window ")
             << kernel.getDimSize(i) << ", stride " << strides[i]
             << ", dilation " << dilations[i] << " on extent "
             << input.getDimSize(1 + i);
    expected.push_back(dim->output);
  }
  expected.push_back(kernel.getDimSize(2) * kernel.getDimSize(3));
  return checkShape(op, "result", expected, output);
}

LogicalResult DepthwiseConv2DOp::verify() {
  return verifyDepthwise(*this, tensorType(getInput()), tensorType(getKernel()),
                         tensorType(getResult()), getStrides(), getDilations(),
                         getPadding());
}

LogicalResult
DepthwiseConv2DOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dInput = DepthwiseConv2DInputGradOp::create(
      b, getLoc(), getInput().getType(), dy, getKernel(), getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  Value dKernel = DepthwiseConv2DKernelGradOp::create(
      b, getLoc(), getKernel().getType(), getInput(), dy, getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  operandGrads.assign({dInput, dKernel});
  return success();
}

LogicalResult DepthwiseConv2DInputGradOp::verify() {
  return verifyDepthwise(*this, tensorType(getResult()),
                         tensorType(getKernel()), tensorType(getGrad()),
                         getStrides(), getDilations(), getPadding());
}

LogicalResult DepthwiseConv2DKernelGradOp::verify() {
  return verifyDepthwise(*this, tensorType(getInput()), tensorType(getResult()),
                         tensorType(getGrad()), getStrides(), getDilations(),
                         getPadding());
}
