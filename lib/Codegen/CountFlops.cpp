//===- CountFlops.cpp - Floating-point work of each function per sample ---===//
//
// Counts, in every function on linalg tensors, the multiply-adds of its
// contractions (matmuls, convolutions after im2col, any linalg op with a
// reduction loop and two or more inputs) as two FLOPs each, per sample of
// the batch. Element-wise ops, pooling and row reductions are left out:
// they are memory-bound and a small share of the arithmetic.
//
// Functions take the batch as the one dynamic dimension of their tensors,
// so a dynamic loop extent is a multiple of it. Which multiple is traced
// back through the reshapes and slices that produced the operand: the RNN
// input projection of all timesteps, for one, multiplies `[n·steps, f]`
// rows. The result is the module attribute `kiln.flops`, a dictionary from
// function name to FLOPs per sample, which the model descriptor carries
// for `summary` and the runtime's default thread count.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNCOUNTFLOPSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

/// Reshapes and slices are rarely nested deeper than this between a
/// function argument and a contraction.
constexpr int kMaxTraceDepth = 32;

int64_t indexPerSample(Value index, int depth);

/// How many times the batch size dimension `dim` of tensor `value` is. A
/// function argument's dynamic dimension is the batch itself; what cannot be
/// traced counts as the batch too.
int64_t dimPerSample(Value value, int64_t dim, int depth) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || dim >= type.getRank())
    return 1;
  if (!type.isDynamicDim(dim))
    return type.getDimSize(dim);
  Operation *def = value.getDefiningOp();
  if (!def || depth > kMaxTraceDepth)
    return 1;
  ++depth;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
    int64_t factor = 1;
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    for (int64_t source : groups[dim])
      factor *= dimPerSample(collapse.getSrc(), source, depth);
    return factor;
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def)) {
    // The dynamic result dimension of a group is the source dimension over
    // the group's static sizes.
    SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
    for (auto [source, group] : llvm::enumerate(groups)) {
      if (!llvm::is_contained(group, dim))
        continue;
      int64_t staticSizes = 1;
      for (int64_t d : group)
        if (d != dim && !type.isDynamicDim(d))
          staticSizes *= type.getDimSize(d);
      const int64_t whole = dimPerSample(expand.getSrc(), source, depth);
      return whole % staticSizes == 0 ? whole / staticSizes : 1;
    }
    return 1;
  }
  if (auto empty = dyn_cast<tensor::EmptyOp>(def))
    return indexPerSample(empty.getDynamicSize(dim), depth);
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
    // Dropped unit dimensions shift the result's dimensions.
    llvm::SmallBitVector dropped = slice.getDroppedDims();
    int64_t resultDim = -1;
    for (int64_t d = 0; d < slice.getSourceType().getRank(); ++d) {
      if (dropped.test(d))
        continue;
      if (++resultDim == dim) {
        OpFoldResult size = slice.getMixedSizes()[d];
        auto sizeValue = dyn_cast<Value>(size);
        return sizeValue ? indexPerSample(sizeValue, depth) : 1;
      }
    }
    return 1;
  }
  if (auto cast = dyn_cast<tensor::CastOp>(def))
    return dimPerSample(cast.getSource(), dim, depth);
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(def)) {
    auto result = cast<OpResult>(value);
    return dimPerSample(dps.getTiedOpOperand(result)->get(), dim, depth);
  }
  return 1;
}

/// How many times the batch size the index value `index` is.
int64_t indexPerSample(Value index, int depth) {
  Operation *def = index.getDefiningOp();
  if (!def || depth > kMaxTraceDepth)
    return 1;
  ++depth;
  if (auto dimOp = dyn_cast<tensor::DimOp>(def))
    if (std::optional<int64_t> dim = dimOp.getConstantIndex())
      return dimPerSample(dimOp.getSource(), *dim, depth);
  if (auto mul = dyn_cast<arith::MulIOp>(def)) {
    APInt constant;
    if (matchPattern(mul.getRhs(), m_ConstantInt(&constant)))
      return indexPerSample(mul.getLhs(), depth) * constant.getSExtValue();
    if (matchPattern(mul.getLhs(), m_ConstantInt(&constant)))
      return indexPerSample(mul.getRhs(), depth) * constant.getSExtValue();
  }
  return 1;
}

/// 2 × the product of the loop extents per sample, for a contraction.
int64_t contractionFlopsPerSample(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInputs() < 2)
    return 0;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  // A dynamic loop takes its extent from an operand dimension indexed by
  // that loop alone.
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [dim, expr] : llvm::enumerate(map.getResults())) {
      auto loop = dyn_cast<AffineDimExpr>(expr);
      if (!loop || !ShapedType::isDynamic(extents[loop.getPosition()]))
        continue;
      extents[loop.getPosition()] =
          dimPerSample(operand.get(), static_cast<int64_t>(dim), 0);
    }
  }
  int64_t product = 2;
  for (int64_t extent : extents)
    product *= ShapedType::isDynamic(extent) ? 1 : extent;
  return product;
}

struct KilnCountFlopsPass
    : public kiln::impl::KilnCountFlopsPassBase<KilnCountFlopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    SmallVector<NamedAttribute> counts;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      int64_t flops = 0;
      func.walk(
          [&](linalg::LinalgOp op) { flops += contractionFlopsPerSample(op); });
      counts.push_back(
          b.getNamedAttr(func.getSymName(), b.getI64IntegerAttr(flops)));
    }
    module->setAttr("kiln.flops", b.getDictionaryAttr(counts));
  }
};

} // namespace
