//===- Passes.td - Kiln conversion passes ------------------*- tablegen -*-===//

#ifndef KILN_CONVERSION_PASSES_TD
#define KILN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// KilnToLinalg
//===----------------------------------------------------------------------===//

def ConvertKilnToLinalgPass : Pass<"convert-kiln-to-linalg"> {
  let summary = "Lower kiln ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every kiln op into destination-passing-style tensor code:
    `tensor.empty` destinations initialized with `linalg.fill` (or a
    broadcast bias), `linalg.matmul` for products and `linalg.generic` for
    elementwise maps and reductions. Dynamic extents (the batch) are read
    with `tensor.dim`, so one lowered function serves every batch size.

    Design points:
    - Transposed matmul operands are expressed through the indexing maps of
      `linalg.matmul`; no transpose is materialized here (the matmul code
      generation decides whether packing a panel pays).
    - `kiln.linear` becomes a matmul accumulating into the broadcast bias,
      followed by the activation as an in-place elementwise `linalg.generic`
      on the matmul's result: tiling that epilogue and fusing its producers
      applies bias and activation to each register tile.
    - Row reductions (max, sum of exponentials, arg-max, label pick) are
      separate `linalg.generic`s; the ones that several losses and metrics
      need are identical and merge under CSE. Labels are compared with the
      column index instead of being used as indices, so an out-of-range
      label cannot read out of bounds.
    - Losses and metrics are means over the dynamic batch `n`, converted
      with `arith.index_cast` and `arith.sitofp`.
    - The embedding gradient, a scatter-add, is an `scf.for` over the
      index positions updating one table row per step in place.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // KILN_CONVERSION_PASSES_TD
