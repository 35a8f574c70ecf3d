// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @layer_norm_dynamic_row(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{'kiln.layer_norm' op expects a static last dimension to normalize over, got 'tensor<4x?xf32>'}}
  %0 = kiln.layer_norm %x {epsilon = 1.0e-03 : f32} : tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

func.func @layer_norm_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.layer_norm' op expects a static last dimension to normalize over, got 'tensor<f32>'}}
  %0 = kiln.layer_norm %x {epsilon = 1.0e-03 : f32} : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @layer_norm_epsilon(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.layer_norm' op expects epsilon > 0, got 0.000000e+00}}
  %0 = kiln.layer_norm %x {epsilon = 0.0 : f32} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @layer_norm_grad_epsilon(%dy: tensor<?x8xf32>, %x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.layer_norm_grad' op expects epsilon > 0, got -1.000000e+00}}
  %0 = kiln.layer_norm_grad %dy, %x {epsilon = -1.0 : f32} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @layer_norm_grad_types(%dy: tensor<?x8xf32>, %x: tensor<?x4xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.layer_norm_grad' op requires the same type for all operands and results}}
  %0 = "kiln.layer_norm_grad"(%dy, %x) {epsilon = 1.0e-03 : f32} : (tensor<?x8xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
