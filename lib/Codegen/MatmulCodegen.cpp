//===- MatmulCodegen.cpp - Register-tiled matmuls on tensors --------------===//
//
// The tensor half of Kiln's CPU code generation, following the schedules
// measured in CODEGEN.md:
//
//   matmul chain (fill|broadcast → matmul → in-place epilogue)
//     tile the root by [tile-m, tile-n], fuse the chain into the tile
//     peel M (and N); a dynamic M remainder is tiled again by rows
//     tile K by tile-k (1 for a contraction over the batch)
//     vectorize, hoist the accumulators out of the K loop
//   matmul reading its rhs transposed (dY · Wᵀ)
//     linalg.pack W into tile-n-wide panels first, fuse each panel's pack
//     into the panel loop, then as above on the packed contraction
//   remaining elementwise ops and row reductions
//     tile to one row (and a slice of columns), vectorize
//
// Every linalg op the pass creates inside a loop has a static shape, so
// vectorization needs no masks. The buffer half is kiln-lower-vectors.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNMATMULCODEGENPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

/// The rows of both operands of one K block of a contraction over the batch
/// take at most this many bytes: half of a 1 MiB L2 cache.
static constexpr int64_t kL2BlockBytes = 512 * 1024;
/// Elementwise tiles are at most this many elements wide.
static constexpr int64_t kMaxRowTile = 64;
/// Ops with a longer static innermost dimension are left to the loops.
static constexpr int64_t kMaxVectorExtent = 1024;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static SmallVector<OpFoldResult> indexAttrs(OpBuilder &b,
                                            ArrayRef<int64_t> values) {
  return llvm::map_to_vector(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

/// The largest divisor of `extent` that is at most `limit`.
static int64_t largestDivisorAtMost(int64_t extent, int64_t limit) {
  for (int64_t d = std::min(extent, limit); d > 1; --d)
    if (extent % d == 0)
      return d;
  return 1;
}

/// Marks the ops this pass has tiled, so that they are recognized after
/// canonicalization folded away the single-iteration loop around them (a
/// peeled static remainder).
static constexpr llvm::StringLiteral kTiledMarker = "__kiln_tiled__";

/// Was `op` tiled by this pass? The input has no loops, so an op in a loop
/// is one of ours.
static bool isTiled(Operation *op) {
  return op->hasAttr(kTiledMarker) ||
         op->getParentOfType<scf::ForOp>() != nullptr;
}

static void markTiledOps(Operation *root) {
  root->walk([](Operation *op) {
    if (isa<linalg::LinalgOp, linalg::PackOp>(op) && isTiled(op))
      op->setAttr(kTiledMarker, UnitAttr::get(op->getContext()));
  });
}

/// The epilogue of a matmul: an all-parallel `linalg.generic` that updates
/// the matmul's result in place (its only operand is that result, as its
/// destination) and is the result's only user.
static linalg::GenericOp getInPlaceEpilogue(linalg::LinalgOp matmul) {
  Value result = matmul->getResult(0);
  if (!result.hasOneUse())
    return nullptr;
  auto generic = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
  if (!generic || generic.getNumDpsInputs() != 0 ||
      generic.getNumDpsInits() != 1 || generic.getDpsInits()[0] != result ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getIndexingMapsArray()[0].isIdentity())
    return nullptr;
  return generic;
}

/// Tiles `root` by `tileSizes` and fuses, into the tile loops, the producers
/// reached through destination operands (the fill or broadcast initializing
/// an accumulator, the matmul an epilogue updates) and, if `fusePacks`, the
/// `linalg.pack` ops producing inputs. Producers of other inputs are not
/// fused: that would recompute them per tile.
static FailureOr<scf::SCFTileAndFuseResult>
tileAndFuseChain(RewriterBase &rewriter, TilingInterface root,
                 ArrayRef<int64_t> tileSizes, bool fusePacks) {
  MLIRContext *ctx = root->getContext();
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(indexAttrs(rewriter, tileSizes));
  options.setFusionControlFn(
      [fusePacks](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (isDestination ||
            (fusePacks && isa<linalg::PackOp>(producer.getOwner())))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  RewritePatternSet cleanup(ctx);
  tensor::ExtractSliceOp::getCanonicalizationPatterns(cleanup, ctx);
  tensor::populateMergeConsecutiveInsertExtractSlicePatterns(cleanup);
  tensor::populateBubbleUpExtractSliceOpPatterns(cleanup);
  options.cleanupPatterns = FrozenRewritePatternSet(std::move(cleanup));

  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, root, options);
  if (failed(result))
    return failure();
  for (OpResult res : root->getResults())
    if (Value replacement = result->replacements.lookup(res))
      rewriter.replaceAllUsesWith(res, replacement);
  return result;
}

/// The tiled roots of the fused chains in `loop`'s body (looking through
/// nested loops, e.g. a main and a peeled N loop): the linalg ops whose
/// results no other linalg op consumes.
static SmallVector<linalg::LinalgOp> findTiledRoots(scf::ForOp loop) {
  SmallVector<linalg::LinalgOp> roots;
  loop.getBody()->walk([&](linalg::LinalgOp op) {
    if (llvm::none_of(op->getUsers(), [](Operation *user) {
          return isa<linalg::LinalgOp>(user);
        }))
      roots.push_back(op);
  });
  return roots;
}

/// Peels `loop` so that its main part runs only full tiles. When the
/// remainder has a dynamic size, its chain is tiled again by one row
/// (`rowTileSizes`), so that every tile has a static shape.
static LogicalResult peelAndTileRemainder(RewriterBase &rewriter,
                                          scf::ForOp loop,
                                          ArrayRef<int64_t> rowTileSizes,
                                          bool remainderIsDynamic) {
  scf::ForOp partial;
  if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial)))
    return success(); // Nothing to peel: the step divides the trip count.
  if (!remainderIsDynamic)
    return success();
  for (linalg::LinalgOp root : findTiledRoots(partial))
    if (failed(tileAndFuseChain(rewriter, cast<TilingInterface>(*root),
                                rowTileSizes, /*fusePacks=*/false)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

struct KilnMatmulCodegenPass
    : public kiln::impl::KilnMatmulCodegenPassBase<KilnMatmulCodegenPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet patterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    canonicalization = FrozenRewritePatternSet(std::move(patterns));
    return success();
  }

  void runOnOperation() override;

private:
  LogicalResult canonicalize() {
    markTiledOps(getOperation());
    return applyPatternsGreedily(getOperation(), canonicalization);
  }
  LogicalResult tileMatmul(RewriterBase &rewriter, linalg::MatmulOp matmul);
  FailureOr<linalg::MatmulOp> blockBatchReduction(RewriterBase &rewriter,
                                                  linalg::MatmulOp matmul);
  LogicalResult tilePackedMatmul(RewriterBase &rewriter,
                                 linalg::MatmulOp matmul);
  LogicalResult tileElementwise(RewriterBase &rewriter, linalg::LinalgOp op);
  FailureOr<linalg::LinalgOp> tileOnce(RewriterBase &rewriter,
                                       linalg::LinalgOp op,
                                       ArrayRef<int64_t> tileSizes);
  LogicalResult tileReductions(RewriterBase &rewriter);
  LogicalResult vectorizeTiles(RewriterBase &rewriter);

  FrozenRewritePatternSet canonicalization;
};

} // namespace

