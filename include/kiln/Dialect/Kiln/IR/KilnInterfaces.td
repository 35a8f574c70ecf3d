//===- KilnInterfaces.td - Kiln op interfaces --------------*- tablegen -*-===//

#ifndef KILN_DIALECT_KILN_IR_KILNINTERFACES_TD
#define KILN_DIALECT_KILN_IR_KILNINTERFACES_TD

include "mlir/IR/OpBase.td"

def GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::mlir::kiln";
  let description = [{
    An op that knows its own reverse-mode derivative. `kiln-autodiff` walks
    the loss computation backwards and asks each op for the vector-Jacobian
    product: given the gradients flowing into its results, the op emits kiln
    ops computing the gradients of its operands. Derivative ops implement
    it too where a gradient of a gradient is needed (second order, e.g. a
    gradient penalty inside a loss).
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the vector-Jacobian product at the builder's insertion point.
        `resultGrads` has one entry per result; an entry is null when that
        result does not influence the loss. On success `operandGrads` holds
        one entry per operand: the gradient, or null for operands that are
        not differentiable (labels, integer data) or whose derivative is
        zero almost everywhere (the mask operand of `kiln.relu_grad`):
        null adds nothing to the operand's gradient.
      }],
      "::llvm::LogicalResult", "emitGradient",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // KILN_DIALECT_KILN_IR_KILNINTERFACES_TD
