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

def KilnTestInputGradientPenaltyPass
    : Pass<"test-kiln-input-gradient-penalty", "::mlir::ModuleOp"> {
  let summary = "Test pass: add a WGAN-GP gradient penalty to a loss";
  let description = [{
    For testing double backward (the gradient of a gradient) before a GAN
    frontend exists. In each function named by `functions` (by default
    `@loss` and `@evaluate`), takes the critic's score `s` (the first
    operand of the op computing result #0, the loss) and the first
    argument tagged `kiln.input` (`x`), emits `∂(Σ s)/∂x` with
    `emitVectorJacobianProduct` (explicit backward ops in the function),
    and replaces the loss by
    `loss + lambda · mean_i (‖∂s_i/∂x_i‖₂ - 1)²`: the norm per sample is
    `kiln.sqrt` of a product with a ones column, the mean a
    `kiln.mean_squared_error` against ones. `kiln-autodiff` then
    differentiates the penalty with respect to the parameters, through the
    backward ops' second-order rules.

    With `wrt=params` the gradient is taken with respect to every
    parameter instead (`g_p = ∂(Σ s)/∂p`) and the loss becomes
    `loss + lambda · Σ_p mean(g_p²)`: the backward ops of the parameters'
    gradients (`kiln.conv2d_kernel_grad`, `kiln.reduce_sum` of the biases)
    are then differentiated again too.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Functions whose loss gets the penalty (default: loss, "
               "evaluate)">,
    Option<"lambda", "lambda", "double", "10.0",
           "Weight of the penalty">,
    Option<"wrt", "wrt", "std::string", "\"input\"",
           "What the critic is differentiated with respect to: input or "
           "params">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::kiln::KilnDialect"];
}

#endif // KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
