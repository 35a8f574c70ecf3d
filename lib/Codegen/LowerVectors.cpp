//===- LowerVectors.cpp - Lower vector ops on buffers ---------------------===//
//
// The buffer half of the matmul code generation: after bufferization the
// accumulators of each register tile are hoisted out of the reduction loop
// and the n-D vector ops are lowered to the 1-D loads, stores, FMAs and
// shuffles that the LLVM conversion expects. Each pattern set is applied on
// its own, in a fixed order; mixing them (contraction, transpose and
// shape-cast lowering with canonicalization) was measured not to terminate.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNLOWERVECTORSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

struct KilnLowerVectorsPass
    : public kiln::impl::KilnLowerVectorsPassBase<KilnLowerVectorsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Nothing to do in functions without vector code (e.g. ABI wrappers).
    bool hasVectors = false;
    func.walk([&](Operation *op) {
      if (isa<vector::VectorDialect>(op->getDialect()))
        hasVectors = true;
      return hasVectors ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (!hasVectors)
      return;

    // Keep accumulator tiles in registers across the reduction loop.
    linalg::hoistRedundantVectorTransfers(func);

    using Populate = function_ref<void(RewritePatternSet &)>;
    auto apply = [&](Populate populate) {
      RewritePatternSet patterns(&getContext());
      populate(patterns);
      return applyPatternsGreedily(func, std::move(patterns));
    };
    vector::VectorTransformsOptions splitOptions;
    splitOptions.setVectorTransferSplit(
        vector::VectorTransferSplit::LinalgCopy);
    SmallVector<std::function<void(RewritePatternSet &)>> stages = {
        [](RewritePatternSet &p) {
          vector::populateVectorContractLoweringPatterns(
              p, vector::VectorContractLowering::OuterProduct);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorTransferPermutationMapLoweringPatterns(p);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorMultiReductionLoweringPatterns(
              p, vector::VectorMultiReductionLowering::InnerParallel);
        },
        [&](RewritePatternSet &p) {
          vector::populateVectorTransferFullPartialPatterns(p, splitOptions);
        },
        [](RewritePatternSet &p) {
          populateVectorToSCFConversionPatterns(
              p,
              VectorTransferToSCFOptions().setTargetRank(1).enableFullUnroll());
        },
        [](RewritePatternSet &p) {
          vector::populateVectorTransferLoweringPatterns(p,
                                                         /*maxTransferRank=*/1);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorTransposeLoweringPatterns(
              p, vector::VectorTransposeLowering::Shuffle16x16);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorShapeCastLoweringPatterns(p);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorOuterProductLoweringPatterns(p);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorBroadcastLoweringPatterns(p);
        },
    };
    for (auto &stage : stages)
      if (failed(apply(stage)))
        return signalPassFailure();
  }
};

} // namespace
