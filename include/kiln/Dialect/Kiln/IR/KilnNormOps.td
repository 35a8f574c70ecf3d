//===- KilnNormOps.td - Normalization ops ------------------*- tablegen -*-===//
//
// Normalization over the last dimension (Keras's LayerNormalization, its
// default axis -1) and its derivative. The learned scale and offset are a
// separate `kiln.mul` and `kiln.add`, so their gradients come from those
// ops' rules. Included by KilnOps.td.
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

#endif // KILN_DIALECT_KILN_IR_KILNNORMOPS_TD
