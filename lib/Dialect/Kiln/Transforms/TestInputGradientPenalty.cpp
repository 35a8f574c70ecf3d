//===- TestInputGradientPenalty.cpp - WGAN-GP penalty for tests -----------===//
//
// Appends a gradient penalty on the critic's input gradient to a loss
// function, so that double backward (kiln-autodiff differentiating the
// backward ops emitVectorJacobianProduct emitted) is tested end to end on
// models written today, before a GAN frontend exists.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Differentiation.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNTESTINPUTGRADIENTPENALTYPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct KilnTestInputGradientPenaltyPass
    : public kiln::impl::KilnTestInputGradientPenaltyPassBase<
          KilnTestInputGradientPenaltyPass> {
  using Base::Base;

  void runOnOperation() override;
  LogicalResult addPenalty(func::FuncOp func);
};

void KilnTestInputGradientPenaltyPass::runOnOperation() {
  if (wrt != "input" && wrt != "params") {
    getOperation().emitError("test-kiln-input-gradient-penalty: wrt must be "
                             "'input' or 'params', got '")
        << wrt << "'";
    return signalPassFailure();
  }
  SmallVector<std::string> names(functions.begin(), functions.end());
  if (names.empty())
    names = {"loss", "evaluate"};
  for (const std::string &name : names) {
    auto func = getOperation().lookupSymbol<func::FuncOp>(name);
    if (!func) {
      getOperation().emitError("test-kiln-input-gradient-penalty: no "
                               "function named '")
          << name << "'";
      return signalPassFailure();
    }
    if (failed(addPenalty(func)))
      return signalPassFailure();
  }
}

/// Ones of `like`'s type: `like` scaled by 0 plus 1 (the batch is dynamic).
static Value onesLike(OpBuilder &b, Location loc, Value like) {
  return ScaleOp::create(b, loc, like.getType(), like, b.getF32FloatAttr(0.0f),
                         b.getF32FloatAttr(1.0f));
}

LogicalResult KilnTestInputGradientPenaltyPass::addPenalty(func::FuncOp func) {
  if (!func.getBody().hasOneBlock())
    return func.emitError("expects a single block");
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() < 1)
    return func.emitError("expects the loss as result #0");
  Value loss = ret.getOperand(0);
  Operation *lossOp = loss.getDefiningOp();
  if (!lossOp || lossOp->getNumOperands() < 1)
    return func.emitError("expects result #0 computed from the critic's "
                          "score");
  Value score = lossOp->getOperand(0);
  Value input;
  for (BlockArgument arg : body.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), "kiln.input")) {
      input = arg;
      break;
    }
  auto inputType =
      input ? dyn_cast<RankedTensorType>(input.getType()) : RankedTensorType();
  if (!inputType || !inputType.getElementType().isF32() ||
      inputType.getRank() < 2)
    return func.emitError("expects an f32 argument tagged kiln.input with a "
                          "batch and feature dimensions");

  OpBuilder b(ret);
  Location loc = ret.getLoc();
  Value seed = onesLike(b, loc, score);
  auto f32 = b.getF32Type();
  auto scalarType = RankedTensorType::get({}, f32);
  if (wrt == "params") {
    SmallVector<Value> params;
    for (BlockArgument arg : body.getArguments())
      if (func.getArgAttr(arg.getArgNumber(), "kiln.param"))
        params.push_back(arg);
    FailureOr<SmallVector<Value>> grads =
        emitVectorJacobianProduct(b, loc, score, seed, params);
    if (failed(grads))
      return failure();
    // Σ_p mean(g_p²), each mean a mean_squared_error against zeros.
    Value sum;
    for (Value grad : *grads) {
      auto type = cast<RankedTensorType>(grad.getType());
      if (type.getRank() < 1)
        return func.emitError("expects parameters of rank >= 1");
      Value zeros = arith::ConstantOp::create(
          b, loc, type, DenseElementsAttr::get(type, b.getF32FloatAttr(0)));
      Value term = MeanSquaredErrorOp::create(b, loc, scalarType, grad, zeros);
      sum = sum ? AddOp::create(b, loc, scalarType, sum, term) : term;
    }
    if (!sum)
      return func.emitError("expects parameters");
    Value weighted = ScaleOp::create(
        b, loc, scalarType, sum, b.getF32FloatAttr(static_cast<float>(lambda)),
        b.getF32FloatAttr(0.0f));
    ret->setOperand(0, AddOp::create(b, loc, loss.getType(), loss, weighted));
    return success();
  }

  // ∂(Σ_i s_i)/∂x: row i is sample i's input gradient, samples being
  // independent in a critic without batch statistics.
  FailureOr<SmallVector<Value>> grads =
      emitVectorJacobianProduct(b, loc, score, seed, input);
  if (failed(grads))
    return failure();
  Value grad = (*grads)[0];

  int64_t features = 1;
  for (int64_t extent : inputType.getShape().drop_front())
    features *= extent;
  int64_t batch = inputType.getDimSize(0);
  auto rowsType = RankedTensorType::get({batch, features}, f32);
  if (inputType.getRank() != 2)
    grad = ReshapeOp::create(b, loc, rowsType, grad);
  Value squares = MulOp::create(b, loc, rowsType, grad, grad);
  auto onesType = RankedTensorType::get({features, 1}, f32);
  Value ones = arith::ConstantOp::create(
      b, loc, onesType, DenseElementsAttr::get(onesType, b.getF32FloatAttr(1)));
  auto columnType = RankedTensorType::get({batch, 1}, f32);
  Value sumSquares = MatmulOp::create(b, loc, columnType, squares, ones);
  Value norm = SqrtOp::create(b, loc, columnType, sumSquares);
  Value penalty = MeanSquaredErrorOp::create(b, loc, scalarType, norm,
                                             onesLike(b, loc, norm));
  Value weighted = ScaleOp::create(
      b, loc, scalarType, penalty,
      b.getF32FloatAttr(static_cast<float>(lambda)), b.getF32FloatAttr(0.0f));
  Value total = AddOp::create(b, loc, loss.getType(), loss, weighted);
  ret->setOperand(0, total);
  return success();
}

} // namespace
