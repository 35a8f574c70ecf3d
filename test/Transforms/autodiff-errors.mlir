// RUN: kiln-opt %s -split-input-file -kiln-autodiff -verify-diagnostics

// An op on the path from a parameter to the loss without a gradient rule is
// an error naming it.
func.func @loss(%w: tensor<4x3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %x: tensor<?x4xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  %m = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  // expected-error @+1 {{'kiln.softmax_grad' op has no gradient rule (GradientOpInterface); kiln-autodiff cannot differentiate it}}
  %g = kiln.softmax_grad %m, %m : tensor<?x3xf32>
  %l = kiln.sparse_softmax_cross_entropy %g, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{kiln-autodiff: the first result must be the loss as tensor<f32>, got 'tensor<4xf32>'}}
func.func @loss(%w: tensor<4xf32> {kiln.param = {name = "w", initializer = "zeros"}}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{kiln-autodiff: no function named 'loss' to differentiate}}
module {
  func.func @other() {
    return
  }
}
