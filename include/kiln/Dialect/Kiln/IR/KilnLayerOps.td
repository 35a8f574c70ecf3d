//===- KilnLayerOps.td - Log-softmax, transposes, batch views -*- tablegen -*-===//
//
// Ops behind the further Keras layers: log-softmax (an activation), a
// transpose (Permute), a reshape that moves extents into or out of the
// batch (Dense on any rank, Conv1D's kernel view) and nearest-neighbour
// upsampling (UpSampling2D). Included by KilnOps.td; verifiers and
// gradient rules are in KilnLayerOps.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNLAYEROPS_TD
#define KILN_DIALECT_KILN_IR_KILNLAYEROPS_TD

//===----------------------------------------------------------------------===//
// Log-softmax
//===----------------------------------------------------------------------===//

def Kiln_LogSoftmaxOp : Kiln_Op<"log_softmax", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Log-softmax over the last dimension";
  let description = [{
    `y[..., i] = x[..., i] - m - log Σ_j exp(x[..., j] - m)` with `m` the
    row maximum: the logarithm of `kiln.softmax` computed without forming
    the probabilities, so it stays finite where the softmax underflows
    (Keras's `log_softmax` activation).

    Constraints: rank at least 1.

    Example:
    ```mlir
    %y = kiln.log_softmax %x : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_LogSoftmaxGradOp : Kiln_Op<"log_softmax_grad",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of log-softmax: `dy - exp(y) · Σ dy`";
  let description = [{
    Given the gradient `dy` of a log-softmax's output `y`, computes the
    gradient of its input, `dy[..., i] - exp(y[..., i]) · Σ_j dy[..., j]`,
    the sum running over the last dimension (`exp(y)` is the softmax).

    Example:
    ```mlir
    %dx = kiln.log_softmax_grad %dy, %y : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Clipped ReLU
//===----------------------------------------------------------------------===//

def Kiln_ClippedReluOp : Kiln_Op<"clipped_relu", [Pure,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Elementwise `min(max(x, 0), max_value)`";
  let description = [{
    Keras's `ReLU` layer with a `max_value` (6 is `kiln.relu6`). The
    gradient rule reads the output: it passes `dy` where `0 < y <
    max_value`.

    Constraints: `max_value >= 0`.

    Example:
    ```mlir
    %y = kiln.clipped_relu %x {max_value = 2.500000e+00 : f32} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32Attr:$max_value);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_ClippedReluGradOp : Kiln_Op<"clipped_relu_grad",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Derivative of clipped ReLU: `0 < y < max_value ? dy : 0`";
  let description = [{
    Given the gradient `dy` of a `kiln.clipped_relu` output `y`, computes
    the gradient of its input.

    Example:
    ```mlir
    %dx = kiln.clipped_relu_grad %dy, %y {max_value = 2.500000e+00 : f32} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output,
                       F32Attr:$max_value);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Transpose and batch reshapes
//===----------------------------------------------------------------------===//

def Kiln_TransposeOp : Kiln_Op<"transpose", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Permutation of the dimensions, the batch kept first";
  let description = [{
    `y[i] = x[j]` with `j[permutation[k]] = i[k]` for every `k`: result
    dimension `k` is input dimension `permutation[k]` (Keras's `Permute`,
    whose 1-based `dims` leave the batch out). The gradient is the
    transpose by the inverse permutation.

    Constraints: `permutation` is a permutation of `0 .. rank-1` with
    `permutation[0] = 0` (the batch stays the leading dimension); the
    result's extents are the permuted input extents.

    Example:
    ```mlir
    %y = kiln.transpose %x {permutation = array<i64: 0, 2, 1>} : (tensor<?x28x10xf32>) -> tensor<?x10x28xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_BatchReshapeOp : Kiln_Op<"batch_reshape", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Fold leading dimensions into the first one, or unfold them";
  let description = [{
    A row-major reshape that changes the extent of the first dimension:
    either the input's dimensions `1 .. k` are folded into dimension 0
    (`N×A×B×C → (N·A·B)×C`), or the result's dimensions `1 .. k` are
    unfolded from it (the inverse). No data moves. A Dense layer on
    samples of any rank folds all but the features into the batch rows
    of one matmul; a Conv1D kernel `K×C×F` is viewed as the image kernel
    `1×K×C×F`. The gradient is the inverse `kiln.batch_reshape`.

    Constraints: one shape is the other's with the leading extents
    multiplied into the first: `input = [a, d_1, ..., d_k, s...]` and
    `result = [a · d_1 ··· d_k, s...]`, or the same with input and result
    exchanged; `k >= 1`; `d_i` and `s` are static; a static first extent
    must be consistent with the other side.

    Example:
    ```mlir
    %rows = kiln.batch_reshape %x : (tensor<?x28x8xf32>) -> tensor<?x8xf32>
    %back = kiln.batch_reshape %rows : (tensor<?x16xf32>) -> tensor<?x28x16xf32>
    %k = kiln.batch_reshape %w : (tensor<3x8x16xf32>) -> tensor<1x3x8x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Upsampling
//===----------------------------------------------------------------------===//

def Kiln_UpSample2DOp : Kiln_Op<"upsample2d", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Nearest-neighbour upsampling of NHWC data";
  let description = [{
    `y[n, i, j, c] = x[n, i / sh, j / sw, c]` (integer division) with
    `size = [sh, sw]`: every pixel repeated into an `sh×sw` block (Keras's
    `UpSampling2D` with `interpolation="nearest"`). The gradient sums the
    incoming gradient over each block; it is emitted as a `kiln.avg_pool2d`
    with the block as window and stride, scaled by `sh · sw`.

    Constraints: `N×H×W×C` input, static `H, W`; `size` holds two positive
    factors; the result is `N×(H·sh)×(W·sw)×C`.

    Example:
    ```mlir
    %y = kiln.upsample2d %x {size = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>) -> tensor<?x14x14x8xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, DenseI64ArrayAttr:$size);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

def Kiln_EmbeddingOp : Kiln_Op<"embedding", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Rows of a table picked by float indices";
  let description = [{
    `y[b, ..., :] = table[i, :]` with `i = indices[b, ...]` truncated toward
    zero, as Keras's `Embedding` casts its (here float32) input to int32.
    An index whose truncation lies outside `[0, V)`, or a NaN, gives a row
    of zeros and receives no gradient: the table is never read or written
    out of bounds. The indices are data: they have no gradient; the table's
    is `kiln.embedding_grad`.

    Constraints: `table` is a static `V×D` tensor; the result has the shape
    of `indices` followed by `D`.

    Example:
    ```mlir
    %y = kiln.embedding %ids, %table : (tensor<?x28xf32>, tensor<256x8xf32>) -> tensor<?x28x8xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$indices, Kiln_F32Tensor:$table);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$indices `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_EmbeddingGradOp : Kiln_Op<"embedding_grad", [Pure]> {
  let summary = "Gradient of an embedding's table: scatter-add of rows";
  let description = [{
    `dtable[i, :] = Σ grad[b, ..., :]` over the positions whose index
    (truncated toward zero) is `i`; positions with an index outside
    `[0, V)` or NaN contribute nothing. `grad` and `indices` relate as the
    result and the indices of `kiln.embedding`; the result type is the
    table's.

    Example:
    ```mlir
    %dt = kiln.embedding_grad %dy, %ids : (tensor<?x28x8xf32>, tensor<?x28xf32>) -> tensor<256x8xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$indices);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$grad `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}


//===----------------------------------------------------------------------===//
// Keras masks
//===----------------------------------------------------------------------===//

def Kiln_AnyNotEqualOp : Kiln_Op<"any_not_equal", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "1.0 where any element of the last axis differs from a value";
  let description = [{
    `y[..., j] = 1.0` if some `x[..., k] != value` (a NaN differs from
    every value), else `0.0`, for every `j` of the result's last axis: the
    reduction over the input's last axis is broadcast along the result's.
    It computes Keras's masks as 1.0/0.0 values: `Masking`'s kept timesteps
    (`any(x[b, t, :] != mask_value)`), `Embedding(mask_zero=True)`'s
    non-zero tokens (the indices viewed with a last axis of 1), and widens a
    `[N, T, 1]` mask to the `[N, T, units]` a recurrent layer's state
    needs (with `value = 0`). The result is piecewise constant: the input
    receives no gradient.

    Constraints: input and result have the same rank (at least 1) and the
    same extents except the last; the result's last extent is static.

    Example:
    ```mlir
    %m = kiln.any_not_equal %x {value = 0.0 : f32} : (tensor<?x7x3xf32>) -> tensor<?x7x1xf32>
    %w = kiln.any_not_equal %m {value = 0.0 : f32} : (tensor<?x7x1xf32>) -> tensor<?x7x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32Attr:$value);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_MaskedMeanOp : Kiln_Op<"masked_mean", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Mean over the timesteps a Keras mask keeps";
  let description = [{
    `y[n, f] = Σ_t (m[n, t] ? x[n, t, f] : 0) / Σ_t m[n, t]` with the
    0/1 mask `m` (`[N, T, 1]`, nonzero meaning kept): Keras's
    `GlobalAveragePooling1D` on a masked sequence. A sample whose every
    timestep is masked divides 0 by 0 (NaN), as Keras does. The mask
    receives no gradient; the input's is `kiln.masked_mean_grad`.

    Constraints: `input` is `[N, T, F]`, `mask` `[N, T, 1]`, the result
    `[N, F]`; `T` and `F` static.

    Example:
    ```mlir
    %y = kiln.masked_mean %x, %m : (tensor<?x7x4xf32>, tensor<?x7x1xf32>) -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$mask);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $mask attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_MaskedMeanGradOp : Kiln_Op<"masked_mean_grad", [Pure]> {
  let summary = "Gradient of kiln.masked_mean with respect to its input";
  let description = [{
    `dx[n, t, f] = (m[n, t] ? g[n, f] : 0) / Σ_t m[n, t]`: each kept
    timestep receives its share of the mean's gradient. `grad` and `mask`
    relate as the result and the mask of `kiln.masked_mean`; the result
    has the input's type.

    Example:
    ```mlir
    %dx = kiln.masked_mean_grad %dy, %m : (tensor<?x4xf32>, tensor<?x7x1xf32>) -> tensor<?x7x4xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$mask);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$grad `,` $mask attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // KILN_DIALECT_KILN_IR_KILNLAYEROPS_TD
