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

// -----

func.func @batch_norm_no_batch(%x: tensor<16xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{'kiln.batch_norm' op expects a batch and a static channel (last) dimension, got 'tensor<16xf32>'}}
  %0 = kiln.batch_norm %x {epsilon = 1.0e-03 : f32} : tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

func.func @batch_norm_epsilon(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'kiln.batch_norm' op expects epsilon > 0, got 0.000000e+00}}
  %0 = kiln.batch_norm %x {epsilon = 0.0 : f32} : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

func.func @batch_norm_grad_channels(%dy: tensor<?x?xf32>, %x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'kiln.batch_norm_grad' op expects a batch and a static channel (last) dimension, got 'tensor<?x?xf32>'}}
  %0 = kiln.batch_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @moments_shape(%x: tensor<?x16xf32>) -> (tensor<8xf32>, tensor<16xf32>) {
  // expected-error @+1 {{'kiln.moments' op expects the mean and variance to be vectors of the channels of 'tensor<?x16xf32>', got 'tensor<8xf32>' and 'tensor<16xf32>'}}
  %m, %v = kiln.moments %x : (tensor<?x16xf32>) -> (tensor<8xf32>, tensor<16xf32>)
  return %m, %v : tensor<8xf32>, tensor<16xf32>
}

// -----

func.func @inference_stats(%x: tensor<?x16xf32>, %m: tensor<16xf32>, %v: tensor<4x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'kiln.batch_norm_inference' op expects the mean and variance to be vectors of the channels of 'tensor<?x16xf32>', got 'tensor<16xf32>' and 'tensor<4x16xf32>'}}
  %0 = kiln.batch_norm_inference %x, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<?x16xf32>, tensor<16xf32>, tensor<4x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

func.func @inference_result(%x: tensor<?x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'kiln.batch_norm_inference' op expects the result to have the input's type, got 'tensor<4x16xf32>'}}
  %0 = kiln.batch_norm_inference %x, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @inference_epsilon(%x: tensor<?x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'kiln.batch_norm_inference' op expects epsilon > 0, got -1.000000e+00}}
  %0 = kiln.batch_norm_inference %x, %m, %v {epsilon = -1.0 : f32} : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
