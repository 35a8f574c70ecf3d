//===- KilnImageOps.td - Image resampling and random transforms -*- tablegen -*-===//
//
// Ops behind Keras's image layers: a projective resampling of NHWC images
// (Resizing, UpSampling2D with bilinear interpolation, and the warp of
// RandomFlip/Rotation/Zoom/Translation), its transpose (the gradient), and
// the per-image draw of the random layers' transforms. Included by
// KilnOps.td; verifiers and gradient rules are in KilnImageOps.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNIMAGEOPS_TD
#define KILN_DIALECT_KILN_IR_KILNIMAGEOPS_TD

/// The resampling options both directions of the warp carry.
defvar Kiln_ImageTransformAttrs = (ins
    DefaultValuedAttr<StrAttr, "\"bilinear\"">:$interpolation,
    DefaultValuedAttr<StrAttr, "\"constant\"">:$fill_mode,
    DefaultValuedAttr<F32Attr, "0.0f">:$fill_value);

def Kiln_ImageTransformOp : Kiln_Op<"image_transform", [Pure,
    DeclareOpInterfaceMethods<GradientOpInterface>]> {
  let summary = "Resamples NHWC images through projective transforms";
  let description = [{
    For output pixel `(x, y)` (column, row) of image `n`, with
    `t = transforms[n]` (or `transforms[0]` when there is one row for the
    whole batch), reads the input at
    `((t0·x + t1·y + t2) / k, (t3·x + t4·y + t5) / k)`,
    `k = t6·x + t7·y + 1` (TensorFlow's and Keras's transform layout: it
    maps output coordinates to input coordinates; `k = 0` gives
    `fill_value`).

    `interpolation`: `bilinear` weighs the four pixels around the point,
    `nearest` reads the pixel at the rounded point (halves away from zero).
    Pixels outside the image are read through `fill_mode`, Keras's
    extension of the image beyond its edges: `constant` (`fill_value`),
    `reflect` (`d c b a | a b c d | d c b a`), `wrap`
    (`a b c d | a b c d | a b c d`) or `nearest` (`a a | a b c d | d d`).

    Apart from the constant fill the result is linear in `input` (the
    weights depend only on the transforms); the gradient rule is
    `kiln.image_transform_grad`, the transposed scatter. The transforms
    are not differentiated (the frontend computes them from shapes or
    draws them from the random state).

    Constraints: `N×H×W×C` input and `N×H'×W'×C` result with static
    spatial extents; transforms `N×8` or `1×8`.

    Example:
    ```mlir
    %y = kiln.image_transform %x, %t {fill_mode = "reflect", interpolation = "bilinear"} : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x1xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$transforms),
                       Kiln_ImageTransformAttrs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $transforms attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_ImageTransformGradOp : Kiln_Op<"image_transform_grad", [Pure]> {
  let summary = "Transpose of `kiln.image_transform`: scatters the gradient";
  let description = [{
    Given the gradient of a `kiln.image_transform`'s result, adds each
    output pixel's gradient, times the interpolation weight, to every
    input pixel the forward op read for it (after `fill_mode` mapped it
    into the image; reads of the constant fill receive nothing). The
    result type is the forward op's input type.

    Example:
    ```mlir
    %dx = kiln.image_transform_grad %dy, %t {fill_mode = "reflect"} : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x1xf32>
    ```
  }];
  let arguments = !con((ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$transforms),
                       Kiln_ImageTransformAttrs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$grad `,` $transforms attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_RandomImageTransformsOp : Kiln_Op<"random_image_transforms",
    [Pure]> {
  let summary = "Draws one random transform per image (Keras's augmentation)";
  let description = [{
    Returns `N×8` transforms for `kiln.image_transform`, one per image of
    `input` (only its shape is read), drawn from the random state
    `rng = {seed, step}` and the op's `stream` with the counter-based hash
    `kiln.dropout` uses: uniform `u_k(n)` in `[0, 1)` (24 bits) for draw
    `k` of image `n`. `kind` and `ranges` say what is drawn (`H`, `W` are
    the image's extents; a range `[lo, hi]` gives `lo + (hi - lo) · u`):

    - `flip`, `ranges = [horizontal, vertical]` (each 0 or 1): each enabled
      flip independently with probability 1/2 (`u < 0.5`), `x → W-1-x`,
      `y → H-1-y`;
    - `rotation`, `ranges = [lo, hi]` radians: angle `a`, rotation about
      the image center `[cos a, -sin a, ox, sin a, cos a, oy, 0, 0]` with
      Keras's offsets `ox = ((W-1) - (cos a·(W-1) - sin a·(H-1)))/2`,
      `oy = ((H-1) - (sin a·(W-1) + cos a·(H-1)))/2`;
    - `zoom`, `ranges = [hlo, hhi, wlo, whi]` zoom factors (or `[hlo, hhi]`:
      the width zoom equals the height zoom): `zy`, `zx`, transform
      `[zx, 0, (W-1)/2·(1-zx), 0, zy, (H-1)/2·(1-zy), 0, 0]`;
    - `translation`, `ranges = [hlo, hhi, wlo, whi]` fractions of the
      height and width: `dy = H·v`, `dx = W·w`, transform
      `[1, 0, -dx, 0, 1, -dy, 0, 0]`.

    Constraints: `N×H×W×C` input with static `H, W`; `N×8` result; the
    ranges' count fits the kind and `lo <= hi`.

    Example:
    ```mlir
    %t = kiln.random_image_transforms %x, %rng {kind = "translation", ranges = array<f32: -0.1, 0.1, -0.1, 0.1>, stream = 2 : i64} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_Rng:$rng, StrAttr:$kind,
                       DenseF32ArrayAttr:$ranges,
                       DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $rng attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // KILN_DIALECT_KILN_IR_KILNIMAGEOPS_TD