/// Register-tiles a matmul and its destination chain (see file header).
/// Shapes it does not handle (a dynamic N, or a matmul that fits one
/// register tile) are left alone: they become plain loops.
LogicalResult KilnMatmulCodegenPass::tileMatmul(RewriterBase &rewriter,
                                                linalg::MatmulOp matmul) {
  SmallVector<int64_t> ranges = matmul.getStaticLoopRanges();
  int64_t m = ranges[0], n = ranges[1];
  if (ShapedType::isDynamic(n))
    return success();
  bool dynamicM = ShapedType::isDynamic(m);
  // A dimension that fits one register tile is not tiled.
  int64_t tm = (!dynamicM && m <= tileM) ? 0 : int64_t(tileM);
  int64_t tn = n <= tileN ? 0 : int64_t(tileN);
  if (tm == 0 && tn == 0)
    return success();

  Operation *root = matmul;
  SmallVector<int64_t> tileSizes = {tm, tn, 0};
  SmallVector<int64_t> rowTileSizes = {1, 0, 0};
  if (linalg::GenericOp epilogue = getInPlaceEpilogue(matmul)) {
    root = epilogue;
    tileSizes.pop_back();
    rowTileSizes.pop_back();
  }
  FailureOr<scf::SCFTileAndFuseResult> tiled = tileAndFuseChain(
      rewriter, cast<TilingInterface>(root), tileSizes, /*fusePacks=*/false);
  if (failed(tiled))
    return failure();

  // One loop per tiled dimension, outermost first.
  unsigned next = 0;
  scf::ForOp mLoop, nLoop;
  if (tm != 0)
    mLoop = cast<scf::ForOp>(tiled->loops[next++].getOperation());
  if (tn != 0)
    nLoop = cast<scf::ForOp>(tiled->loops[next++].getOperation());
  if (nLoop && n % tn != 0 &&
      failed(peelAndTileRemainder(rewriter, nLoop, {}, false)))
    return failure();
  if (mLoop)
    return peelAndTileRemainder(rewriter, mLoop, rowTileSizes, dynamicM);
  return success();
}

