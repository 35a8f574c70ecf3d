//===- KilnLayerOps.cpp - Log-softmax, transposes, batch views ------------===//
//
// Verifiers and gradient rules of the ops in KilnLayerOps.td, each rule
// directly below its op's verifier.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

//===----------------------------------------------------------------------===//
// LogSoftmaxOp and LogSoftmaxGradOp
//===----------------------------------------------------------------------===//

LogicalResult LogSoftmaxOp::verify() {
  if (getType().getRank() < 1)
    return emitOpError("expects a tensor of rank >= 1, got ") << getType();
  return success();
}

/// The rule reads the output: exp(y) is the softmax the derivative needs.
LogicalResult LogSoftmaxOp::emitGradient(OpBuilder &b,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(LogSoftmaxGradOp::create(b, getLoc(), getType(),
                                                  resultGrads[0], getResult()));
  return success();
}

LogicalResult LogSoftmaxGradOp::verify() {
  if (getType().getRank() < 1)
    return emitOpError("expects a tensor of rank >= 1, got ") << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// ClippedReluOp
//===----------------------------------------------------------------------===//

LogicalResult ClippedReluOp::verify() {
  float max = getMaxValue().convertToFloat();
  if (!(max >= 0.0f) || !std::isfinite(max))
    return emitOpError("expects a finite max_value >= 0, got ") << max;
  return success();
}

/// The output tells the flat parts (y = 0, y = max_value) apart from the
/// identity part, so the rule reads the output like relu6's.
LogicalResult
ClippedReluOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(ClippedReluGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getResult(), getMaxValueAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===

LogicalResult TransposeOp::verify() {
  auto inputType = tensorType(getInput());
  auto resultType = tensorType(getResult());
  ArrayRef<int64_t> perm = getPermutation();
  int64_t rank = inputType.getRank();
  if (resultType.getRank() != rank || static_cast<int64_t>(perm.size()) != rank)
    return emitOpError("expects the input, the result and the permutation to "
                       "have one rank, got ")
           << inputType << ", " << resultType << " and " << perm.size()
           << " entries";
  SmallVector<bool> seen(rank, false);
  for (int64_t dim : perm) {
    if (dim < 0 || dim >= rank || seen[dim])
      return emitOpError("expects a permutation of 0 .. ") << rank - 1;
    seen[dim] = true;
  }
  if (rank > 0 && perm[0] != 0)
    return emitOpError("expects the batch dimension to stay first "
                       "(permutation[0] = 0), got ")
           << perm[0];
  for (int64_t k = 0; k < rank; ++k)
    if (!extentsAgree(resultType.getDimSize(k), inputType.getDimSize(perm[k])))
      return emitOpError("expects result dimension ")
             << k << " to be input dimension " << perm[k] << ", got "
             << inputType << " -> " << resultType;
  return success();
}

/// A transpose is linear; its adjoint is the inverse transpose.
LogicalResult TransposeOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [k, dim] : llvm::enumerate(perm))
    inverse[dim] = k;
  operandGrads.push_back(TransposeOp::create(b, getLoc(), getInput().getType(),
                                             resultGrads[0],
                                             b.getDenseI64ArrayAttr(inverse)));
  return success();
}

//===----------------------------------------------------------------------===//
// BatchReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult BatchReshapeOp::verify() {
  auto inputType = tensorType(getInput());
  auto resultType = tensorType(getResult());
  bool folds = inputType.getRank() > resultType.getRank();
  RankedTensorType wide = folds ? inputType : resultType;
  RankedTensorType narrow = folds ? resultType : inputType;
  int64_t folded = wide.getRank() - narrow.getRank();
  if (narrow.getRank() < 1 || folded < 1)
    return emitOpError("expects ranks that differ by the folded dimensions, "
                       "got ")
           << inputType << " -> " << resultType;
  ArrayRef<int64_t> rest = wide.getShape().drop_front(1 + folded);
  int64_t factor = 1;
  for (int64_t extent : wide.getShape().slice(1, folded)) {
    if (ShapedType::isDynamic(extent))
      return emitOpError("expects static folded dimensions, got ") << wide;
    factor *= extent;
  }
  if (rest != narrow.getShape().drop_front() ||
      llvm::any_of(rest, ShapedType::isDynamic))
    return emitOpError("expects static trailing dimensions that agree, got ")
           << inputType << " -> " << resultType;
  int64_t wideLead = wide.getDimSize(0), narrowLead = narrow.getDimSize(0);
  if (!ShapedType::isDynamic(wideLead) && !ShapedType::isDynamic(narrowLead) &&
      wideLead * factor != narrowLead)
    return emitOpError("expects the first extent ")
           << narrowLead << " to be " << wideLead << " x " << factor;
  return success();
}

LogicalResult
BatchReshapeOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                             SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(BatchReshapeOp::create(
      b, getLoc(), getInput().getType(), resultGrads[0]));
  return success();
}

//===----------------------------------------------------------------------===//
// UpSample2DOp
//===----------------------------------------------------------------------===//

LogicalResult UpSample2DOp::verify() {
  auto inputType = tensorType(getInput());
  auto resultType = tensorType(getResult());
  ArrayRef<int64_t> size = getSize();
  if (inputType.getRank() != 4 || resultType.getRank() != 4)
    return emitOpError("expects rank-4 NHWC input and result, got ")
           << inputType << " and " << resultType;
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    return emitOpError("expects two positive upsampling factors");
  if (inputType.isDynamicDim(1) || inputType.isDynamicDim(2))
    return emitOpError("expects static spatial dimensions, got ") << inputType;
  SmallVector<int64_t> expected = {
      inputType.getDimSize(0), inputType.getDimSize(1) * size[0],
      inputType.getDimSize(2) * size[1], inputType.getDimSize(3)};
  for (auto [want, got] : llvm::zip(expected, resultType.getShape()))
    if (!extentsAgree(want, got))
      return emitOpError("expects the result to repeat each pixel ")
             << size[0] << "x" << size[1] << " times, got " << inputType
             << " -> " << resultType;
  return success();
}

