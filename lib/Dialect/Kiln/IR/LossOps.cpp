//===- LossOps.cpp - Dense-target losses and their gradient rules ---------===//
//
// Losses whose targets have the prediction's shape (regression values, 0/1
// labels, one-hot rows) and the metrics that read such targets. As in
// KilnOps.cpp, each verifier is followed by the op's gradient rule. The
// fused forms (sigmoid and softmax cross-entropy on logits) have rules of
// their own so that kilnc --no-fuse and kiln-fuse see the same IR shapes.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::kiln;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

static RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Predictions and targets must have the same rank and agreeing extents
/// (equal, or either dynamic); `minRank`/`maxRank` bound the rank.
static LogicalResult verifyTargetPair(Operation *op, Value prediction,
                                      Value target, int64_t minRank = 1,
                                      int64_t maxRank = 0) {
  auto predType = tensorTypeOf(prediction);
  auto targetType = tensorTypeOf(target);
  int64_t rank = predType.getRank();
  if (rank < minRank || (maxRank && rank > maxRank)) {
    if (minRank == maxRank)
      return op->emitOpError("expects rank-")
             << minRank << " operands (batch x classes), got " << predType;
    return op->emitOpError("expects operands of rank >= ")
           << minRank << ", got " << predType;
  }
  if (targetType.getRank() != rank)
    return op->emitOpError("expects targets of the prediction's shape, got ")
           << predType << " and " << targetType;
  for (auto [a, b] : llvm::zip(predType.getShape(), targetType.getShape()))
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return op->emitOpError("expects targets of the prediction's shape, got ")
             << predType << " and " << targetType;
  return success();
}

/// Emits `GradOp(dl, prediction, target)` as the prediction's gradient; the
/// targets are data.
template <typename GradOp, typename LossOp>
static LogicalResult emitTargetLossGradient(LossOp op, OpBuilder &b,
                                            ArrayRef<Value> resultGrads,
                                            SmallVectorImpl<Value> &grads) {
  grads.push_back(GradOp::create(b, op.getLoc(), op.getPrediction().getType(),
                                 resultGrads[0], op.getPrediction(),
                                 op.getTarget()));
  grads.push_back(nullptr);
  return success();
}

//===----------------------------------------------------------------------===//
// Element-averaged losses
//===----------------------------------------------------------------------===//

#define KILN_TARGET_LOSS(Name, MinRank, MaxRank)                               \
  LogicalResult Name##Op::verify() {                                           \
    return verifyTargetPair(*this, getPrediction(), getTarget(), MinRank,      \
                            MaxRank);                                          \
  }                                                                            \
  LogicalResult Name##Op::emitGradient(OpBuilder &b,                           \
                                       ArrayRef<Value> resultGrads,            \
                                       SmallVectorImpl<Value> &operandGrads) { \
    return emitTargetLossGradient<Name##GradOp>(*this, b, resultGrads,         \
                                                operandGrads);                 \
  }                                                                            \
  LogicalResult Name##GradOp::verify() {                                       \
    return verifyTargetPair(*this, getPrediction(), getTarget(), MinRank,      \
                            MaxRank);                                          \
  }

// The macro keeps the identical (verifier, rule, gradient verifier)
// triples from drifting apart; the arithmetic lives in the lowering.
KILN_TARGET_LOSS(MeanSquaredError, 1, 0)
KILN_TARGET_LOSS(MeanAbsoluteError, 1, 0)
KILN_TARGET_LOSS(BinaryCrossentropy, 1, 0)
KILN_TARGET_LOSS(SigmoidBinaryCrossEntropy, 1, 0)
KILN_TARGET_LOSS(CategoricalCrossentropy, 2, 2)
KILN_TARGET_LOSS(SoftmaxCrossEntropy, 2, 2)
KILN_TARGET_LOSS(MeanDifference, 1, 0)

#undef KILN_TARGET_LOSS

//===----------------------------------------------------------------------===//
// HuberOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyDelta(Operation *op, APFloat delta) {
  if (!(delta.convertToFloat() > 0.0f))
    return op->emitOpError("expects delta > 0, got ") << delta.convertToFloat();
  return success();
}

LogicalResult HuberOp::verify() {
  if (failed(verifyDelta(*this, getDeltaAttr().getValue())))
    return failure();
  return verifyTargetPair(*this, getPrediction(), getTarget());
}

LogicalResult HuberOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(HuberGradOp::create(
      b, getLoc(), getPrediction().getType(), resultGrads[0], getPrediction(),
      getTarget(), getDeltaAttr()));
  operandGrads.push_back(nullptr);
  return success();
}

LogicalResult HuberGradOp::verify() {
  if (failed(verifyDelta(*this, getDeltaAttr().getValue())))
    return failure();
  return verifyTargetPair(*this, getPrediction(), getTarget());
}

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

LogicalResult BinaryAccuracyOp::verify() {
  return verifyTargetPair(*this, getPrediction(), getTarget());
}

LogicalResult CategoricalAccuracyOp::verify() {
  return verifyTargetPair(*this, getScores(), getTarget(), 2, 2);
}

LogicalResult SparseTopKCategoricalAccuracyOp::verify() {
  auto scoresType = tensorTypeOf(getScores());
  auto labelsType = tensorTypeOf(getLabels());
  if (scoresType.getRank() != 2)
    return emitOpError("expects rank-2 scores (batch x classes), got ")
           << scoresType;
  int64_t rows = scoresType.getDimSize(0), labels = labelsType.getDimSize(0);
  if (!ShapedType::isDynamic(rows) && !ShapedType::isDynamic(labels) &&
      rows != labels)
    return emitOpError("expects one label per row, got ")
           << scoresType << " and " << labelsType;
  if (getK() < 1)
    return emitOpError("expects k >= 1, got ") << getK();
  return success();
}
