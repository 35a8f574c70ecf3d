//===- KilnDialect.td - Kiln dialect definition ------------*- tablegen -*-===//
//
// The kiln dialect: tensor-level neural-network ops with value semantics,
// each carrying the rule for its own vector-Jacobian product.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNDIALECT_TD
#define KILN_DIALECT_KILN_IR_KILNDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::mlir::kiln";
  let summary = "Neural-network training ops for the Kiln compiler";
  let description = [{
    The kiln dialect describes a model's forward computation, its loss and
    metrics, and — after `kiln-autodiff` — the backward computation, all as
    value-semantic ops on builtin ranked tensors. `f32` is the compute type;
    class labels are `i32`. The leading dimension of activations is the batch
    and is usually dynamic (`?`), so one compiled step serves every batch
    size, including a partial last batch.

    Every differentiable op implements `GradientOpInterface`; the ops that
    gradient rules emit (`kiln.relu_grad`, `kiln.softmax_grad`, ...) are kiln
    ops too, so fusion and lowering treat forward and backward code alike.
  }];
  let useDefaultAttributePrinterParser = 1;
}

/// Activation applied in the epilogue of fused ops.
def Kiln_Activation : I32EnumAttr<"Activation", "activation function", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"sigmoid", 2>,
    I32EnumAttrCase<"tanh", 3>,
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ActivationAttr : EnumAttr<Kiln_Dialect, Kiln_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

/// Keras's spatial padding modes: `valid` (no padding) and `same` (pad so
/// that the output has ceil(in / stride) positions; the odd element of the
/// padding goes after the data, as in TensorFlow).
def Kiln_Padding : I32EnumAttr<"Padding", "spatial padding mode", [
    I32EnumAttrCase<"valid", 0>,
    I32EnumAttrCase<"same", 1>,
  ]> {
  let cppNamespace = "::mlir::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_PaddingAttr : EnumAttr<Kiln_Dialect, Kiln_Padding, "padding"> {
  let assemblyFormat = "`<` $value `>`";
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

#endif // KILN_DIALECT_KILN_IR_KILNDIALECT_TD
