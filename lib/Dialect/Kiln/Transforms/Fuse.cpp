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

#include <cmath>
#include <type_traits>

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

/// loss(act(z), t) -> fused(z, t): binary cross-entropy of a sigmoid and
/// categorical cross-entropy of a softmax, computed from the logits.
template <typename LossOp, typename ActOp, typename FusedOp>
struct FuseLossOnLogits : public OpRewritePattern<LossOp> {
  using OpRewritePattern<LossOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LossOp op,
                                PatternRewriter &rewriter) const override {
    auto act = op.getPrediction().template getDefiningOp<ActOp>();
    if (!act)
      return rewriter.notifyMatchFailure(op, "not the activation's loss");
    rewriter.replaceOpWithNewOp<FusedOp>(op, op.getType(), act.getInput(),
                                         op.getTarget());
    return success();
  }
};

/// act_grad(loss_grad(dl, p, t), p) with p = act(z) -> fused_grad(dl, z, t)
template <typename ActGradOp, typename LossGradOp, typename ActOp,
          typename FusedGradOp>
struct FuseLossOnLogitsGrad : public OpRewritePattern<ActGradOp> {
  using OpRewritePattern<ActGradOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ActGradOp op,
                                PatternRewriter &rewriter) const override {
    auto lossGrad = op.getGrad().template getDefiningOp<LossGradOp>();
    if (!lossGrad || lossGrad.getPrediction() != op.getOutput())
      return rewriter.notifyMatchFailure(op, "not the loss's backward");
    auto act = op.getOutput().template getDefiningOp<ActOp>();
    if (!act)
      return rewriter.notifyMatchFailure(op, "output is not the activation");
    rewriter.replaceOpWithNewOp<FusedGradOp>(op, op.getType(),
                                             lossGrad.getGrad(), act.getInput(),
                                             lossGrad.getTarget());
    return success();
  }
};

/// True when the sigmoid's output feeds a binary cross-entropy (forward or
/// backward) or binary accuracy, which fuse with it on the logits; it must
/// then stay out of a kiln.linear epilogue.
static bool feedsBinaryLoss(SigmoidOp op) {
  return llvm::any_of(op->getUsers(), [](Operation *user) {
    if (isa<BinaryCrossentropyOp, BinaryAccuracyOp>(user))
      return true;
    auto grad = dyn_cast<SigmoidGradOp>(user);
    return grad && grad.getGrad().getDefiningOp<BinaryCrossentropyGradOp>();
  });
}

/// binary_accuracy(sigmoid(z), t, θ) -> binary_accuracy(z, t, log(θ/(1-θ))):
/// sigmoid is increasing, so thresholding the logits at the threshold's
/// logit decides the same.
struct BinaryAccuracyOnLogits : public OpRewritePattern<BinaryAccuracyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BinaryAccuracyOp op,
                                PatternRewriter &rewriter) const override {
    auto sigmoid = op.getPrediction().getDefiningOp<SigmoidOp>();
    if (!sigmoid)
      return rewriter.notifyMatchFailure(op, "prediction is not a sigmoid");
    double theta = op.getThreshold().convertToDouble();
    if (!(theta > 0.0 && theta < 1.0))
      return rewriter.notifyMatchFailure(op, "threshold outside (0, 1)");
    rewriter.modifyOpInPlace(op, [&] {
      op.getPredictionMutable().assign(sigmoid.getInput());
      op.setThresholdAttr(rewriter.getF32FloatAttr(
          static_cast<float>(std::log(theta / (1.0 - theta)))));
    });
    return success();
  }
};

/// Softmax keeps the order of each row: arg-max and top-k read the logits.
template <typename MetricOp>
struct RankMetricOnLogits : public OpRewritePattern<MetricOp> {
  using OpRewritePattern<MetricOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(MetricOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getScores().template getDefiningOp<SoftmaxOp>();
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
    if constexpr (std::is_same_v<ActOp, SigmoidOp>)
      if (feedsBinaryLoss(op))
        return rewriter.notifyMatchFailure(op, "fuses with its loss instead");
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
    patterns.add<
        FuseLossOnLogits<BinaryCrossentropyOp, SigmoidOp,
                         SigmoidBinaryCrossEntropyOp>,
        FuseLossOnLogits<CategoricalCrossentropyOp, SoftmaxOp,
                         SoftmaxCrossEntropyOp>,
        FuseLossOnLogitsGrad<SigmoidGradOp, BinaryCrossentropyGradOp,
                             SigmoidOp, SigmoidBinaryCrossEntropyGradOp>,
        FuseLossOnLogitsGrad<SoftmaxGradOp, CategoricalCrossentropyGradOp,
                             SoftmaxOp, SoftmaxCrossEntropyGradOp>,
        BinaryAccuracyOnLogits, RankMetricOnLogits<CategoricalAccuracyOp>,
        RankMetricOnLogits<SparseTopKCategoricalAccuracyOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
