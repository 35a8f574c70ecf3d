//===- KilnOps.td - Kiln op definitions --------------------*- tablegen -*-===//
//
// Op families first (unary activations, activation derivatives, losses),
// then the individual ops. Every op documents its semantics, constraints and
// an example; `docs/Dialect.md` is generated from this file.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNOPS_TD
#define KILN_DIALECT_KILN_IR_KILNOPS_TD

include "kiln/Dialect/Kiln/IR/KilnDialect.td"
include "kiln/Dialect/Kiln/IR/KilnInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kiln_F32Tensor : RankedTensorOf<[F32]>;
def Kiln_F32Scalar : 0DTensorOf<[F32]>;
def Kiln_LabelTensor : 1DTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Linear algebra and shape ops
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Matrix product with optional transposed operands";
  let description = [{
    Computes `op(lhs) · op(rhs)` where `op(X)` is `Xᵀ` when the matching
    `transpose_lhs` / `transpose_rhs` flag is set and `X` otherwise. Keeping
    transposes as attributes lets the backward products (`dY · Wᵀ`,
    `Xᵀ · dY`) read their operands in place instead of materializing a
    transpose.

    Constraints: both operands and the result are rank-2 `f32` tensors; the
    contracted dimensions agree and the result is `M×N` where `op(lhs)` is
    `M×K` and `op(rhs)` is `K×N` (dynamic sizes match anything).

    Example:
    ```mlir
    %y = kiln.matmul %x, %w : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
    %dx = kiln.matmul %dy, %w {transpose_rhs} : (tensor<?x128xf32>, tensor<784x128xf32>) -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$lhs, Kiln_F32Tensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_AddOp : Kiln_Op<"add", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise sum, broadcasting the right operand";
  let description = [{
    Adds `rhs` to `lhs` elementwise. The shape of `rhs` must equal a suffix
    of the shape of `lhs`; it is broadcast along the leading dimensions it
    lacks (a bias vector added to every row of a batch). The result has the
    type of `lhs`. The gradient of `rhs` sums the incoming gradient over the
    broadcast dimensions.

    Example:
    ```mlir
    %z = kiln.add %y, %b : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$lhs, Kiln_F32Tensor:$rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_ReduceSumOp : Kiln_Op<"reduce_sum", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Sum over leading dimensions";
  let description = [{
    Sums `input` over its leading dimensions so that the result has the
    shape of the result type, which must be a suffix of the input's shape.
    Gradient rules use it to undo a broadcast; its own gradient is that
    broadcast, a `kiln.add` of the incoming gradient to zeros of the input's
    type.

    Example:
    ```mlir
    %db = kiln.reduce_sum %dz : (tensor<?x128xf32>) -> tensor<128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_ReshapeOp : Kiln_Op<"reshape", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Reshape keeping the batch dimension";
  let description = [{
    Reinterprets `input` with the shape of the result type, in row-major
    order. The leading (batch) dimension is kept as it is; the remaining
    dimensions must be static and hold the same number of elements
    (Keras's `Flatten` and `Reshape`).

    Example:
    ```mlir
    %f = kiln.reshape %x : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_ScaleOp : Kiln_Op<"scale", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Affine rescaling `x * scale + offset`";
  let description = [{
    Multiplies every element by `scale` and adds `offset` (Keras's
    `Rescaling` layer, e.g. `scale = 1/255` for 8-bit pixels).

    Example:
    ```mlir
    %r = kiln.scale %x {scale = 0.00392156886 : f32, offset = 0.0 : f32} : tensor<?x28x28xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32Attr:$scale,
                       DefaultValuedAttr<F32Attr, "0.0f">:$offset);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Activations and their derivatives
//===----------------------------------------------------------------------===//

class Kiln_ActivationOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType,
                         DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise activation `" # formula # "`";
  let description = [{
    Applies `}] # formula # [{` to every element. The gradient rule is
    expressed with the activation's output, so the forward input need not
    be kept alive for the backward pass.

    Example:
    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Kiln_ReluOp : Kiln_ActivationOp<"relu", "max(x, 0)">;
def Kiln_SigmoidOp : Kiln_ActivationOp<"sigmoid", "1 / (1 + exp(-x))">;
def Kiln_TanhOp : Kiln_ActivationOp<"tanh", "tanh(x)">;
def Kiln_Relu6Op : Kiln_ActivationOp<"relu6", "min(max(x, 0), 6)">;
// `alpha` is the ELU layer's option (the activation name means 1).
def Kiln_EluOp
    : Kiln_ActivationOp<"elu", "x > 0 ? x : alpha · (exp(x) - 1)"> {
  let arguments = (ins Kiln_F32Tensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha);
  // A negative alpha would make the gradient rule's test `y > 0` wrong.
  let hasVerifier = 1;
}
def Kiln_SeluOp : Kiln_ActivationOp<"selu",
    "λ · (x > 0 ? x : α · (exp(x) - 1)), λ = 1.0507009873554805, α = 1.6732632423543772">;
def Kiln_SoftplusOp : Kiln_ActivationOp<"softplus", "log(1 + exp(x))">;
def Kiln_SoftsignOp : Kiln_ActivationOp<"softsign", "x / (1 + |x|)">;
def Kiln_HardSigmoidOp : Kiln_ActivationOp<"hard_sigmoid",
    "clamp(x / 6 + 1/2, 0, 1) (Keras 3's definition)">;
def Kiln_ExponentialOp : Kiln_ActivationOp<"exponential", "exp(x)">;

/// Activations whose derivative needs the input, not just the output.
class Kiln_InputActivationOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType,
                         DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise activation `" # formula # "`";
  let description = [{
    Applies `}] # formula # [{` to every element. Its derivative is not a
    function of the output, so the gradient rule reads the input.

    Example:
    ```mlir
    %y = kiln.}] # mnemonic # [{ %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Kiln_GeluOp : Kiln_InputActivationOp<"gelu",
    "x · Φ(x) = x / 2 · (1 + erf(x / √2)) (exact, Keras's default)">;
def Kiln_SwishOp : Kiln_InputActivationOp<"swish", "x · sigmoid(x) (also silu)">;

def Kiln_LeakyReluOp : Kiln_Op<"leaky_relu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise `x > 0 ? x : alpha · x`";
  let description = [{
    Keras's `leaky_relu` activation (`negative_slope` 0.2 by default there)
    and `LeakyReLU` layer. The gradient rule reads the input.

    Example:
    ```mlir
    %y = kiln.leaky_relu %x {alpha = 2.000000e-01 : f32} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32Attr:$alpha);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

/// `traits` declares GradientOpInterface on the derivatives that have a
/// second-order rule (the gradient of a gradient, e.g. a gradient penalty).
class Kiln_ActivationGradOp<string mnemonic, string formula,
                            list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType],
                                    traits)> {
  let summary = "Derivative of an activation: `" # formula # "`";
  let description = [{
    Given the gradient `dy` of an activation's output and that output `y`,
    computes the gradient of its input, `}] # formula # [{`. Emitted by
    gradient rules.

    Example:
    ```mlir
    %dx = kiln.}] # mnemonic # [{ %dy, %y : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
}

def Kiln_ReluGradOp : Kiln_ActivationGradOp<"relu_grad", "y > 0 ? dy : 0",
    [DeclareOpInterfaceMethods<GradientOpInterface>]>;
def Kiln_SigmoidGradOp
    : Kiln_ActivationGradOp<"sigmoid_grad", "dy * y * (1 - y)",
                            [DeclareOpInterfaceMethods<GradientOpInterface>]>;
def Kiln_TanhGradOp : Kiln_ActivationGradOp<"tanh_grad", "dy * (1 - y * y)",
    [DeclareOpInterfaceMethods<GradientOpInterface>]>;
def Kiln_Relu6GradOp
    : Kiln_ActivationGradOp<"relu6_grad", "0 < y < 6 ? dy : 0">;
def Kiln_EluGradOp
    : Kiln_ActivationGradOp<"elu_grad", "y > 0 ? dy : dy * (y + alpha)",
                            [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha);
}
def Kiln_SeluGradOp : Kiln_ActivationGradOp<"selu_grad",
    "y > 0 ? dy * λ : dy * (y + λ · α)">;
def Kiln_SoftplusGradOp
    : Kiln_ActivationGradOp<"softplus_grad", "dy * -expm1(-y)">;
def Kiln_SoftsignGradOp
    : Kiln_ActivationGradOp<"softsign_grad", "dy * (1 - |y|)²">;
def Kiln_HardSigmoidGradOp
    : Kiln_ActivationGradOp<"hard_sigmoid_grad", "0 < y < 1 ? dy / 6 : 0">;
def Kiln_ExponentialGradOp
    : Kiln_ActivationGradOp<"exponential_grad", "dy * y">;

class Kiln_InputActivationGradOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of an activation: `" # formula # "`";
  let description = [{
    Given the gradient `dy` of an activation's output and its input `x`,
    computes the gradient of the input, `}] # formula # [{`. Emitted by
    gradient rules.

    Example:
    ```mlir
    %dx = kiln.}] # mnemonic # [{ %dy, %x : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $input attr-dict `:` type($result)";
}

def Kiln_GeluGradOp : Kiln_InputActivationGradOp<"gelu_grad",
    "dy * (Φ(x) + x · φ(x))">;
def Kiln_SwishGradOp : Kiln_InputActivationGradOp<"swish_grad",
    "dy * (s + x · s · (1 - s)), s = sigmoid(x)">;

def Kiln_LeakyReluGradOp : Kiln_Op<"leaky_relu_grad",
    [Pure, SameOperandsAndResultType,
     DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Derivative of leaky ReLU: `x > 0 ? dy : alpha · dy`";
  let description = [{
    Given the gradient `dy` of a `kiln.leaky_relu` output and its input
    `x`, computes the gradient of the input. It is linear in `dy` (its own
    gradient there is the same op) and piecewise constant in `x`.

    Example:
    ```mlir
    %dx = kiln.leaky_relu_grad %dy, %x {alpha = 2.000000e-01 : f32} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input,
                       F32Attr:$alpha);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $input attr-dict `:` type($result)";
}

def Kiln_SoftmaxOp : Kiln_Op<"softmax", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Softmax over the last dimension";
  let description = [{
    `y[..., i] = exp(x[..., i] - m) / Σ_j exp(x[..., j] - m)` with `m` the
    row maximum, which keeps the exponentials finite.

    Example:
    ```mlir
    %p = kiln.softmax %logits : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_SoftmaxGradOp : Kiln_Op<"softmax_grad",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of softmax: `y * (dy - Σ dy·y)`";
  let description = [{
    Given the gradient `dy` of a softmax's output `y`, computes the gradient
    of its input, `y[..., i] * (dy[..., i] - Σ_j dy[..., j] * y[..., j])`,
    the sum running over the last dimension.

    Example:
    ```mlir
    %dx = kiln.softmax_grad %dy, %y : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Convolution, pooling and dropout (NHWC activations, HWIO kernels)
//===----------------------------------------------------------------------===//

def Kiln_Rng : 1DTensorOf<[I64]>;

class Kiln_ConvOpBase<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([Pure], traits)> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

/// The window options every convolution op carries, Keras's defaults
/// included.
defvar Kiln_ConvAttrs = (ins
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<Kiln_PaddingAttr, "::mlir::kiln::Padding::valid">:$padding);

def Kiln_Conv2DOp : Kiln_ConvOpBase<"conv2d",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "2-D convolution of NHWC data with an HWIO kernel";
  let description = [{
    `y[n, i, j, f] = Σ_{a, b, c} x[n, i·sh + a·dh - pt, j·sw + b·dw - pl, c] ·
    kernel[a, b, c, f]`, reading zero outside the input: Keras's `Conv2D`
    (a cross-correlation, channels last) without bias or activation, which
    follow as `kiln.add` and an activation op.

    `strides` and `dilations` are `[height, width]`; `padding` is `valid`
    (no padding) or `same` (`pt`/`pl` as TensorFlow pads: the output has
    `ceil(in / stride)` positions, the odd element of the padding after the
    data).

    Constraints: `input` is `N×H×W×C` and `kernel` `KH×KW×C×F` with static
    `H, W`; the result is `N×OH×OW×F` with the output extents the padding
    mode gives, each at least 1; strides and dilations are positive.

    Example:
    ```mlir
    %y = kiln.conv2d %x, %k : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
    %z = kiln.conv2d %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x14x14x32xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$kernel),
                       Kiln_ConvAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_Conv2DInputGradOp : Kiln_ConvOpBase<"conv2d_input_grad",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Gradient of a 2-D convolution with respect to its input";
  let description = [{
    Given the gradient `grad` of a `kiln.conv2d` result and its kernel,
    computes the gradient of its input: every output position sends
    `grad[n, i, j, :] · kernel[a, b, :, :]ᵀ` back to the input position it
    read through kernel tap `(a, b)`; contributions to one position are
    summed and those that fell into the padding are dropped. The result
    type is the convolution's input type (it fixes `H` and `W`, which the
    output extents alone do not when strides exceed 1). Attributes mean
    what they mean on `kiln.conv2d`.

    The op is bilinear in `grad` and `kernel` (the transpose of the
    convolution), so its own gradients are a `kiln.conv2d` of the incoming
    gradient with the kernel and a `kiln.conv2d_kernel_grad` of the
    incoming gradient (as the input) with `grad`.

    Example:
    ```mlir
    %dx = kiln.conv2d_input_grad %dy, %k : (tensor<?x11x11x64xf32>, tensor<3x3x32x64xf32>) -> tensor<?x13x13x32xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$kernel),
                       Kiln_ConvAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_Conv2DKernelGradOp : Kiln_ConvOpBase<"conv2d_kernel_grad",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Gradient of a 2-D convolution with respect to its kernel";
  let description = [{
    `dkernel[a, b, c, f] = Σ_{n, i, j} x[n, i·sh + a·dh - pt, j·sw + b·dw - pl, c]
    · grad[n, i, j, f]`: the correlation of the convolution's input with the
    gradient of its result, summed over the batch. The result type is the
    kernel type. Attributes mean what they mean on `kiln.conv2d`. Bilinear
    in `input` and `grad`: its own gradients are a
    `kiln.conv2d_input_grad` and a `kiln.conv2d`.

    Example:
    ```mlir
    %dk = kiln.conv2d_kernel_grad %x, %dy : (tensor<?x13x13x32xf32>, tensor<?x11x11x64xf32>) -> tensor<3x3x32x64xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$grad),
                       Kiln_ConvAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

/// The window options of pooling ops; `strides` defaults to the pool size
/// in the frontend, as in Keras.
defvar Kiln_PoolAttrs = (ins
    DenseI64ArrayAttr:$pool_size,
    DenseI64ArrayAttr:$strides,
    DefaultValuedAttr<Kiln_PaddingAttr, "::mlir::kiln::Padding::valid">:$padding);

def Kiln_MaxPool2DOp : Kiln_ConvOpBase<"max_pool2d",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "2-D max pooling of NHWC data";
  let description = [{
    `y[n, i, j, c] = max_{a, b} x[n, i·sh + a - pt, j·sw + b - pl, c]` over
    the `pool_size` window, positions in the padding not taking part
    (Keras's `MaxPooling2D`, channels last).

    Constraints: `N×H×W×C` input with static `H, W`; the result is
    `N×OH×OW×C` with the output extents `padding` gives; pool sizes and
    strides are positive.

    Example:
    ```mlir
    %y = kiln.max_pool2d %x {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input), Kiln_PoolAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_MaxPool2DGradOp : Kiln_ConvOpBase<"max_pool2d_grad"> {
  let summary = "Gradient of 2-D max pooling";
  let description = [{
    Routes `grad[n, i, j, c]` to the position of the window's maximum: the
    first one in row-major window order when several elements hold it, as
    TensorFlow and PyTorch do; contributions of overlapping windows are
    summed. `input` and `output` are the pooling's operand and result.

    Example:
    ```mlir
    %dx = kiln.max_pool2d_grad %dy, %x, %y {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>, tensor<?x26x26x32xf32>, tensor<?x13x13x32xf32>) -> tensor<?x26x26x32xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input,
                            Kiln_F32Tensor:$output),
                       Kiln_PoolAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_AvgPool2DOp : Kiln_ConvOpBase<"avg_pool2d",
    [DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "2-D average pooling of NHWC data";
  let description = [{
    `y[n, i, j, c]` is the mean of `x` over the window at `(i·sh - pt,
    j·sw - pl)`, counting only the positions inside the input (with `same`
    padding, border windows average fewer elements, as in Keras).
    Constraints as for `kiln.max_pool2d`.

    Example:
    ```mlir
    %y = kiln.avg_pool2d %x {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input), Kiln_PoolAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_AvgPool2DGradOp : Kiln_ConvOpBase<"avg_pool2d_grad"> {
  let summary = "Gradient of 2-D average pooling";
  let description = [{
    Spreads `grad[n, i, j, c]` evenly over the input positions its window
    averaged; contributions of overlapping windows are summed. The result
    type is the pooling's input type.

    Example:
    ```mlir
    %dx = kiln.avg_pool2d_grad %dy {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>) -> tensor<?x26x26x32xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$grad), Kiln_PoolAttrs);
  let results = (outs Kiln_F32Tensor:$result);
}

def Kiln_DropoutOp : Kiln_Op<"dropout", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Inverted dropout with a counter-based random mask";
  let description = [{
    `y = keep ? x / (1 - rate) : 0` elementwise, as Keras's `Dropout` does in
    training. `rng` holds `{seed, step}`; whether an element is kept is a
    hash of `(seed, step, stream, element index)` compared with `rate`, so
    the mask is reproducible, independent of how the work is split across
    threads, different in every step, and different for each dropout op of
    a model (each has its own `stream`). The frontend emits the op only in
    the training function; inference skips it.

    The op is linear in `input` with a mask that depends on `rng` only, so
    its gradient is the same op applied to the incoming gradient.

    `broadcast_dims` lists dimensions along which one mask element is
    shared (Keras's `SpatialDropout1D/2D` drop whole channels: the spatial
    dimensions are listed); the hash then reads the element's index in the
    mask, which has extent 1 along those dimensions.

    Constraints: `0 <= rate < 1`; `rng` has 2 elements; `broadcast_dims`
    increasing, each in `[1, rank)` (the batch always has its own masks).

    Example:
    ```mlir
    %y = kiln.dropout %x, %rng {rate = 5.000000e-01 : f32, stream = 1 : i64} : tensor<?x1600xf32>, tensor<2xi64>
    %z = kiln.dropout %x, %rng {broadcast_dims = array<i64: 1, 2>, rate = 2.000000e-01 : f32, stream = 3 : i64} : tensor<?x7x7x8xf32>, tensor<2xi64>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_Rng:$rng, F32Attr:$rate,
                       DefaultValuedAttr<I64Attr, "0">:$stream,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$broadcast_dims);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $rng attr-dict `:` type($input) `,` type($rng)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

def Kiln_SparseCategoricalCrossentropyOp
    : Kiln_Op<"sparse_categorical_crossentropy", [Pure,
        DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Mean cross-entropy of probabilities against class indices";
  let description = [{
    `loss = -(1/n) Σ_b log(clip(probs[b, labels[b]], ε, 1 - ε))` with
    `ε = 1e-7`, as Keras computes it from probabilities. `kiln-fuse` replaces
    a softmax feeding this op by `kiln.sparse_softmax_cross_entropy`, which
    works on logits and is exact and stable.

    Constraints: `probs` is `n×C` `f32`, `labels` is `n` `i32`, the result is
    a scalar.

    Example:
    ```mlir
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$probs, Kiln_LabelTensor:$labels);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$probs `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SparseCategoricalCrossentropyGradOp
    : Kiln_Op<"sparse_categorical_crossentropy_grad", [Pure]> {
  let summary = "Gradient of the probability cross-entropy";
  let description = [{
    `dprobs[b, c] = -dloss / (n · p)` where `c = labels[b]` and `p` lies
    inside the clipping interval `[ε, 1 - ε]`; zero elsewhere.

    Example:
    ```mlir
    %dp = kiln.sparse_categorical_crossentropy_grad %dl, %p, %y : (tensor<f32>, tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Scalar:$grad, Kiln_F32Tensor:$probs, Kiln_LabelTensor:$labels);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $probs `,` $labels attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SparseSoftmaxCrossEntropyOp
    : Kiln_Op<"sparse_softmax_cross_entropy", [Pure,
        DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Fused softmax and mean cross-entropy on logits";
  let description = [{
    `loss = (1/n) Σ_b (logsumexp(logits[b, :]) - logits[b, labels[b]])`:
    the cross-entropy of `softmax(logits)` computed without forming the
    probabilities, so it never takes the logarithm of an underflowed value.

    Example:
    ```mlir
    %l = kiln.sparse_softmax_cross_entropy %z, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$logits, Kiln_LabelTensor:$labels);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SparseSoftmaxCrossEntropyGradOp
    : Kiln_Op<"sparse_softmax_cross_entropy_grad", [Pure]> {
  let summary = "Fused backward of softmax and cross-entropy";
  let description = [{
    `dlogits[b, i] = dloss · (softmax(logits[b])[i] - [i == labels[b]]) / n`,
    computed in one pass over each row.

    Example:
    ```mlir
    %dz = kiln.sparse_softmax_cross_entropy_grad %dl, %z, %y : (tensor<f32>, tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Scalar:$grad, Kiln_F32Tensor:$logits, Kiln_LabelTensor:$labels);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $logits `,` $labels attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SparseCategoricalAccuracyOp
    : Kiln_Op<"sparse_categorical_accuracy", [Pure]> {
  let summary = "Fraction of rows whose arg-max equals the label";
  let description = [{
    `(1/n) Σ_b [argmax(scores[b, :]) == labels[b]]`, the first maximum
    winning ties. `scores` may be probabilities or logits: softmax keeps the
    arg-max. Metrics are not differentiated.

    Example:
    ```mlir
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$scores, Kiln_LabelTensor:$labels);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$scores `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Losses with dense targets (LossOps.cpp)
//===----------------------------------------------------------------------===//

// A loss of predictions against targets of the same shape (regression
// values, 0/1 labels or one-hot class vectors): the per-sample losses are
// averaged over the batch, as Keras's default `sum_over_batch_size`
// reduction does.
class Kiln_TargetLossOp<string mnemonic, string formula, string note>
    : Kiln_Op<mnemonic, [Pure,
        DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Mean `" # formula # "` against dense targets";
  let description = !strconcat([{
    `loss = }], formula, [{` for predictions and targets of the same shape
    `n×…` (`f32`); the result is a scalar. }], note, [{

    Constraints: the operands have the same rank (at least 1) and agreeing
    extents.

    Example:
    ```mlir
    %l = kiln.}], mnemonic, [{ %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
    ```
  }]);
  let arguments = (ins Kiln_F32Tensor:$prediction, Kiln_F32Tensor:$target);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$prediction `,` $target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

// The gradient of a Kiln_TargetLossOp with respect to its prediction.
class Kiln_TargetLossGradOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, AllTypesMatch<["prediction", "result"]>]> {
  let summary = "Gradient of a dense-target loss: `" # formula # "`";
  let description = !strconcat([{
    `dprediction = }], formula, [{`, where `dl` is the scalar gradient of
    the loss and `N` the count the forward op averages over.

    Example:
    ```mlir
    %dp = kiln.}], mnemonic, [{ %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    ```
  }]);
  let arguments = (ins Kiln_F32Scalar:$grad, Kiln_F32Tensor:$prediction,
                       Kiln_F32Tensor:$target);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$grad `,` $prediction `,` $target attr-dict `:` "
      "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_MeanSquaredErrorOp : Kiln_TargetLossOp<"mean_squared_error",
    "(1/N) Σ (p - t)²", "`N` counts all elements (Keras averages over the "
    "last axis, then over the rest).">;
def Kiln_MeanSquaredErrorGradOp : Kiln_TargetLossGradOp<
    "mean_squared_error_grad", "dl · 2 (p - t) / N">;

def Kiln_MeanAbsoluteErrorOp : Kiln_TargetLossOp<"mean_absolute_error",
    "(1/N) Σ |p - t|", "`N` counts all elements.">;
def Kiln_MeanAbsoluteErrorGradOp : Kiln_TargetLossGradOp<
    "mean_absolute_error_grad", "dl · sign(p - t) / N">;

def Kiln_MeanDifferenceOp : Kiln_TargetLossOp<"mean_difference",
    "(1/N) Σ (p - t)", "`N` counts all elements. With zero targets it is the "
    "mean of the predictions: the Wasserstein and hinge losses of a GAN "
    "(its critic's mean scores) are built from it.">;
def Kiln_MeanDifferenceGradOp : Kiln_TargetLossGradOp<
    "mean_difference_grad", "dl / N">;

def Kiln_BinaryCrossentropyOp : Kiln_TargetLossOp<"binary_crossentropy",
    "-(1/N) Σ t log(q + ε) + (1 - t) log(1 - q + ε)",
    "`q = clip(p, ε, 1 - ε)` with `ε = 1e-7`, Keras's formula on "
    "probabilities; `N` counts all elements. `kiln-fuse` replaces a sigmoid "
    "feeding this op by `kiln.sigmoid_binary_cross_entropy`.">;
def Kiln_BinaryCrossentropyGradOp : Kiln_TargetLossGradOp<
    "binary_crossentropy_grad",
    "dl · ((1 - t) / (1 - p + ε) - t / (p + ε)) / N inside [ε, 1 - ε], else 0">;

def Kiln_SigmoidBinaryCrossEntropyOp : Kiln_TargetLossOp<
    "sigmoid_binary_cross_entropy",
    "(1/N) Σ max(z, 0) - z t + log(1 + exp(-|z|))",
    "The cross-entropy of `sigmoid(z)` computed from the logits `z` without "
    "forming probabilities (`from_logits=True`); `N` counts all elements.">;
def Kiln_SigmoidBinaryCrossEntropyGradOp : Kiln_TargetLossGradOp<
    "sigmoid_binary_cross_entropy_grad", "dl · (sigmoid(z) - t) / N">;

def Kiln_CategoricalCrossentropyOp : Kiln_TargetLossOp<
    "categorical_crossentropy", "-(1/n) Σ_b Σ_i t[b,i] log(clip(q[b,i]))",
    "`q` is each row of `p` divided by its sum and clipped to `[ε, 1 - ε]` "
    "(`ε = 1e-7`), as Keras computes it from probabilities; `n` is the "
    "batch. Operands are rank 2 (batch × classes). `kiln-fuse` replaces a "
    "softmax feeding this op by `kiln.softmax_cross_entropy`.">;
def Kiln_CategoricalCrossentropyGradOp : Kiln_TargetLossGradOp<
    "categorical_crossentropy_grad",
    "dl · (g_i + Σ_j t_j [q_j live]) / (n s), g_i = -t_i [q_i live] / q_i">;

def Kiln_SoftmaxCrossEntropyOp : Kiln_TargetLossOp<"softmax_cross_entropy",
    "(1/n) Σ_b Σ_i t[b,i] (logsumexp(z[b,:]) - z[b,i])",
    "The cross-entropy of `softmax(z)` computed from the logits "
    "(`from_logits=True`); operands are rank 2 (batch × classes).">;
def Kiln_SoftmaxCrossEntropyGradOp : Kiln_TargetLossGradOp<
    "softmax_cross_entropy_grad",
    "dl · (softmax(z)_i Σ_j t_j - t_i) / n">;

def Kiln_HuberOp : Kiln_Op<"huber", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Mean Huber loss against dense targets";
  let description = [{
    `loss = (1/N) Σ h(p - t)` with `h(e) = e²/2` when `|e| <= delta` and
    `delta · (|e| - delta/2)` otherwise; `N` counts all elements.

    Constraints: the operands have the same rank and agreeing extents;
    `delta > 0`.

    Example:
    ```mlir
    %l = kiln.huber %p, %t {delta = 1.0 : f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$prediction, Kiln_F32Tensor:$target,
                       F32Attr:$delta);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$prediction `,` $target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_HuberGradOp : Kiln_Op<"huber_grad", [Pure,
    AllTypesMatch<["prediction", "result"]>]> {
  let summary = "Gradient of the Huber loss: `dl · clamp(p - t, ±delta) / N`";
  let description = [{
    Example:
    ```mlir
    %dp = kiln.huber_grad %dl, %p, %t {delta = 1.0 : f32} : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Scalar:$grad, Kiln_F32Tensor:$prediction,
                       Kiln_F32Tensor:$target, F32Attr:$delta);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$grad `,` $prediction `,` $target attr-dict `:` "
      "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_BinaryAccuracyOp : Kiln_Op<"binary_accuracy", [Pure]> {
  let summary = "Fraction of elements on the target's side of a threshold";
  let description = [{
    `(1/N) Σ [(p > threshold) == (t > 0.5)]` over all `N` elements. On
    logits the threshold is `log(θ / (1 - θ))` for a probability threshold
    `θ` (`kiln-fuse` rewrites it so). Metrics are not differentiated.

    Example:
    ```mlir
    %a = kiln.binary_accuracy %p, %t {threshold = 0.5 : f32} : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$prediction, Kiln_F32Tensor:$target,
                       F32Attr:$threshold);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$prediction `,` $target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_CategoricalAccuracyOp : Kiln_Op<"categorical_accuracy", [Pure]> {
  let summary = "Fraction of rows whose arg-max matches the target's";
  let description = [{
    `(1/n) Σ_b [argmax(scores[b, :]) == argmax(target[b, :])]`, the first
    maximum winning ties on both sides. Operands are rank 2.

    Example:
    ```mlir
    %a = kiln.categorical_accuracy %p, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$scores, Kiln_F32Tensor:$target);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$scores `,` $target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SparseTopKCategoricalAccuracyOp
    : Kiln_Op<"sparse_top_k_categorical_accuracy", [Pure]> {
  let summary = "Fraction of rows whose label is among the k top scores";
  let description = [{
    `(1/n) Σ_b [#{i : scores[b, i] > scores[b, labels[b]]} < k]`: ties at the
    boundary count as hits, as TensorFlow's `in_top_k` does.

    Example:
    ```mlir
    %a = kiln.sparse_top_k_categorical_accuracy %p, %y {k = 5 : i64} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$scores, Kiln_LabelTensor:$labels,
                       I64Attr:$k);
  let results = (outs Kiln_F32Scalar:$result);
  let assemblyFormat =
      "$scores `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused ops (formed by kiln-fuse)
//===----------------------------------------------------------------------===//

def Kiln_LinearOp : Kiln_Op<"linear", [Pure]> {
  let summary = "Matmul with bias and activation epilogue";
  let description = [{
    `activation(op(input) · op(weight) + bias)`: a dense layer in one op, so
    that the lowering applies the bias and the activation to each output
    tile while it is still in registers instead of in further passes over
    memory. Formed by `kiln-fuse` after differentiation; the `bias` is
    optional. Transpose flags mean what they mean on `kiln.matmul`.

    Example:
    ```mlir
    %h = kiln.linear %x, %w, %b {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$weight,
                       Optional<Kiln_F32Tensor>:$bias,
                       DefaultValuedAttr<Kiln_ActivationAttr,
                           "::mlir::kiln::Activation::none">:$activation,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

include "kiln/Dialect/Kiln/IR/KilnTensorOps.td"
include "kiln/Dialect/Kiln/IR/KilnLayerOps.td"
include "kiln/Dialect/Kiln/IR/KilnNormOps.td"
include "kiln/Dialect/Kiln/IR/KilnImageOps.td"
include "kiln/Dialect/Kiln/IR/KilnConvOps.td"

#endif // KILN_DIALECT_KILN_IR_KILNOPS_TD
