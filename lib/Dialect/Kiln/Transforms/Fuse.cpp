//===- Fuse.cpp - Kiln op fusion ------------------------------------------===//
//
// Forms the fused ops the lowering knows how to generate well: dense layers
// with their epilogue (kiln.linear) and softmax with cross-entropy, forward
// and backward. Runs after kiln-autodiff, so the backward chain is visible
// and fused as well.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNFUSEPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// sparse_categorical_crossentropy(softmax(z), y)
///   -> sparse_softmax_cross_entropy(z, y)
struct FuseSoftmaxCrossEntropy
    : public OpRewritePattern<SparseCategoricalCrossentropyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SparseCategoricalCrossentropyOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getProbs().getDefiningOp<SoftmaxOp>();
    if (!softmax)
      return rewriter.notifyMatchFailure(op, "probs do not come from softmax");
    rewriter.replaceOpWithNewOp<SparseSoftmaxCrossEntropyOp>(
        op, op.getType(), softmax.getInput(), op.getLabels());
    return success();
  }
};

/// softmax_grad(sparse_categorical_crossentropy_grad(dl, p, y), p) with
/// p = softmax(z)  ->  sparse_softmax_cross_entropy_grad(dl, z, y)
struct FuseSoftmaxCrossEntropyGrad : public OpRewritePattern<SoftmaxGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxGradOp op,
                                PatternRewriter &rewriter) const override {
    auto ceGrad =
        op.getGrad().getDefiningOp<SparseCategoricalCrossentropyGradOp>();
    if (!ceGrad || ceGrad.getProbs() != op.getOutput())
      return rewriter.notifyMatchFailure(op, "not the cross-entropy backward");
    auto softmax = op.getOutput().getDefiningOp<SoftmaxOp>();
    if (!softmax)
      return rewriter.notifyMatchFailure(op, "output is not a softmax");
    rewriter.replaceOpWithNewOp<SparseSoftmaxCrossEntropyGradOp>(
        op, op.getType(), ceGrad.getGrad(), softmax.getInput(),
        ceGrad.getLabels());
    return success();
  }
};

/// Softmax keeps the arg-max, so accuracy can read the logits and the
/// softmax may become dead.
struct AccuracyOnLogits : public OpRewritePattern<SparseCategoricalAccuracyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SparseCategoricalAccuracyOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getScores().getDefiningOp<SoftmaxOp>();
    if (!softmax)
      return rewriter.notifyMatchFailure(op, "scores are not a softmax");
    rewriter.modifyOpInPlace(
        op, [&] { op.getScoresMutable().assign(softmax.getInput()); });
    return success();
  }
};

/// add(matmul(x, w), b) with a rank-1 bias -> linear(x, w, b)
struct FuseMatmulBias : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    auto matmul = op.getLhs().getDefiningOp<MatmulOp>();
    if (!matmul || !matmul->hasOneUse())
      return rewriter.notifyMatchFailure(op, "lhs is not a single-use matmul");
    if (cast<RankedTensorType>(op.getRhs().getType()).getRank() != 1)
      return rewriter.notifyMatchFailure(op, "not a bias vector");
    auto linear = LinearOp::create(rewriter, op.getLoc(), op.getType(),
                                   matmul.getLhs(), matmul.getRhs(),
                                   op.getRhs(), Activation::none,
                                   matmul.getTransposeLhs(),
                                   matmul.getTransposeRhs());
    rewriter.replaceOp(op, linear);
    return success();
  }
};

/// act(linear(...)) or act(matmul(...)) -> linear(...) {activation = act}
template <typename ActOp, Activation kind>
struct FuseActivation : public OpRewritePattern<ActOp> {
  using OpRewritePattern<ActOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ActOp op,
                                PatternRewriter &rewriter) const override {
    Value input = op.getInput();
    if (!input.hasOneUse())
      return rewriter.notifyMatchFailure(op, "input has other uses");
    if (auto linear = input.getDefiningOp<LinearOp>()) {
      if (linear.getActivation() != Activation::none)
        return rewriter.notifyMatchFailure(op, "already has an activation");
      rewriter.replaceOpWithNewOp<LinearOp>(
          op, op.getType(), linear.getInput(), linear.getWeight(),
          linear.getBias(), kind, linear.getTransposeLhs(),
          linear.getTransposeRhs());
      return success();
    }
    if (auto matmul = input.getDefiningOp<MatmulOp>()) {
      rewriter.replaceOpWithNewOp<LinearOp>(
          op, op.getType(), matmul.getLhs(), matmul.getRhs(), Value(), kind,
          matmul.getTransposeLhs(), matmul.getTransposeRhs());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "input is not a matmul");
  }
};

struct KilnFusePass : public kiln::impl::KilnFusePassBase<KilnFusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSoftmaxCrossEntropy, FuseSoftmaxCrossEntropyGrad,
                 AccuracyOnLogits, FuseMatmulBias,
                 FuseActivation<ReluOp, Activation::relu>,
                 FuseActivation<SigmoidOp, Activation::sigmoid>,
                 FuseActivation<TanhOp, Activation::tanh>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
