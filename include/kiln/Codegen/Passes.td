//===- Passes.td - Kiln CPU code generation passes ---------*- tablegen -*-===//

#ifndef KILN_CODEGEN_PASSES_TD
#define KILN_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnMatmulCodegenPass
    : Pass<"kiln-matmul-codegen", "::mlir::func::FuncOp"> {
  let summary = "Tile, pack and vectorize matmuls and elementwise ops on tensors";
  let description = [{
    The tensor half of Kiln's CPU code generation (see docs of
    `kiln-lower-vectors` for the buffer half). For every `linalg.matmul`:

    0. A contraction over the batch with a static result (a weight
       gradient, K = the batch's rows, N·OH·OW of them for a convolution)
       is first tiled along K into blocks whose rows of both operands fit
       in half of a 1 MiB L2 cache (16 to 1024 rows); the accumulator is
       carried across the blocks and the steps below apply to one block's
       matmul.
    1. If an elementwise `linalg.generic` updates the matmul's result in
       place (the activation epilogue of `kiln.linear`), that op is the root;
       otherwise the matmul is.
    2. The root is tiled by a register tile (`tile-m` × `tile-n`, 6×16 by
       default: twelve 8-wide accumulators) and its producers along the
       destination chain (zero fill or broadcast bias, the matmul) are fused
       into the tile loops.
    3. Loops whose trip count does not divide are peeled. A static remainder
       keeps static shapes; a dynamic one (the batch) is tiled again by 1,
       so every tile that is vectorized has a static shape.
    4. The reduction is tiled by `tile-k` (by 1 when it runs over the batch,
       as for the weight gradient `Xᵀ·dY`); an operand read transposed along
       N (`dY·Wᵀ`) is first packed into `tile-n`-wide panels by
       `linalg.pack`, so that the vectorized loads are contiguous.
    5. Tiles are vectorized (`vector.contract` plus elementwise vector ops)
       and the accumulators are hoisted out of the reduction loop.

    Elementwise and reduction `linalg.generic`s that remain are tiled to
    one row and vectorized along the row. Their dynamic dimension (the
    batch) is tiled first, on its own, so that the loops inside carry
    statically shaped tiles: value-bounds queries through the iteration
    arguments of deep nests of dynamically shaped tensors (a convolution's
    gradients) otherwise take time exponential in the depth. For the same
    reason only innermost loops get their loop-invariant slices hoisted.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "6", "Register tile rows">,
    Option<"tileN", "tile-n", "int64_t", "16", "Register tile columns">,
    Option<"tileK", "tile-k", "int64_t", "8",
           "Reduction tile (unrolled into outer products)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def KilnFuseElementwisePass
    : Pass<"kiln-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops, keeping contractions named";
  let description = [{
    Upstream's elementwise fusion (`linalg-fuse-elementwise-ops`: producer
    generics into consumers, reshapes propagated by dimension expansion)
    with one difference: a reshape is never folded into a contraction.
    Upstream turns a `linalg.matmul` whose operand is a
    `tensor.collapse_shape` (the im2col matrix of a convolution) or whose
    result is expanded (back to NHWC) into a higher-rank `linalg.generic`,
    which `kiln-matmul-codegen` no longer recognizes as a matmul: the
    convolution would run as scalar loops.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def KilnLowerVectorsPass : Pass<"kiln-lower-vectors", "::mlir::func::FuncOp"> {
  let summary = "Lower vector ops on buffers to LLVM-ready 1-D vector code";
  let description = [{
    The buffer half of the matmul code generation. Hoists accumulator
    transfers out of loops, then lowers, each pattern set in its own greedy
    application (mixing them does not terminate, as the measurements in
    CODEGEN.md found):
    contractions to outer products, transfer permutations, multi-reductions,
    full/partial transfer splitting, transfers to SCF and to 1-D loads and
    stores, transposes (16×16 shuffles), shape casts, outer products to FMAs,
    and broadcasts.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def KilnApproximateMathPass : Pass<"kiln-approximate-math"> {
  let summary = "Replace exp, log and tanh by polynomial approximations";
  let description = [{
    LLVM lowers `math.exp`, `math.log` and `math.tanh` to libm calls, which
    keep loops from vectorizing. This pass rewrites them (scalar or vector,
    f32) into the polynomial approximations of MLIR's math dialect, made of
    plain arithmetic that vectorizes.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def KilnUniqueResultBuffersPass
    : Pass<"kiln-unique-result-buffers", "::mlir::func::FuncOp"> {
  let summary = "Give every memref a function returns its own buffer";
  let description = [{
    Runs on bufferized functions right before
    `buffer-results-to-out-params`: when a `func.return` returns the same
    memref more than once (a function returning one value twice), every
    repetition is replaced by a fresh copy. Each result then has a distinct
    buffer, so that out-param conversion with `hoist-static-allocs` can
    compute every result directly in its out-param (it would otherwise reuse
    the buffer of the first one for the second).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def KilnStridedCopiesToLinalgPass
    : Pass<"kiln-strided-copies-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy between strided buffers into linalg.copy";
  let description = [{
    The LLVM lowering turns a `memref.copy` whose operands are not both
    contiguous into a call to a support library (`memrefCopy`), which a
    compiled model must not depend on. As `linalg.copy` the same copy
    becomes a plain loop nest; copies between identity-layout buffers are
    left to become `memcpy`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def KilnPlanWorkspacePass : Pass<"kiln-plan-workspace", "::mlir::ModuleOp"> {
  let summary = "Carve a step's buffers from one planned workspace";
  let description = [{
    Runs on bufferized functions. Every top-level `memref.alloc` whose size
    is static or proportional to the batch (a dynamic extent that is a
    dimension of an argument) becomes a `memref.view` into one workspace;
    its deallocations go away. Buffers whose live ranges do not overlap
    share a slot; a slot is as large as its largest buffer, as
    `perSample · n + fixed` bytes, so one plan serves every batch size. The
    workspace comes from `kiln_workspace`, which this pass defines: a
    thread-local buffer that grows to the largest request and is then
    reused, so a step allocates nothing once its batch size has been seen.
    The module attribute `kiln.workspace` records each function's plan
    (bytes per sample, fixed bytes) for the model descriptor.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect"];
}

def KilnCountFlopsPass : Pass<"kiln-count-flops", "::mlir::ModuleOp"> {
  let summary = "Record each function's contraction FLOPs per sample";
  let description = [{
    Runs on linalg on tensors, before tiling. Counts the multiply-adds of
    every contraction (a linalg op with a reduction loop and at least two
    inputs: matmuls, convolutions after im2col) as two FLOPs, per sample of
    the batch: a dynamic loop extent is traced back, through reshapes and
    slices, to a multiple of a function argument's batch dimension.
    Element-wise ops, pooling and single-input reductions are not counted.
    Records the module attribute `kiln.flops`: a dictionary from function
    name to FLOPs per sample (i64), which kilnc puts in the model
    descriptor.
  }];
}

#endif // KILN_CODEGEN_PASSES_TD
