//===- Passes.td - Kiln dialect passes ---------------------*- tablegen -*-===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
#define KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnAutodiffPass : Pass<"kiln-autodiff", "::mlir::ModuleOp"> {
  let summary = "Derive @train_step from @loss by reverse-mode differentiation";
  let description = [{
    Clones the loss function (named by `loss-function`) into a new function
    (named by `train-function`) that returns the loss, the metrics, and the
    gradient of the loss with respect to every parameter — each function
    argument that carries a `kiln.param` attribute — in argument order.

    The backward sweep visits the ops on which the loss depends in reverse
    order and asks each for its vector-Jacobian product through
    `GradientOpInterface`. A value used several times receives the sum of
    the gradients of its uses. Ops that do not depend on any parameter
    (preprocessing of data, metrics) are not differentiated, and operands
    such as labels that a rule marks non-differentiable are skipped. An op
    on the path from a parameter to the loss without a gradient rule is an
    error that names it. A parameter the loss does not depend on gets a
    zero gradient, and so does a frozen one (`kiln.param` with
    `trainable = false`, a layer Keras marks `trainable: false`): frozen
    parameters are not differentiated at all, though gradients still flow
    through their layers to the trainable parameters before them.

    State updates pass through: the loss function's last results may carry
    `kiln.state_update = <argument index> : i64` (BatchNormalization's new
    moving averages, computed in the forward sweep). They are not
    differentiated (nothing flows back from them), and the new function
    returns them after the gradients, in their order, with the same
    attribute. Each must update a frozen parameter (`trainable = false`)
    of its own type, so that the optimizer never moves it too.
  }];
  let options = [
    Option<"lossFunction", "loss-function", "std::string", "\"loss\"",
           "Name of the function computing (loss, metrics...)">,
    Option<"trainFunction", "train-function", "std::string", "\"train_step\"",
           "Name of the function to create">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::kiln::KilnDialect"];
}

def KilnFusePass : Pass<"kiln-fuse", "::mlir::func::FuncOp"> {
  let summary = "Fuse matmul epilogues and softmax with cross-entropy";
  let description = [{
    Rewrites, in every function:
    - `kiln.matmul` followed by a broadcast `kiln.add` of a bias and an
      activation into one `kiln.linear` with that epilogue, when the
      intermediate values have no other uses;
    - `kiln.softmax` feeding `kiln.sparse_categorical_crossentropy` into
      `kiln.sparse_softmax_cross_entropy` on the logits (forward), and the
      matching backward chain
      `kiln.sparse_categorical_crossentropy_grad` → `kiln.softmax_grad` into
      one `kiln.sparse_softmax_cross_entropy_grad`. Other users of the
      probabilities keep a softmax; an accuracy metric reads the logits
      instead, since softmax preserves the arg-max.
  }];
  let dependentDialects = ["::mlir::kiln::KilnDialect"];
}

#endif // KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
