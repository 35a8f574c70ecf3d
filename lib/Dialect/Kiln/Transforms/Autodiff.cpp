//===- Autodiff.cpp - Reverse-mode differentiation of @loss ---------------===//
//
// Derives the training step from the loss function: a clone of the forward
// computation followed by the backward sweep (emitVectorJacobianProduct,
// Differentiation.cpp), emitted op by op through GradientOpInterface. The
// forward values the rules need are simply reused (everything stays in one
// function), so nothing is recomputed. Results the loss function tags as state
// updates (`kiln.state_update`) pass through undifferentiated, after the
// gradients.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Differentiation.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNAUTODIFFPASS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// A dense f32 constant of the given static shape filled with `value`.
Value createSplat(OpBuilder &b, Location loc, RankedTensorType type,
                  float value) {
  auto attr = DenseElementsAttr::get(type, b.getF32FloatAttr(value));
  return arith::ConstantOp::create(b, loc, type, attr);
}

struct KilnAutodiffPass
    : public kiln::impl::KilnAutodiffPassBase<KilnAutodiffPass> {
  using Base::Base;

  void runOnOperation() override;
  LogicalResult differentiate(func::FuncOp train);
};

void KilnAutodiffPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto loss = module.lookupSymbol<func::FuncOp>(lossFunction);
  if (!loss) {
    module.emitError("kiln-autodiff: no function named '")
        << lossFunction << "' to differentiate";
    return signalPassFailure();
  }
  if (module.lookupSymbol(trainFunction)) {
    loss.emitError("kiln-autodiff: a symbol named '")
        << trainFunction << "' already exists";
    return signalPassFailure();
  }
  if (!loss.getBody().hasOneBlock()) {
    loss.emitError("kiln-autodiff: expects a single-block loss function");
    return signalPassFailure();
  }

  auto train = cast<func::FuncOp>(loss->clone());
  train.setSymName(trainFunction);
  module.insert(std::next(Block::iterator(loss)), train);
  if (failed(differentiate(train)))
    return signalPassFailure();
}

LogicalResult KilnAutodiffPass::differentiate(func::FuncOp train) {
  Block &body = train.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() < 1)
    return train.emitError("kiln-autodiff: the loss function returns nothing");
  Value loss = ret.getOperand(0);
  auto lossType = dyn_cast<RankedTensorType>(loss.getType());
  if (!lossType || lossType.getRank() != 0 ||
      !lossType.getElementType().isF32())
    return train.emitError(
               "kiln-autodiff: the first result must be the loss as "
               "tensor<f32>, got ")
           << loss.getType();

  // State updates (BatchNormalization's moving averages) are computed by the
  // forward sweep and returned as they are; the loss and metrics are the
  // other results. Each names the parameter it replaces, which must be a
  // frozen one: a state the optimizer also moved would be updated twice.
  unsigned numResults = ret.getNumOperands();
  SmallVector<Value> lossResults, stateResults;
  SmallVector<IntegerAttr> stateTargets;
  for (unsigned i = 0; i < numResults; ++i) {
    auto target =
        train.getResultAttrOfType<IntegerAttr>(i, "kiln.state_update");
    if (!target) {
      if (!stateResults.empty())
        return train.emitError("kiln-autodiff: result #")
               << i
               << " follows a state update; state updates must be the "
                  "last results";
      lossResults.push_back(ret.getOperand(i));
      continue;
    }
    if (i == 0)
      return train.emitError(
          "kiln-autodiff: the first result must be the loss, not a state "
          "update");
    int64_t index = target.getInt();
    auto param = index >= 0 && index < int64_t(train.getNumArguments())
                     ? train.getArgAttrOfType<DictionaryAttr>(
                           static_cast<unsigned>(index), "kiln.param")
                     : DictionaryAttr();
    auto flag = param ? param.getAs<BoolAttr>("trainable") : BoolAttr();
    if (!param || !flag || flag.getValue())
      return train.emitError("kiln-autodiff: result #")
             << i << " updates argument #" << index
             << ", which is not a frozen parameter";
    if (ret.getOperand(i).getType() !=
        train.getArgument(static_cast<unsigned>(index)).getType())
      return train.emitError("kiln-autodiff: result #")
             << i << " has type " << ret.getOperand(i).getType()
             << ", but the parameter it updates has type "
             << train.getArgument(static_cast<unsigned>(index)).getType();
    stateResults.push_back(ret.getOperand(i));
    stateTargets.push_back(target);
  }

  // Frozen parameters (`trainable = false`) are not differentiated: they do
  // not make values active, and their gradients are zeros.
  SmallVector<BlockArgument> params, trainable;
  for (BlockArgument arg : body.getArguments()) {
    auto param = train.getArgAttrOfType<DictionaryAttr>(arg.getArgNumber(),
                                                        "kiln.param");
    if (!param)
      continue;
    params.push_back(arg);
    auto flag = param.getAs<BoolAttr>("trainable");
    if (!flag || flag.getValue())
      trainable.push_back(arg);
  }

  // Frozen parameters keep zero gradients below; a shape the constant
  // cannot have is refused up front.
  for (BlockArgument param : params)
    if (!cast<RankedTensorType>(param.getType()).hasStaticShape())
      return train.emitError("kiln-autodiff: parameter #")
             << param.getArgNumber() << " has a dynamic shape";

  OpBuilder b(ret);
  Value seed = createSplat(b, ret.getLoc(), lossType, 1.0f);
  SmallVector<Value> wrt(trainable.begin(), trainable.end());
  FailureOr<SmallVector<Value>> grads =
      emitVectorJacobianProduct(b, ret.getLoc(), loss, seed, wrt);
  if (failed(grads))
    return failure();

  DenseMap<Value, Value> gradOf;
  for (auto [param, grad] : llvm::zip_equal(trainable, *grads))
    gradOf[param] = grad;
  SmallVector<Value> results(lossResults);
  for (BlockArgument param : params) {
    Value grad = gradOf.lookup(param);
    if (!grad)
      grad = createSplat(b, ret.getLoc(),
                         cast<RankedTensorType>(param.getType()), 0.0f);
    results.push_back(grad);
  }
  results.append(stateResults);
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();

  // Rules emit every operand's gradient; those of inactive operands (the
  // gradient with respect to the data, say) are dead and go here.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();

  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  // Result attributes described the loss function's results; only the
  // state updates keep theirs, now the last results.
  train.removeResAttrsAttr();
  train.setFunctionType(
      FunctionType::get(train.getContext(), body.getArgumentTypes(),
                        resultTypes));
  unsigned firstState = results.size() - stateResults.size();
  for (auto [i, target] : llvm::enumerate(stateTargets))
    train.setResultAttr(firstState + i, "kiln.state_update", target);
  return success();
}

} // namespace
