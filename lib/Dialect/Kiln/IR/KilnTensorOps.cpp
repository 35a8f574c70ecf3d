//===- KilnTensorOps.cpp - Product, slice and concat ops ------------------===//
//
// Verifiers and gradient rules of the ops in KilnTensorOps.td, each rule
// directly below its op's verifier.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::kiln;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

//===----------------------------------------------------------------------===//
// MulOp
//===----------------------------------------------------------------------===//

LogicalResult MulOp::verify() {
  auto lhsType = tensorType(getLhs());
  auto rhsType = tensorType(getRhs());
  auto resultType = tensorType(getResult());
  ArrayRef<int64_t> lhs = lhsType.getShape(), rhs = rhsType.getShape();
  if (rhs.size() > lhs.size())
    return emitOpError("expects the right operand's shape to be a suffix of "
                       "the left operand's, got ")
           << lhsType << " and " << rhsType;
  for (auto [a, b] : llvm::zip(lhs.take_back(rhs.size()), rhs))
    if (!extentsAgree(a, b))
      return emitOpError("expects the right operand's shape to be a suffix "
                         "of the left operand's, got ")
             << lhsType << " and " << rhsType;
  if (resultType != lhsType)
    return emitOpError("expects the result to have the left operand's type, "
                       "got ")
           << resultType;
  return success();
}

LogicalResult MulOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  Type lhsType = getLhs().getType();
  operandGrads.push_back(MulOp::create(b, loc, lhsType, dy, getRhs()));
  Value dRhs = MulOp::create(b, loc, lhsType, dy, getLhs());
  if (getRhs().getType() != lhsType)
    dRhs = ReduceSumOp::create(b, loc, getRhs().getType(), dRhs);
  operandGrads.push_back(dRhs);
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp and SliceGradOp
//===----------------------------------------------------------------------===//

/// Checks that `part` is the slice {dim, offset} of `whole`: same rank (the
/// slice's extent along `dim` is part's) or one less (`dim` dropped).
static LogicalResult verifySlice(Operation *op, RankedTensorType whole,
                                 RankedTensorType part, int64_t dim,
                                 int64_t offset) {
  int64_t rank = whole.getRank();
  if (dim < 0 || dim >= rank)
    return op->emitOpError("expects 0 <= dim < ") << rank << ", got " << dim;
  if (whole.isDynamicDim(dim))
    return op->emitOpError("expects a static extent along dim ")
           << dim << ", got " << whole;
  bool dropsDim = part.getRank() == rank - 1;
  if (!dropsDim && part.getRank() != rank)
    return op->emitOpError("expects the slice to have rank ")
           << rank << " or " << rank - 1 << ", got " << part;
  int64_t size = dropsDim ? 1 : part.getDimSize(dim);
  if (ShapedType::isDynamic(size) || offset < 0 || size < 1 ||
      offset + size > whole.getDimSize(dim))
    return op->emitOpError("expects the slice [")
           << offset << ", " << offset << " + size) to lie inside extent "
           << whole.getDimSize(dim) << " of dim " << dim << ", got " << part;
  for (int64_t i = 0, j = 0; i < rank; ++i) {
    if (i == dim && dropsDim)
      continue;
    if (i != dim && !extentsAgree(whole.getDimSize(i), part.getDimSize(j)))
      return op->emitOpError("expects the dimensions other than dim ")
             << dim << " to agree, got " << whole << " and " << part;
    ++j;
  }
  return success();
}

LogicalResult SliceOp::verify() {
  return verifySlice(*this, tensorType(getInput()), tensorType(getResult()),
                     getDim(), getOffset());
}

LogicalResult SliceOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SliceGradOp::create(b, getLoc(), getInput().getType(),
                                             resultGrads[0], getDimAttr(),
                                             getOffsetAttr()));
  return success();
}

LogicalResult SliceGradOp::verify() {
  return verifySlice(*this, tensorType(getResult()), tensorType(getGrad()),
                     getDim(), getOffset());
}

/// Placing into zeros is linear; its adjoint reads the placed part back.
LogicalResult SliceGradOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SliceOp::create(b, getLoc(), getGrad().getType(),
                                         resultGrads[0], getDimAttr(),
                                         getOffsetAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  auto resultType = tensorType(getResult());
  int64_t rank = resultType.getRank();
  int64_t dim = getDim();
  if (getInputs().empty())
    return emitOpError("expects at least one input");
  if (dim < 0 || dim >= rank)
    return emitOpError("expects 0 <= dim < ") << rank << ", got " << dim;
  int64_t total = 0;
  for (Value input : getInputs()) {
    auto type = tensorType(input);
    if (type.getRank() != rank)
      return emitOpError("expects inputs of rank ") << rank << ", got " << type;
    if (type.isDynamicDim(dim))
      return emitOpError("expects static extents along dim ")
             << dim << ", got " << type;
    for (int64_t i = 0; i < rank; ++i)
      if (i != dim &&
          !extentsAgree(type.getDimSize(i), resultType.getDimSize(i)))
        return emitOpError("expects the dimensions other than dim ")
               << dim << " to agree with the result, got " << type << " and "
               << resultType;
    total += type.getDimSize(dim);
  }
  if (resultType.getDimSize(dim) != total)
    return emitOpError("expects the result's extent along dim ")
           << dim << " to be " << total << ", got " << resultType;
  return success();
}

/// Each input's gradient is the part of the incoming gradient it filled.
LogicalResult ConcatOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  int64_t offset = 0;
  for (Value input : getInputs()) {
    operandGrads.push_back(SliceOp::create(b, getLoc(), input.getType(),
                                           resultGrads[0], getDimAttr(),
                                           b.getI64IntegerAttr(offset)));
    offset += tensorType(input).getDimSize(getDim());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SqrtOp
//===----------------------------------------------------------------------===//

/// d sqrt(x) / dx = 1 / (2 · sqrt(x)), read from the output.
LogicalResult SqrtOp::emitGradient(OpBuilder &b, ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      SqrtGradOp::create(b, getLoc(), getType(), resultGrads[0], getResult()));
  return success();
}