/// Each input pixel feeds one block of the output: its gradient is the
/// block's sum, an average pooling over the blocks times the block size.
LogicalResult UpSample2DOp::emitGradient(OpBuilder &b,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  Type inputType = getInput().getType();
  Location loc = getLoc();
  Value mean = AvgPool2DOp::create(
      b, loc, inputType, resultGrads[0], getSizeAttr(), getSizeAttr(),
      PaddingAttr::get(b.getContext(), Padding::valid));
  float blockSize = static_cast<float>(getSize()[0] * getSize()[1]);
  operandGrads.push_back(ScaleOp::create(
      b, loc, inputType, mean, b.getF32FloatAttr(blockSize), FloatAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp and EmbeddingGradOp
//===----------------------------------------------------------------------===//

/// Checks `rows` = the shape of `indices` followed by the table's width.
static LogicalResult verifyEmbedding(Operation *op, RankedTensorType indices,
                                     RankedTensorType table,
                                     RankedTensorType rows) {
  if (table.getRank() != 2 || !table.hasStaticShape())
    return op->emitOpError("expects a static V x D table, got ") << table;
  if (indices.getRank() < 1 || rows.getRank() != indices.getRank() + 1)
    return op->emitOpError("expects the rows to have the indices' shape and "
                           "one more dimension, got ")
           << indices << " and " << rows;
  for (int64_t d = 0; d < indices.getRank(); ++d)
    if (!extentsAgree(indices.getDimSize(d), rows.getDimSize(d)))
      return op->emitOpError("expects the rows to have the indices' shape, "
                             "got ")
             << indices << " and " << rows;
  if (rows.getShape().back() != table.getDimSize(1))
    return op->emitOpError("expects rows of the table's width ")
           << table.getDimSize(1) << ", got " << rows;
  return success();
}

LogicalResult EmbeddingOp::verify() {
  return verifyEmbedding(*this, tensorType(getIndices()),
                         tensorType(getTable()), tensorType(getResult()));
}

LogicalResult EmbeddingOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(nullptr); // The indices are data.
  operandGrads.push_back(EmbeddingGradOp::create(
      b, getLoc(), getTable().getType(), resultGrads[0], getIndices()));
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  return verifyEmbedding(*this, tensorType(getIndices()),
                         tensorType(getResult()), tensorType(getGrad()));
}

//===----------------------------------------------------------------------===//
// AnyNotEqualOp
//===----------------------------------------------------------------------===//

LogicalResult AnyNotEqualOp::verify() {
  auto inputType = tensorType(getInput());
  auto resultType = tensorType(getResult());
  int64_t rank = inputType.getRank();
  if (rank < 1 || resultType.getRank() != rank)
    return emitOpError("expects input and result of the same rank >= 1, got ")
           << inputType << " and " << resultType;
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (!extentsAgree(inputType.getDimSize(d), resultType.getDimSize(d)))
      return emitOpError("expects the extents before the last to agree, got ")
             << inputType << " and " << resultType;
  if (resultType.isDynamicDim(rank - 1))
    return emitOpError("expects a static last extent of the result, got ")
           << resultType;
  return success();
}

/// A comparison is flat almost everywhere: no gradient reaches the input.
LogicalResult
AnyNotEqualOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(nullptr);
  return success();
}

//===----------------------------------------------------------------------===//
// MaskedMeanOp and MaskedMeanGradOp
//===----------------------------------------------------------------------===//

/// Checks `[N, T, F]` values, a `[N, T, 1]` mask and `[N, F]` means.
static LogicalResult verifyMaskedMean(Operation *op, RankedTensorType values,
                                      RankedTensorType mask,
                                      RankedTensorType means) {
  if (values.getRank() != 3 || mask.getRank() != 3 || means.getRank() != 2)
    return op->emitOpError("expects [N, T, F] values, a [N, T, 1] mask and "
                           "[N, F] means, got ")
           << values << ", " << mask << " and " << means;
  if (values.isDynamicDim(1) || values.isDynamicDim(2))
    return op->emitOpError("expects static timesteps and features, got ")
           << values;
  bool agree = extentsAgree(values.getDimSize(0), mask.getDimSize(0)) &&
               extentsAgree(values.getDimSize(0), means.getDimSize(0)) &&
               mask.getDimSize(1) == values.getDimSize(1) &&
               mask.getDimSize(2) == 1 &&
               means.getDimSize(1) == values.getDimSize(2);
  if (!agree)
    return op->emitOpError("expects [N, T, F] values, a [N, T, 1] mask and "
                           "[N, F] means, got ")
           << values << ", " << mask << " and " << means;
  return success();
}

LogicalResult MaskedMeanOp::verify() {
  return verifyMaskedMean(*this, tensorType(getInput()), tensorType(getMask()),
                          tensorType(getResult()));
}

LogicalResult MaskedMeanOp::emitGradient(OpBuilder &b,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(MaskedMeanGradOp::create(
      b, getLoc(), getInput().getType(), resultGrads[0], getMask()));
  operandGrads.push_back(nullptr); // The mask is piecewise constant.
  return success();
}

LogicalResult MaskedMeanGradOp::verify() {
  return verifyMaskedMean(*this, tensorType(getResult()), tensorType(getMask()),
                          tensorType(getGrad()));
}