/// A contraction over the batch (a weight gradient: K is the batch's rows,
/// N·OH·OW of them for an im2col matrix) streams K rows of both operands
/// through every register tile; with thousands of rows they come from
/// memory each time. K is first tiled into blocks whose rows of both
/// operands fit in half the L2 cache, so that the register tiles of a block
/// re-read them from L2. Returns the matmul of one block (the accumulator
/// is the block loop's iteration argument; its fill stays outside).
FailureOr<linalg::MatmulOp>
KilnMatmulCodegenPass::blockBatchReduction(RewriterBase &rewriter,
                                           linalg::MatmulOp matmul) {
  SmallVector<int64_t> ranges = matmul.getStaticLoopRanges();
  int64_t rowBytes = (ranges[0] + ranges[1]) * int64_t(sizeof(float));
  int64_t block = std::clamp<int64_t>(
      int64_t(llvm::bit_floor(uint64_t(kL2BlockBytes / rowBytes))), 16, 1024);
  scf::SCFTilingOptions options;
  options.setTileSizes(indexAttrs(rewriter, {0, 0, block}));
  rewriter.setInsertionPoint(matmul);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(matmul.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return failure();
  rewriter.replaceOp(matmul, tiled->replacements);
  auto inner = dyn_cast<linalg::MatmulOp>(tiled->tiledOps.front());
  if (!inner)
    return failure();
  return inner;
}

/// dY · Wᵀ: packs W (N×K, read along N) into [N/tile-n, K, tile-n] panels so
/// that each k reads tile-n contiguous floats, then register-tiles the packed
/// contraction (m, n-panel, k, n-in-panel) by [tile-m, 1, -, tile-n]. The
/// result needs no unpacking: [M, N/tile-n, tile-n] collapses into [M, N].
LogicalResult KilnMatmulCodegenPass::tilePackedMatmul(RewriterBase &rewriter,
                                                      linalg::MatmulOp matmul) {
  SmallVector<int64_t> ranges = matmul.getStaticLoopRanges();
  int64_t m = ranges[0];
  rewriter.setInsertionPoint(matmul);
  FailureOr<linalg::PackResult> packed =
      linalg::pack(rewriter, matmul, indexAttrs(rewriter, {0, tileN, 0}));
  if (failed(packed))
    return failure();

  // The result's unpack is a plain reshape (N divides into panels).
  for (linalg::UnPackOp unpack : packed->unPackOps) {
    rewriter.setInsertionPoint(unpack);
    auto collapsed = tensor::CollapseShapeOp::create(
        rewriter, unpack.getLoc(), unpack.getDestType(), unpack.getSource(),
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    rewriter.replaceOp(unpack, collapsed.getResult());
  }

  // Fold the pack of the accumulator's initialization (fill of an empty
  // tensor) into a fill of a packed empty tensor.
  {
    RewritePatternSet patterns(rewriter.getContext());
    linalg::populateFoldPackUnpackIntoTensorEmptyPatterns(patterns);
    linalg::PackOp::getCanonicalizationPatterns(patterns,
                                                rewriter.getContext());
    linalg::FillOp::getCanonicalizationPatterns(patterns,
                                                rewriter.getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return failure();
  }

  // One panel per iteration; its pack of W is fused into the loop.
  linalg::LinalgOp contraction = packed->packedLinalgOp;
  FailureOr<scf::SCFTileAndFuseResult> panels =
      tileAndFuseChain(rewriter, cast<TilingInterface>(*contraction),
                       {0, 1, 0, 0}, /*fusePacks=*/true);
  if (failed(panels))
    return failure();
  auto tiledContraction = cast<TilingInterface>(panels->tiledAndFusedOps[0]);

  // Each panel's pack moves tile-n × tile-n blocks: one 16×16 transpose in
  // registers per block.
  for (Operation *op : panels->tiledAndFusedOps) {
    auto pack = dyn_cast<linalg::PackOp>(op);
    if (!pack)
      continue;
    int64_t k = pack.getDestType().getDimSize(1);
    scf::SCFTilingOptions options;
    options.setTileSizes(
        indexAttrs(rewriter, {1, largestDivisorAtMost(k, tileN)}));
    rewriter.setInsertionPoint(pack);
    FailureOr<scf::SCFTilingResult> tiledPack = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(pack.getOperation()), options);
    if (failed(tiledPack))
      return failure();
    rewriter.replaceOp(pack, tiledPack->replacements);
  }
  if (!ShapedType::isDynamic(m) && m <= tileM)
    return success();
  FailureOr<scf::SCFTileAndFuseResult> rows = tileAndFuseChain(
      rewriter, tiledContraction, {tileM, 0, 0, 0}, /*fusePacks=*/false);
  if (failed(rows))
    return failure();
  auto mLoop = cast<scf::ForOp>(rows->loops[0].getOperation());
  return peelAndTileRemainder(rewriter, mLoop, {1, 0, 0, 0},
                              ShapedType::isDynamic(m));
}

/// Tiles an elementwise op or row reduction to one row (all leading
/// dimensions by 1) and at most kMaxRowTile columns, when its innermost
/// dimension is static.
LogicalResult KilnMatmulCodegenPass::tileElementwise(RewriterBase &rewriter,
                                                     linalg::LinalgOp op) {
  int64_t rank = op.getNumLoops();
  if (rank == 0)
    return success();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // Small static ops are vectorized whole.
  if (llvm::none_of(ranges, ShapedType::isDynamic) &&
      llvm::product_of(ranges) <= kMaxVectorExtent) {
    op->setAttr(kTiledMarker, rewriter.getUnitAttr());
    return success();
  }
  if (rank < 2)
    return success();
  int64_t inner = ranges.back();
  if (ShapedType::isDynamic(inner) || inner > kMaxVectorExtent)
    return success();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> tileSizes(rank, 1);
  tileSizes.back() = 0;
  if (iterators.back() == utils::IteratorType::parallel &&
      inner > kMaxRowTile) {
    int64_t width = largestDivisorAtMost(inner, kMaxRowTile);
    if (width >= 8)
      tileSizes.back() = width;
  }
  // The dynamic dimensions (the batch) are tiled first, on their own, and
  // the static tile they leave is tiled again: the inner loops then carry
  // statically shaped tensors. Carrying the dynamically shaped whole through
  // every loop of a deep nest (a convolution's seven dimensions) makes the
  // value-bounds queries of the later slice hoisting and bufferization
  // analysis recurse through each loop's iteration arguments, which costs
  // time exponential in the depth.
  SmallVector<int64_t> dynamicTileSizes(rank, 0);
  SmallVector<int64_t> staticTileSizes(tileSizes);
  bool splits = false;
  for (int64_t i = 0; i < rank; ++i) {
    if (!ShapedType::isDynamic(ranges[i]))
      continue;
    std::swap(dynamicTileSizes[i], staticTileSizes[i]);
    splits = true;
  }
  splits &= llvm::any_of(staticTileSizes, [](int64_t size) { return size; });
  if (!splits)
    return success(succeeded(tileOnce(rewriter, op, tileSizes)));
  FailureOr<linalg::LinalgOp> rows = tileOnce(rewriter, op, dynamicTileSizes);
  if (failed(rows))
    return failure();
  return success(succeeded(tileOnce(rewriter, *rows, staticTileSizes)));
}

/// Tiles `op` by `tileSizes` and returns the tiled op. The accumulator's
/// initialization can only be fused when no reduction dimension is tiled;
/// a tiled reduction (a sum over the batch) is a plain loop carrying the
/// accumulator.
FailureOr<linalg::LinalgOp>
KilnMatmulCodegenPass::tileOnce(RewriterBase &rewriter, linalg::LinalgOp op,
                                ArrayRef<int64_t> tileSizes) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  bool tilesReduction = false;
  for (auto [size, iterator] : llvm::zip(tileSizes, iterators))
    tilesReduction |= size != 0 && iterator == utils::IteratorType::reduction;
  if (!tilesReduction) {
    FailureOr<scf::SCFTileAndFuseResult> fused = tileAndFuseChain(
        rewriter, cast<TilingInterface>(op.getOperation()), tileSizes,
        /*fusePacks=*/false);
    if (failed(fused) || fused->tiledAndFusedOps.empty())
      return failure();
    // The first is the tiled `op`.
    return cast<linalg::LinalgOp>(fused->tiledAndFusedOps.front());
  }
  scf::SCFTilingOptions options;
  options.setTileSizes(indexAttrs(rewriter, tileSizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return cast<linalg::LinalgOp>(tiled->tiledOps.front());
}

/// Tiles the reduction dimension of every contraction inside a tile loop by
/// tile-k (a divisor of K; 1 when K is dynamic, i.e. the batch).
LogicalResult KilnMatmulCodegenPass::tileReductions(RewriterBase &rewriter) {
  SmallVector<linalg::LinalgOp> contractions;
  getOperation().walk([&](linalg::LinalgOp op) {
    if (isTiled(op) && linalg::isaContractionOpInterface(op))
      contractions.push_back(op);
  });
  for (linalg::LinalgOp op : contractions) {
    SmallVector<unsigned> reductionDims;
    op.getReductionDims(reductionDims);
    if (reductionDims.size() != 1)
      continue;
    unsigned kDim = reductionDims[0];
    int64_t k = op.getStaticLoopRanges()[kDim];
    int64_t tk = ShapedType::isDynamic(k) ? 1 : largestDivisorAtMost(k, tileK);
    if (!ShapedType::isDynamic(k) && tk == k)
      continue;
    SmallVector<int64_t> tileSizes(op.getNumLoops(), 0);
    tileSizes[kDim] = tk;
    scf::SCFTilingOptions options;
    options.setTileSizes(indexAttrs(rewriter, tileSizes));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
  }
  return success();
}

/// Vectorizes every statically shaped linalg op (and pack) inside a tile
/// loop.
LogicalResult KilnMatmulCodegenPass::vectorizeTiles(RewriterBase &rewriter) {
  SmallVector<Operation *> candidates;
  getOperation().walk([&](Operation *op) {
    if (!isa<linalg::LinalgOp, linalg::PackOp>(op) || !isTiled(op))
      return;
    bool isStatic = llvm::all_of(op->getOperandTypes(), [](Type type) {
      auto shaped = dyn_cast<ShapedType>(type);
      return !shaped || shaped.hasStaticShape();
    });
    if (isStatic && succeeded(linalg::vectorizeOpPrecondition(op)))
      candidates.push_back(op);
  });
  for (Operation *op : candidates) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> result =
        linalg::vectorize(rewriter, op);
    if (failed(result))
      continue; // Stays a (correct) scalar loop nest.
    if (op->getNumResults() == 0)
      rewriter.eraseOp(op);
    else
      rewriter.replaceOp(op, result->replacements);
  }
  return success();
}

void KilnMatmulCodegenPass::runOnOperation() {
  func::FuncOp func = getOperation();
  MLIRContext *ctx = &getContext();
  IRRewriter rewriter(ctx);

  // 1. Register tiles for every matmul chain.
  SmallVector<linalg::MatmulOp> matmuls;
  func.walk([&](linalg::MatmulOp op) {
    if (op.hasPureTensorSemantics())
      matmuls.push_back(op);
  });
  for (linalg::MatmulOp matmul : matmuls) {
    SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
    AffineExpr n = getAffineDimExpr(1, ctx), k = getAffineDimExpr(2, ctx);
    bool transposedRhs = maps[1] == AffineMap::get(3, 0, {n, k}, ctx);
    SmallVector<int64_t> ranges = matmul.getStaticLoopRanges();
    bool packRhs = transposedRhs && !ShapedType::isDynamic(ranges[1]) &&
                   ranges[1] % tileN == 0 && !ShapedType::isDynamic(ranges[2]);
    // A contraction over the batch with a static result: K blocks first.
    if (!packRhs && ShapedType::isDynamic(ranges[2]) &&
        !ShapedType::isDynamic(ranges[0]) &&
        !ShapedType::isDynamic(ranges[1])) {
      FailureOr<linalg::MatmulOp> block = blockBatchReduction(rewriter, matmul);
      if (failed(block)) {
        func.emitError("kiln-matmul-codegen: failed to block a reduction");
        return signalPassFailure();
      }
      matmul = *block;
    }
    LogicalResult tiled = packRhs ? tilePackedMatmul(rewriter, matmul)
                                  : tileMatmul(rewriter, matmul);
    if (failed(tiled)) {
      func.emitError("kiln-matmul-codegen: failed to tile a matmul");
      return signalPassFailure();
    }
  }
  if (failed(canonicalize()))
    return signalPassFailure();

  // 2. Rows of the elementwise ops and reductions left at function level.
  SmallVector<linalg::LinalgOp> rest;
  func.walk([&](linalg::LinalgOp op) {
    if (!isTiled(op) && op.hasPureTensorSemantics() &&
        !isa<linalg::MatmulOp>(op))
      rest.push_back(op);
  });
  // Best effort: an op that cannot be tiled stays a (correct) loop nest.
  for (linalg::LinalgOp op : rest)
    (void)tileElementwise(rewriter, op);
  if (failed(canonicalize()))
    return signalPassFailure();

  // 3. Reduction tiles, then vectors.
  if (failed(tileReductions(rewriter)) || failed(canonicalize()) ||
      failed(vectorizeTiles(rewriter)))
    return signalPassFailure();

  // 4. Contractions from the vectorized matmuls, transfers folded with the
  //    slices they read, accumulators carried in registers across K.
  {
    RewritePatternSet patterns(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    // A panel of packed W becomes a panel-sized buffer of its own instead of
    // a slice of a buffer for all panels (hoisted and put on the stack
    // after bufferization).
    tensor::populateFoldTensorEmptyPatterns(patterns);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
  DominanceInfo domInfo;
  eliminateCommonSubExpressions(rewriter, domInfo, func);
  // Only innermost loops (the reduction loops of the tiles, which carry
  // the accumulators): proving a subset loop-invariant queries value bounds
  // through every enclosing loop's iteration arguments, which grows
  // exponentially with the depth of the nests that the convolutions' tiles
  // form (minutes for a few depthwise layers), and outer loops have
  // nothing left to hoist once the accumulators are registers.
  SmallVector<scf::ForOp> loops;
  func.walk([&](scf::ForOp loop) {
    bool innermost = true;
    loop.getBody()->walk([&](scf::ForOp) {
      innermost = false;
      return WalkResult::interrupt();
    });
    if (innermost)
      loops.push_back(loop);
  });
  for (scf::ForOp loop : loops)
    hoistLoopInvariantSubsets(rewriter, loop);
  if (failed(canonicalize()))
    return signalPassFailure();
  func.walk([](Operation *op) { op->removeAttr(kTiledMarker); });
}
