//===- Differentiation.cpp - Reverse sweep over kiln ops ------------------===//
//
// The vector-Jacobian product of some values of a block with respect to
// others, emitted op by op through GradientOpInterface. kiln-autodiff calls
// it on the loss; a gradient penalty calls it inside the loss, on the
// critic's output with respect to its input, and the backward ops it emits
// are then differentiated again by kiln-autodiff (their own rules are the
// second-order rules).
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/Differentiation.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace mlir::kiln;

/// A tensor of zeros of `like`'s type: a constant when the shape is static,
/// else `like` scaled by 0 (the only source of the dynamic extents here).
static Value createZerosLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  if (type.hasStaticShape()) {
    auto attr = DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f));
    return arith::ConstantOp::create(b, loc, type, attr);
  }
  return ScaleOp::create(b, loc, type, like, b.getF32FloatAttr(0.0f),
                         b.getF32FloatAttr(0.0f));
}

static bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

FailureOr<SmallVector<Value>>
mlir::kiln::emitVectorJacobianProduct(OpBuilder &builder, Location loc,
                                      ValueRange outputs, ValueRange seeds,
                                      ValueRange wrt) {
  Block *block = builder.getInsertionBlock();
  if (!block)
    return emitError(loc, "emitVectorJacobianProduct: no insertion point");
  if (outputs.size() != seeds.size())
    return emitError(loc, "emitVectorJacobianProduct: ")
           << outputs.size() << " outputs but " << seeds.size() << " seeds";
  for (auto [output, seed] : llvm::zip(outputs, seeds)) {
    if (!isF32Tensor(output.getType()) || seed.getType() != output.getType())
      return emitError(loc, "emitVectorJacobianProduct: expects f32 tensor "
                            "outputs and seeds of their types, got ")
             << output.getType() << " seeded with " << seed.getType();
  }
  for (Value v : wrt)
    if (!isF32Tensor(v.getType()))
      return emitError(loc, "emitVectorJacobianProduct: expects f32 tensors "
                            "to differentiate with respect to, got ")
             << v.getType();

  // The forward ops: those of the block before the insertion point. The
  // sweep appends to the same block, so they are snapshot first.
  Block::iterator point = builder.getInsertionPoint();
  SmallVector<Operation *> forwardOps;
  for (Operation &op : llvm::make_range(block->begin(), point))
    forwardOps.push_back(&op);
  Operation *lastBefore = forwardOps.empty() ? nullptr : forwardOps.back();

  // Activity: the values that depend on `wrt`. One forward walk suffices
  // since the block is in program order.
  llvm::DenseSet<Value> active(wrt.begin(), wrt.end());
  for (Operation *op : forwardOps)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return active.contains(v); }))
      active.insert(op->result_begin(), op->result_end());

  // Relevance: the ops the outputs depend on, found with an explicit
  // worklist (the graph's depth comes from the model file and must not
  // drive recursion). Ops elsewhere (after the point, in other blocks) are
  // not part of the computation being differentiated.
  llvm::SmallPtrSet<Operation *, 32> forwardSet(forwardOps.begin(),
                                                forwardOps.end());
  llvm::SmallPtrSet<Operation *, 32> feeding;
  SmallVector<Operation *> worklist;
  for (Value output : outputs)
    if (Operation *def = output.getDefiningOp())
      worklist.push_back(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!forwardSet.contains(op) || !feeding.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }

  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value target, Value grad) {
    auto [it, inserted] = grads.try_emplace(target, grad);
    if (!inserted)
      it->second = AddOp::create(builder, grad.getLoc(), target.getType(),
                                 it->second, grad);
  };
  for (auto [output, seed] : llvm::zip(outputs, seeds))
    if (active.contains(output))
      accumulate(output, seed);

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
    if (failed(rule.emitGradient(builder, resultGrads, operandGrads)))
      return op->emitOpError("failed to emit its gradient");
    if (operandGrads.size() != op->getNumOperands())
      return op->emitOpError("gradient rule returned ")
             << operandGrads.size() << " gradients for " << op->getNumOperands()
             << " operands";
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad && active.contains(operand))
        accumulate(operand, grad);
  }

  SmallVector<Value> results;
  for (Value v : wrt) {
    Value grad = grads.lookup(v);
    results.push_back(grad ? grad : createZerosLike(builder, loc, v));
  }

  // Rules emit every operand's gradient; those of inactive operands (the
  // gradient with respect to a bias when differentiating with respect to
  // the input, say) are dead and go here. Only the ops emitted above are
  // touched.
  llvm::SmallPtrSet<Operation *, 8> resultOps;
  for (Value v : results)
    if (Operation *def = v.getDefiningOp())
      resultOps.insert(def);
  Block::iterator first =
      lastBefore ? std::next(Block::iterator(lastBefore)) : block->begin();
  SmallVector<Operation *> emitted;
  for (Operation &op : llvm::make_range(first, builder.getInsertionPoint()))
    emitted.push_back(&op);
  for (Operation *op : llvm::reverse(emitted))
    if (!resultOps.contains(op) && isOpTriviallyDead(op))
      op->erase();
  return results;
}
