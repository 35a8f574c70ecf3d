//===- KilnNormOps.td - Normalization ops ------------------*- tablegen -*-===//
//
// Normalization over the last dimension (Keras's LayerNormalization, its
// default axis -1), over the batch per channel (BatchNormalization), and
// their derivatives. The learned scale and offset are a separate `kiln.mul`
// and `kiln.add`, so their gradients come from those ops' rules. Included
// by KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNNORMOPS_TD
#define KILN_DIALECT_KILN_IR_KILNNORMOPS_TD

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Kiln_LayerNormOp : Kiln_Op<"layer_norm", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Normalization over the last dimension";
  let description = [{
    `y = (x - μ) / sqrt(σ² + epsilon)` where `μ` and `σ²` are the mean and
    the (biased) variance of each row, the last dimension of `input`: what
    Keras's `LayerNormalization` computes before its `gamma` and `beta`.

    Constraints: rank ≥ 1; the last dimension is static; `epsilon` is a
    finite number > 0.

    Example:
    ```mlir
    %y = kiln.layer_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32Attr:$epsilon);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_LayerNormGradOp : Kiln_Op<"layer_norm_grad",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of layer_norm";
  let description = [{
    Given the gradient `dy` of `kiln.layer_norm`'s output and its input
    `x`, computes the gradient of the input,
    `(dy - mean(dy) - x̂ · mean(dy · x̂)) / sqrt(σ² + epsilon)` with
    `x̂ = (x - μ) / sqrt(σ² + epsilon)`, the means over the last dimension.
    The row statistics are recomputed from `x` rather than kept from the
    forward pass.

    Constraints: as for `kiln.layer_norm`.

    Example:
    ```mlir
    %dx = kiln.layer_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input,
                       F32Attr:$epsilon);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_BatchNormOp : Kiln_Op<"batch_norm", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Normalization over the batch with its own statistics";
  let description = [{
    Training-mode batch normalization over every dimension but the last
    (the channels, Keras's default axis -1): `y = (x - μ) / sqrt(σ² +
    epsilon)` with `μ` and `σ²` the mean and the biased variance of each
    channel over the batch (and, for images, the spatial positions).
    Keras's `BatchNormalization` in training; `kiln.moments` gives the
    same statistics for the moving averages, `kiln.batch_norm_inference`
    normalizes with those in inference.

    Constraints: rank ≥ 2; the last dimension is static; `epsilon` is a
    finite number > 0.

    Example:
    ```mlir
    %y = kiln.batch_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x8x8x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32Attr:$epsilon);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_BatchNormGradOp : Kiln_Op<"batch_norm_grad",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of batch_norm";
  let description = [{
    Given the gradient `dy` of `kiln.batch_norm`'s output and its input
    `x`, computes the gradient of the input,
    `(dy - mean(dy) - x̂ · mean(dy · x̂)) / sqrt(σ² + epsilon)`, the means
    over every dimension but the last (the statistics depend on the whole
    batch, so every sample's gradient involves the others').

    Constraints: as for `kiln.batch_norm`.

    Example:
    ```mlir
    %dx = kiln.batch_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input,
                       F32Attr:$epsilon);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_MomentsOp : Kiln_Op<"moments", [Pure]> {
  let summary = "Per-channel mean and biased variance over the batch";
  let description = [{
    The statistics `kiln.batch_norm` normalizes with: the mean and the
    biased variance of each channel (the last dimension) over every other
    dimension. They feed the moving averages of BatchNormalization, state
    that is not differentiated, so the op has no gradient rule;
    `kiln-autodiff` reports it by name if it ever lies between a
    parameter and the loss.

    Constraints: rank ≥ 2 with a static last dimension `C`; both results
    are `tensor<Cxf32>`.

    Example:
    ```mlir
    %mean, %var = kiln.moments %x : (tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$mean, Kiln_F32Tensor:$variance);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_BatchNormInferenceOp : Kiln_Op<"batch_norm_inference", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Normalization with given per-channel statistics";
  let description = [{
    `y = (x - mean) / sqrt(variance + epsilon)`, `mean` and `variance`
    (`tensor<Cxf32>`) broadcast over every dimension but the last:
    BatchNormalization in inference, with the moving averages. The
    gradient rule differentiates `x` only (`dy / sqrt(variance +
    epsilon)`); the statistics are state, not differentiated.

    Constraints: rank ≥ 2 with a static last dimension `C`; `mean` and
    `variance` are `tensor<Cxf32>`; the result has the input's type;
    `epsilon` is a finite number > 0.

    Example:
    ```mlir
    %y = kiln.batch_norm_inference %x, %mean, %var {epsilon = 1.0e-03 : f32} : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$mean,
                       Kiln_F32Tensor:$variance, F32Attr:$epsilon);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $mean `,` $variance attr-dict `:` "
      "functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // KILN_DIALECT_KILN_IR_KILNNORMOPS_TD
