//===- KilnTensorOps.td - Elementwise product, slices, concat -*- tablegen -*-===//
//
// The general building blocks recurrent layers are unrolled into: an
// elementwise product (gates), static slices along one dimension (gates of
// a fused pre-activation, timesteps of a sequence) with their adjoint, and
// concatenation (stacking the outputs of the timesteps); the square root
// of a gradient penalty's norm. Included by KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNTENSOROPS_TD
#define KILN_DIALECT_KILN_IR_KILNTENSOROPS_TD

//===----------------------------------------------------------------------===//
// Elementwise product, slices and concatenation
//===----------------------------------------------------------------------===//

def Kiln_MulOp : Kiln_Op<"mul", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise product, broadcasting the right operand";
  let description = [{
    `y = lhs * rhs` elementwise (the Hadamard product gating a recurrent
    cell's state). As for `kiln.add`, the shape of `rhs` is a suffix of the
    shape of `lhs` and is broadcast along the leading dimensions it lacks;
    the result has the type of `lhs`. The gradient of each operand is the
    incoming gradient times the other operand, summed over the broadcast
    dimensions for `rhs`.

    Example:
    ```mlir
    %y = kiln.mul %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    %s = kiln.mul %a, %v : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$lhs, Kiln_F32Tensor:$rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SliceOp : Kiln_Op<"slice", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Static slice along one dimension";
  let description = [{
    Takes the elements `offset ≤ i < offset + size` of dimension `dim` of
    `input` and every element of the other dimensions. `size` is the result's
    extent along `dim` when the result has the input's rank; when the result
    has one dimension less, `size` is 1 and dimension `dim` is dropped (one
    timestep `x[:, t, :]` of a sequence).

    Constraints: `0 <= dim < rank(input)` and the input's extent along
    `dim` is static (so a batch dimension is never sliced); the slice lies
    inside it; the other dimensions of the result agree with the input's.

    Example:
    ```mlir
    %gate = kiln.slice %z {dim = 1 : i64, offset = 64 : i64} : (tensor<?x256xf32>) -> tensor<?x64xf32>
    %xt = kiln.slice %x {dim = 1 : i64, offset = 3 : i64} : (tensor<?x28x28xf32>) -> tensor<?x28xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, I64Attr:$dim, I64Attr:$offset);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_SliceGradOp : Kiln_Op<"slice_grad", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Adjoint of `kiln.slice`: place a slice into zeros";
  let description = [{
    The gradient of a `kiln.slice`: a tensor of the result type (the sliced
    input's type) that holds `grad` where the slice read and zeros
    elsewhere. `dim` and `offset` mean what they mean on `kiln.slice`, and
    `grad` relates to the result as a slice's result relates to its input.
    The frontend also uses it forward, for zero padding (ZeroPadding2D pads
    one dimension per op); its own gradient is the matching `kiln.slice`.

    Example:
    ```mlir
    %dz = kiln.slice_grad %dgate {dim = 1 : i64, offset = 64 : i64} : (tensor<?x64xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, I64Attr:$dim, I64Attr:$offset);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_ConcatOp : Kiln_Op<"concat", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Concatenation along one dimension";
  let description = [{
    Joins `inputs` in order along dimension `dim` (a recurrent layer with
    `return_sequences` stacks its timesteps this way). The gradient of each
    input is the matching `kiln.slice` of the incoming gradient.

    Constraints: at least one input; all inputs have the result's rank and
    agree with it in every dimension but `dim`; `0 <= dim < rank` and the
    extents along `dim` are static and sum to the result's.

    Example:
    ```mlir
    %s = kiln.concat %h0, %h1 {dim = 1 : i64} : (tensor<?x1x64xf32>, tensor<?x1x64xf32>) -> tensor<?x2x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_F32Tensor>:$inputs, I64Attr:$dim);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Square root (the norm of a gradient penalty)
//===----------------------------------------------------------------------===//

def Kiln_SqrtOp : Kiln_Op<"sqrt", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise square root";
  let description = [{
    `y = sqrt(x)` elementwise (IEEE: NaN for `x < 0`, `+0` for `+0`): the
    Euclidean norm of a gradient in a gradient penalty is the square root of
    a sum of squares. The gradient rule reads the output,
    `dx = dy / (2 · y)` (`kiln.sqrt_grad`), which is infinite at `x = 0`.

    Example:
    ```mlir
    %norm = kiln.sqrt %sumsq : tensor<?x1xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Kiln_SqrtGradOp : Kiln_Op<"sqrt_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of the square root: `dy / (2 · y)`";
  let description = [{
    Given the gradient `dy` of a `kiln.sqrt` output and that output `y`,
    computes the gradient of its input, `dy / (2 · y)`. Emitted by the
    square root's gradient rule.

    Example:
    ```mlir
    %dx = kiln.sqrt_grad %dy, %y : tensor<?x1xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
}

#endif // KILN_DIALECT_KILN_IR_KILNTENSOROPS_TD
