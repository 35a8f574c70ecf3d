//===- NormOps.cpp - Normalization ops ------------------------------------===//
//
// Verifiers and gradient rules of the ops in KilnNormOps.td, each rule
// directly below its op's verifier.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::kiln;

/// The constraints layer_norm and layer_norm_grad share.
static LogicalResult verifyRowNormalization(Operation *op, Type type,
                                            float epsilon) {
  auto tensor = cast<RankedTensorType>(type);
  if (tensor.getRank() < 1 || tensor.isDynamicDim(tensor.getRank() - 1))
    return op->emitOpError("expects a static last dimension to normalize "
                           "over, got ")
           << type;
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon))
    return op->emitOpError("expects epsilon > 0, got ") << epsilon;
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  return verifyRowNormalization(*this, getType(),
                                getEpsilon().convertToFloat());
}

LogicalResult LayerNormOp::emitGradient(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(LayerNormGradOp::create(
      b, getLoc(), getType(), resultGrads[0], getInput(), getEpsilonAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormGradOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormGradOp::verify() {
  return verifyRowNormalization(*this, getType(),
                                getEpsilon().convertToFloat());
}
