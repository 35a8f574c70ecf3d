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

def Kiln_ReduceSumOp : Kiln_Op<"reduce_sum", [Pure]> {
  let summary = "Sum over leading dimensions";
  let description = [{
    Sums `input` over its leading dimensions so that the result has the
    shape of the result type, which must be a suffix of the input's shape.
    Gradient rules use it to undo a broadcast.

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

class Kiln_ActivationGradOp<string mnemonic, string formula>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
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

def Kiln_ReluGradOp : Kiln_ActivationGradOp<"relu_grad", "y > 0 ? dy : 0">;
def Kiln_SigmoidGradOp
    : Kiln_ActivationGradOp<"sigmoid_grad", "dy * y * (1 - y)">;
def Kiln_TanhGradOp : Kiln_ActivationGradOp<"tanh_grad", "dy * (1 - y * y)">;

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

#endif // KILN_DIALECT_KILN_IR_KILNOPS_TD
