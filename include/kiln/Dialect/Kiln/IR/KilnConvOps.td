//===- KilnConvOps.td - Transposed and depthwise convolutions -*- tablegen -*-===//
//
// The ops behind Conv2DTranspose, DepthwiseConv2D and SeparableConv2D (the
// last is a depthwise convolution followed by a 1×1 `kiln.conv2d`), each
// with the two gradient ops its rule emits. Included by KilnOps.td;
// verifiers and gradient rules are in ConvOps.cpp. They lower onto the same
// im2col / col2im machinery as `kiln.conv2d` (WindowOpsToLinalg.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNCONVOPS_TD
#define KILN_DIALECT_KILN_IR_KILNCONVOPS_TD

/// The options of a transposed convolution: those of the convolution it
/// transposes plus the resolved `output_padding` (extra rows and columns
/// after the data).
defvar Kiln_ConvTransposeAttrs = !con(Kiln_ConvAttrs, (ins
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$output_padding));

def Kiln_Conv2DTransposeOp : Kiln_ConvOpBase<"conv2d_transpose",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "2-D transposed convolution of NHWC data (Keras's "
                "Conv2DTranspose)";
  let description = [{
    `y[n, i·sh + a·dh - pt, j·sw + b·dw - pl, f] += x[n, i, j, c] ·
    kernel[a, b, f, c]` for every input position and kernel tap; positions
    that fall outside the result are dropped. The kernel is
    `KH×KW×F×C` (Keras's layout: output channels before input channels), so
    this is the input gradient of the `kiln.conv2d` with the same kernel.

    With `K = (KH - 1)·dh + 1` and `op` the `output_padding`, each output
    extent and the offset `pt` are (per spatial dimension, JAX's and
    TensorFlow's rule, which Keras 3 follows on every backend):
    `valid`: `(in - 1)·s + K + op`, `pt = 0`;
    `same`: `(in - 1)·s + K mod 2 + op`, `pt = max(K - K mod 2 - op, 0) / 2`.
    Keras's default `output_padding` (None) is `max(K, s) - K` for `valid`
    and `s - K mod 2` for `same`; the frontend resolves it.

    Constraints: `input` is `N×H×W×C` with static `H, W`, `kernel` a static
    `KH×KW×F×C`; the result is `N×OH×OW×F`; strides and dilations are
    positive and `output_padding` is non-negative.

    Example:
    ```mlir
    %y = kiln.conv2d_transpose %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$kernel),
                       Kiln_ConvTransposeAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_Conv2DTransposeInputGradOp
    : Kiln_ConvOpBase<"conv2d_transpose_input_grad"> {
  let summary = "Gradient of a transposed convolution with respect to its "
                "input";
  let description = [{
    `dx[n, i, j, c] = Σ_{a, b, f} grad[n, i·sh + a·dh - pt, j·sw + b·dw - pl,
    f] · kernel[a, b, f, c]`, reading zero outside `grad`: a convolution of
    the result gradient with the same kernel. The result type is the
    transposed convolution's input type; attributes mean what they mean on
    `kiln.conv2d_transpose`.

    Example:
    ```mlir
    %dx = kiln.conv2d_transpose_input_grad %dy, %k {strides = array<i64: 2, 2>} : (tensor<?x15x15x4xf32>, tensor<3x3x4x8xf32>) -> tensor<?x7x7x8xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$kernel),
                       Kiln_ConvTransposeAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_Conv2DTransposeKernelGradOp
    : Kiln_ConvOpBase<"conv2d_transpose_kernel_grad"> {
  let summary = "Gradient of a transposed convolution with respect to its "
                "kernel";
  let description = [{
    `dkernel[a, b, f, c] = Σ_{n, i, j} grad[n, i·sh + a·dh - pt,
    j·sw + b·dw - pl, f] · x[n, i, j, c]`, summed over the batch. The
    result type is the kernel type; attributes mean what they mean on
    `kiln.conv2d_transpose`.

    Example:
    ```mlir
    %dk = kiln.conv2d_transpose_kernel_grad %x, %dy {strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<?x15x15x4xf32>) -> tensor<3x3x4x8xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$grad),
                       Kiln_ConvTransposeAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_DepthwiseConv2DOp : Kiln_ConvOpBase<"depthwise_conv2d",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "2-D depthwise convolution of NHWC data (Keras's "
                "DepthwiseConv2D)";
  let description = [{
    `y[n, i, j, c·M + m] = Σ_{a, b} x[n, i·sh + a·dh - pt, j·sw + b·dw - pl,
    c] · kernel[a, b, c, m]`: every input channel is convolved on its own
    with `M` (the depth multiplier) kernels, output channel `c·M + m`, as
    Keras and TensorFlow order them. Strides, dilations and padding mean
    what they mean on `kiln.conv2d`.

    Constraints: `input` is `N×H×W×C` with static `H, W`, `kernel` a static
    `KH×KW×C×M`; the result is `N×OH×OW×(C·M)`.

    Example:
    ```mlir
    %y = kiln.depthwise_conv2d %x, %k {padding = #kiln.padding<same>} : (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x8xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$kernel),
                       Kiln_ConvAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_DepthwiseConv2DInputGradOp
    : Kiln_ConvOpBase<"depthwise_conv2d_input_grad"> {
  let summary = "Gradient of a depthwise convolution with respect to its "
                "input";
  let description = [{
    Every output position sends `Σ_m grad[n, i, j, c·M + m] · kernel[a, b,
    c, m]` back to the input position it read through tap `(a, b)`;
    contributions to one position are summed, those in the padding
    dropped. The result type is the convolution's input type; attributes
    mean what they mean on `kiln.depthwise_conv2d`.

    Example:
    ```mlir
    %dx = kiln.depthwise_conv2d_input_grad %dy, %k : (tensor<?x26x26x8xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x4xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$kernel),
                       Kiln_ConvAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_DepthwiseConv2DKernelGradOp
    : Kiln_ConvOpBase<"depthwise_conv2d_kernel_grad"> {
  let summary = "Gradient of a depthwise convolution with respect to its "
                "kernel";
  let description = [{
    `dkernel[a, b, c, m] = Σ_{n, i, j} x[n, i·sh + a·dh - pt, j·sw + b·dw -
    pl, c] · grad[n, i, j, c·M + m]`. The result type is the kernel type;
    attributes mean what they mean on `kiln.depthwise_conv2d`.

    Example:
    ```mlir
    %dk = kiln.depthwise_conv2d_kernel_grad %x, %dy : (tensor<?x28x28x4xf32>, tensor<?x26x26x8xf32>) -> tensor<3x3x4x2xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$grad),
                       Kiln_ConvAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

#endif // KILN_DIALECT_KILN_IR_KILNCONVOPS_TD
