//===- Autodiff.cpp - Reverse-mode differentiation of @loss ---------------===//
//
// Derives the training step from the loss function: a clone of the forward
// computation followed by the backward sweep, emitted op by op through
// GradientOpInterface. The forward values the rules need are simply reused
// (everything stays in one function), so nothing is recomputed. Results
// the loss function tags as state updates (`kiln.state_update`) pass
// through undifferentiated, after the gradients.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"

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

/// Values that depend on at least one parameter: only their ops need a
/// derivative. One forward walk suffices since the body is a single block in
/// program order.
llvm::DenseSet<Value> findActiveValues(Block &body,
                                       ArrayRef<BlockArgument> params) {
  llvm::DenseSet<Value> active(params.begin(), params.end());
  for (Operation &op : body) {
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      active.insert(op.result_begin(), op.result_end());
  }
  return active;
}

/// Ops whose results the loss depends on, found with an explicit worklist
/// (the graph's depth comes from the model file and must not drive
/// recursion).
llvm::SmallPtrSet<Operation *, 32> findOpsFeeding(Value loss) {
  llvm::SmallPtrSet<Operation *, 32> feeding;
  SmallVector<Operation *> worklist;
  if (Operation *def = loss.getDefiningOp())
    worklist.push_back(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!feeding.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }
  return feeding;
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

  llvm::DenseSet<Value> active = findActiveValues(body, trainable);
  llvm::SmallPtrSet<Operation *, 32> feeding = findOpsFeeding(loss);

  OpBuilder b(ret);
  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value target, Value grad) {
    auto [it, inserted] = grads.try_emplace(target, grad);
    if (!inserted)
      it->second =
          AddOp::create(b, grad.getLoc(), target.getType(), it->second, grad);
  };
  accumulate(loss, createSplat(b, ret.getLoc(), lossType, 1.0f));

  // Snapshot the forward ops first: the sweep appends backward ops to the
  // same block.
  SmallVector<Operation *> forwardOps;
  for (Operation &op : body.without_terminator())
    forwardOps.push_back(&op);

  for (Operation *op : llvm::reverse(forwardOps)) {
    if (!feeding.contains(op))
      continue;
    if (llvm::none_of(op->getResults(),
                      [&](Value v) { return active.contains(v); }))
      continue;
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults())
      resultGrads.push_back(grads.lookup(result));
    if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
      continue;

    auto rule = dyn_cast<GradientOpInterface>(op);
    if (!rule)
      return op->emitOpError("has no gradient rule (GradientOpInterface); "
                             "kiln-autodiff cannot differentiate it");
    SmallVector<Value> operandGrads;
    b.setInsertionPoint(ret);
    if (failed(rule.emitGradient(b, resultGrads, operandGrads)))
      return op->emitOpError("failed to emit its gradient");
    if (operandGrads.size() != op->getNumOperands())
      return op->emitOpError("gradient rule returned ")
             << operandGrads.size() << " gradients for "
             << op->getNumOperands() << " operands";
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad && active.contains(operand))
        accumulate(operand, grad);
  }

  SmallVector<Value> results(lossResults);
  for (BlockArgument param : params) {
    Value grad = grads.lookup(param);
    if (!grad) {
      auto type = cast<RankedTensorType>(param.getType());
      if (!type.hasStaticShape())
        return train.emitError("kiln-autodiff: parameter #")
               << param.getArgNumber() << " has a dynamic shape";
      grad = createSplat(b, ret.getLoc(), type, 0.0f);
    }
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
