// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @target_shape(%p: tensor<?x4xf32>, %t: tensor<?x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.mean_squared_error' op expects targets of the prediction's shape, got 'tensor<?x4xf32>' and 'tensor<?x3xf32>'}}
  %0 = kiln.mean_squared_error %p, %t : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @target_rank(%p: tensor<?x1xf32>, %t: tensor<?xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.binary_crossentropy' op expects targets of the prediction's shape, got 'tensor<?x1xf32>' and 'tensor<?xf32>'}}
  %0 = kiln.binary_crossentropy %p, %t : (tensor<?x1xf32>, tensor<?xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @categorical_rank(%p: tensor<?x4x2xf32>, %t: tensor<?x4x2xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.categorical_crossentropy' op expects rank-2 operands (batch x classes), got 'tensor<?x4x2xf32>'}}
  %0 = kiln.categorical_crossentropy %p, %t : (tensor<?x4x2xf32>, tensor<?x4x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @scalar_prediction(%p: tensor<f32>, %t: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.mean_absolute_error' op expects operands of rank >= 1, got 'tensor<f32>'}}
  %0 = kiln.mean_absolute_error %p, %t : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @huber_delta(%p: tensor<?x4xf32>, %t: tensor<?x4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.huber' op expects delta > 0, got 0}}
  %0 = kiln.huber %p, %t {delta = 0.0 : f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @grad_type(%dl: tensor<f32>, %p: tensor<?x4xf32>, %t: tensor<?x4xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{'kiln.mean_squared_error_grad' op failed to verify that all of {prediction, result} have same type}}
  %0 = kiln.mean_squared_error_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @top_k(%p: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.sparse_top_k_categorical_accuracy' op expects k >= 1, got 0}}
  %0 = kiln.sparse_top_k_categorical_accuracy %p, %y {k = 0 : i64} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @categorical_accuracy(%p: tensor<?x10xf32>, %t: tensor<?x9xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.categorical_accuracy' op expects targets of the prediction's shape, got 'tensor<?x10xf32>' and 'tensor<?x9xf32>'}}
  %0 = kiln.categorical_accuracy %p, %t : (tensor<?x10xf32>, tensor<?x9xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @mean_difference_shapes(%p: tensor<?x1xf32>, %t: tensor<?x2xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.mean_difference' op expects targets of the prediction's shape, got 'tensor<?x1xf32>' and 'tensor<?x2xf32>'}}
  %0 = kiln.mean_difference %p, %t : (tensor<?x1xf32>, tensor<?x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
