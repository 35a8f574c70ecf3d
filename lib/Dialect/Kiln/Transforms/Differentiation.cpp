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
#include "llvm/ADT/MapVector.h"
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

/// The extent along `dim` of the part a `kiln.slice_grad` places (1 when
/// the slice dropped `dim`).
static int64_t placedExtent(SliceGradOp place) {
  auto part = cast<RankedTensorType>(place.getGrad().getType());
  if (part.getRank() < place.getType().getRank())
    return 1;
  return part.getDimSize(place.getDim());
}

/// Joins the parts that `places` (sorted by offset, adjacent, along one
/// dimension) put into zeros: one `kiln.concat` of the parts, placed once
/// (directly the gradient when the parts cover the whole extent).
static Value joinPlacedParts(OpBuilder &b, Location loc,
                             ArrayRef<SliceGradOp> places) {
  SliceGradOp front = places.front();
  auto whole = cast<RankedTensorType>(front.getType());
  int64_t dim = front.getDim();
  int64_t first = front.getOffset(), extent = 0;
  SmallVector<Value> parts;
  for (SliceGradOp place : places) {
    Value part = place.getGrad();
    auto partType = cast<RankedTensorType>(part.getType());
    if (partType.getRank() < whole.getRank()) {
      // A slice that dropped `dim` gets it back as a unit dimension.
      SmallVector<int64_t> shape(whole.getShape());
      shape[dim] = 1;
      part = ReshapeOp::create(
          b, loc, RankedTensorType::get(shape, whole.getElementType()), part);
    }
    parts.push_back(part);
    extent += placedExtent(place);
  }
  SmallVector<int64_t> shape(whole.getShape());
  shape[dim] = extent;
  Value joined = ConcatOp::create(
      b, loc, RankedTensorType::get(shape, whole.getElementType()), parts,
      b.getI64IntegerAttr(dim));
  if (first == 0 && extent == whole.getDimSize(dim))
    return joined;
  return SliceGradOp::create(b, loc, whole, joined, b.getI64IntegerAttr(dim),
                             b.getI64IntegerAttr(first));
}

/// The sum of the gradient contributions `terms` of one value. Each op
/// that reads a slice of the value contributes the slice's gradient placed
/// into zeros (`kiln.slice_grad`); a recurrent layer reads every timestep
/// and every gate that way. Placed parts that are adjacent along the same
/// dimension are joined into one `kiln.concat` instead: no full-size zeros
/// per part, no full-size additions. The values are the plain sum's, the
/// zeros left out; only where three or more terms meet at one element may
/// they be added in another order.
static Value sumContributions(OpBuilder &b, Location loc, Type type,
                              ArrayRef<Value> terms) {
  if (terms.size() == 1)
    return terms.front();
  // Runs of adjacent placed parts, per dimension; of several parts at one
  // offset only the first joins a run, the others stay terms of their own.
  llvm::MapVector<int64_t, SmallVector<SliceGradOp>> placesByDim;
  for (Value term : terms) {
    auto place = term.getDefiningOp<SliceGradOp>();
    // A part that dropped dimension 0 (a row of a parameter) would need a
    // reshape of the batch dimension, which kiln.reshape keeps; it stays a
    // term of its own.
    if (!place || !place->use_empty() ||
        (place.getDim() == 0 &&
         cast<RankedTensorType>(place.getGrad().getType()).getRank() <
             place.getType().getRank()))
      continue;
    placesByDim[place.getDim()].push_back(place);
  }
  llvm::DenseMap<Operation *, unsigned> runOf;
  SmallVector<SmallVector<SliceGradOp>> runs;
  for (auto &[dim, places] : placesByDim) {
    llvm::stable_sort(places, [](SliceGradOp x, SliceGradOp y) {
      return x.getOffset() < y.getOffset();
    });
    SmallVector<SliceGradOp> run;
    auto closeRun = [&] {
      if (run.size() > 1) {
        for (SliceGradOp place : run)
          runOf[place] = runs.size();
        runs.push_back(run);
      }
      run.clear();
    };
    for (SliceGradOp place : places) {
      if (!run.empty() && place.getOffset() == run.back().getOffset())
        continue;
      if (!run.empty() && place.getOffset() !=
                              run.back().getOffset() + placedExtent(run.back()))
        closeRun();
      run.push_back(place);
    }
    closeRun();
  }

  // The terms in their order, each run where its first part was.
  SmallVector<Value> summands;
  llvm::SmallDenseSet<unsigned> emitted;
  for (Value term : terms) {
    auto it = runOf.find(term.getDefiningOp());
    if (it == runOf.end()) {
      summands.push_back(term);
      continue;
    }
    if (emitted.insert(it->second).second)
      summands.push_back(joinPlacedParts(b, loc, runs[it->second]));
  }
  Value sum = summands.front();
  for (Value term : llvm::drop_begin(summands))
    sum = AddOp::create(b, loc, type, sum, term);
  return sum;
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

  // Each value's gradient contributions are kept apart until the gradient
  // is read: by then every op that reads the value has contributed.
  DenseMap<Value, SmallVector<Value, 2>> contributions;
  auto accumulate = [&](Value target, Value grad) {
    contributions[target].push_back(grad);
  };
  auto gradientOf = [&](Value value) -> Value {
    auto it = contributions.find(value);
    if (it == contributions.end())
      return Value();
    if (it->second.size() > 1) {
      Value sum = sumContributions(builder, it->second.front().getLoc(),
                                   value.getType(), it->second);
      it->second.assign(1, sum);
    }
    return it->second.front();
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
      resultGrads.push_back(gradientOf(result));
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
    Value grad = gradientOf(v);
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
