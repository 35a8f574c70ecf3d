// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @matmul_contraction(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'kiln.matmul' op expects contracted dimensions to agree, got 'tensor<4x3xf32>' and 'tensor<4x5xf32>'}}
  %0 = kiln.matmul %a, %b : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @matmul_transposed_result(%a: tensor<3x4xf32>, %b: tensor<3x5xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{'kiln.matmul' op expects result of shape 4x5, got 'tensor<3x5xf32>'}}
  %0 = kiln.matmul %a, %b {transpose_lhs} : (tensor<3x4xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @matmul_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{'kiln.matmul' op expects rank-2 operands and result}}
  %0 = kiln.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @add_not_suffix(%a: tensor<?x128xf32>, %b: tensor<10xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'kiln.add' op expects the right operand's shape to be a suffix of the left operand's}}
  %0 = kiln.add %a, %b : (tensor<?x128xf32>, tensor<10xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @add_result(%a: tensor<?x128xf32>, %b: tensor<128xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{'kiln.add' op expects the result to have the left operand's shape}}
  %0 = kiln.add %a, %b : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @reduce_sum_not_suffix(%a: tensor<?x128xf32>) -> tensor<10xf32> {
  // expected-error @+1 {{'kiln.reduce_sum' op expects the result shape to be a suffix of the input shape}}
  %0 = kiln.reduce_sum %a : (tensor<?x128xf32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

func.func @reshape_count(%a: tensor<?x28x28xf32>) -> tensor<?x783xf32> {
  // expected-error @+1 {{'kiln.reshape' op expects the same number of elements per sample, got 784 and 783}}
  %0 = kiln.reshape %a : (tensor<?x28x28xf32>) -> tensor<?x783xf32>
  return %0 : tensor<?x783xf32>
}

// -----

func.func @reshape_batch(%a: tensor<4x28x28xf32>) -> tensor<8x392xf32> {
  // expected-error @+1 {{'kiln.reshape' op expects the batch dimension to be kept}}
  %0 = kiln.reshape %a : (tensor<4x28x28xf32>) -> tensor<8x392xf32>
  return %0 : tensor<8x392xf32>
}

// -----

func.func @relu_type(%a: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{'kiln.relu' op requires the same type for all operands and results}}
  %0 = "kiln.relu"(%a) : (tensor<4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @relu_grad_type(%dy: tensor<4xf32>, %y: tensor<5xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.relu_grad' op requires the same type for all operands and results}}
  %0 = "kiln.relu_grad"(%dy, %y) : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @softmax_rank(%a: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.softmax' op expects a tensor of rank >= 1}}
  %0 = kiln.softmax %a : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @softmax_grad_type(%dy: tensor<4x10xf32>, %y: tensor<4x9xf32>) -> tensor<4x10xf32> {
  // expected-error @+1 {{'kiln.softmax_grad' op requires the same type for all operands and results}}
  %0 = "kiln.softmax_grad"(%dy, %y) : (tensor<4x10xf32>, tensor<4x9xf32>) -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @crossentropy_labels(%p: tensor<4x10xf32>, %y: tensor<5xi32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.sparse_categorical_crossentropy' op expects one label per row}}
  %0 = kiln.sparse_categorical_crossentropy %p, %y : (tensor<4x10xf32>, tensor<5xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @crossentropy_rank(%p: tensor<4x10x2xf32>, %y: tensor<4xi32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.sparse_categorical_crossentropy' op expects rank-2 scores}}
  %0 = kiln.sparse_categorical_crossentropy %p, %y : (tensor<4x10x2xf32>, tensor<4xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @crossentropy_float_labels(%p: tensor<4x10xf32>, %y: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.sparse_categorical_crossentropy' op operand #1 must be 1D tensor of 32-bit signless integer values}}
  %0 = kiln.sparse_categorical_crossentropy %p, %y : (tensor<4x10xf32>, tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @crossentropy_grad_type(%dl: tensor<f32>, %p: tensor<4x10xf32>, %y: tensor<4xi32>) -> tensor<4x9xf32> {
  // expected-error @+1 {{'kiln.sparse_categorical_crossentropy_grad' op expects the result to have the type of the probs}}
  %0 = kiln.sparse_categorical_crossentropy_grad %dl, %p, %y : (tensor<f32>, tensor<4x10xf32>, tensor<4xi32>) -> tensor<4x9xf32>
  return %0 : tensor<4x9xf32>
}

// -----

func.func @softmax_ce_labels(%z: tensor<4x10xf32>, %y: tensor<3xi32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.sparse_softmax_cross_entropy' op expects one label per row}}
  %0 = kiln.sparse_softmax_cross_entropy %z, %y : (tensor<4x10xf32>, tensor<3xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @softmax_ce_grad_type(%dl: tensor<f32>, %z: tensor<4x10xf32>, %y: tensor<4xi32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{'kiln.sparse_softmax_cross_entropy_grad' op expects the result to have the type of the logits}}
  %0 = kiln.sparse_softmax_cross_entropy_grad %dl, %z, %y : (tensor<f32>, tensor<4x10xf32>, tensor<4xi32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @accuracy_scalar_result(%p: tensor<4x10xf32>, %y: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.sparse_categorical_accuracy' op result #0 must be 0D tensor of 32-bit float values}}
  %0 = kiln.sparse_categorical_accuracy %p, %y : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @linear_bias(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<10xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'kiln.linear' op expects a bias of shape 128, got 'tensor<10xf32>'}}
  %0 = kiln.linear %x, %w, %b {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<10xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @linear_contraction(%x: tensor<?x783xf32>, %w: tensor<784x128xf32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'kiln.linear' op expects contracted dimensions to agree}}
  %0 = kiln.linear %x, %w : (tensor<?x783xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

func.func @scale_type(%x: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'kiln.scale' op result #0 must be ranked tensor of 32-bit float values, but got 'tensor<4xi32>'}}
  %0 = "kiln.scale"(%x) {scale = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
