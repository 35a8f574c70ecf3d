// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @log_softmax_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'kiln.log_softmax' op expects a tensor of rank >= 1, got 'tensor<f32>'}}
  %0 = kiln.log_softmax %x : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @elu_negative_alpha(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.elu' op expects alpha >= 0, got -1.000000e+00}}
  %0 = kiln.elu %x {alpha = -1.0 : f32} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @clipped_relu_negative(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.clipped_relu' op expects a finite max_value >= 0, got -1.000000e+00}}
  %0 = kiln.clipped_relu %x {max_value = -1.0 : f32} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @transpose_batch(%x: tensor<?x28x10xf32>) -> tensor<28x?x10xf32> {
  // expected-error @+1 {{'kiln.transpose' op expects the batch dimension to stay first (permutation[0] = 0), got 1}}
  %0 = kiln.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<?x28x10xf32>) -> tensor<28x?x10xf32>
  return %0 : tensor<28x?x10xf32>
}

// -----

func.func @transpose_not_permutation(%x: tensor<?x28x10xf32>) -> tensor<?x28x28xf32> {
  // expected-error @+1 {{'kiln.transpose' op expects a permutation of 0 .. 2}}
  %0 = kiln.transpose %x {permutation = array<i64: 0, 1, 1>} : (tensor<?x28x10xf32>) -> tensor<?x28x28xf32>
  return %0 : tensor<?x28x28xf32>
}

// -----

func.func @transpose_shape(%x: tensor<?x28x10xf32>) -> tensor<?x28x10xf32> {
  // expected-error @+1 {{'kiln.transpose' op expects result dimension 1 to be input dimension 2, got 'tensor<?x28x10xf32>' -> 'tensor<?x28x10xf32>'}}
  %0 = kiln.transpose %x {permutation = array<i64: 0, 2, 1>} : (tensor<?x28x10xf32>) -> tensor<?x28x10xf32>
  return %0 : tensor<?x28x10xf32>
}

// -----

func.func @batch_reshape_rank(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.batch_reshape' op expects ranks that differ by the folded dimensions, got 'tensor<?x8xf32>' -> 'tensor<?x8xf32>'}}
  %0 = kiln.batch_reshape %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @batch_reshape_trailing(%x: tensor<?x28x8xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'kiln.batch_reshape' op expects static trailing dimensions that agree, got 'tensor<?x28x8xf32>' -> 'tensor<?x16xf32>'}}
  %0 = kiln.batch_reshape %x : (tensor<?x28x8xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

func.func @batch_reshape_lead(%w: tensor<3x8x16xf32>) -> tensor<2x3x8x16xf32> {
  // expected-error @+1 {{'kiln.batch_reshape' op expects the first extent 3 to be 2 x 3}}
  %0 = kiln.batch_reshape %w : (tensor<3x8x16xf32>) -> tensor<2x3x8x16xf32>
  return %0 : tensor<2x3x8x16xf32>
}

// -----

func.func @upsample_size(%x: tensor<?x7x7x8xf32>) -> tensor<?x7x7x8xf32> {
  // expected-error @+1 {{'kiln.upsample2d' op expects two positive upsampling factors}}
  %0 = kiln.upsample2d %x {size = array<i64: 0, 1>} : (tensor<?x7x7x8xf32>) -> tensor<?x7x7x8xf32>
  return %0 : tensor<?x7x7x8xf32>
}

// -----

func.func @upsample_shape(%x: tensor<?x7x7x8xf32>) -> tensor<?x14x7x8xf32> {
  // expected-error @+1 {{'kiln.upsample2d' op expects the result to repeat each pixel 2x2 times, got 'tensor<?x7x7x8xf32>' -> 'tensor<?x14x7x8xf32>'}}
  %0 = kiln.upsample2d %x {size = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>) -> tensor<?x14x7x8xf32>
  return %0 : tensor<?x14x7x8xf32>
}

// -----

func.func @dropout_broadcast_batch(%x: tensor<?x7x8xf32>, %rng: tensor<2xi64>) -> tensor<?x7x8xf32> {
  // expected-error @+1 {{'kiln.dropout' op expects increasing broadcast_dims in [1, 3), got 0}}
  %0 = kiln.dropout %x, %rng {broadcast_dims = array<i64: 0>, rate = 0.5 : f32} : tensor<?x7x8xf32>, tensor<2xi64>
  return %0 : tensor<?x7x8xf32>
}

// -----

func.func @embedding_width(%ids: tensor<?x28xf32>, %table: tensor<256x8xf32>) -> tensor<?x28x4xf32> {
  // expected-error @+1 {{'kiln.embedding' op expects rows of the table's width 8, got 'tensor<?x28x4xf32>'}}
  %0 = kiln.embedding %ids, %table : (tensor<?x28xf32>, tensor<256x8xf32>) -> tensor<?x28x4xf32>
  return %0 : tensor<?x28x4xf32>
}

// -----

func.func @embedding_shape(%ids: tensor<?x28xf32>, %table: tensor<256x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.embedding' op expects the rows to have the indices' shape and one more dimension, got 'tensor<?x28xf32>' and 'tensor<?x8xf32>'}}
  %0 = kiln.embedding %ids, %table : (tensor<?x28xf32>, tensor<256x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @embedding_grad_table(%dy: tensor<?x28x8xf32>, %ids: tensor<?x28xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.embedding_grad' op expects a static V x D table, got 'tensor<?x8xf32>'}}
  %0 = kiln.embedding_grad %dy, %ids : (tensor<?x28x8xf32>, tensor<?x28xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @any_not_equal_rank(%x: tensor<?x7x3xf32>) -> tensor<?x7xf32> {
  // expected-error @+1 {{'kiln.any_not_equal' op expects input and result of the same rank >= 1, got 'tensor<?x7x3xf32>' and 'tensor<?x7xf32>'}}
  %0 = kiln.any_not_equal %x {value = 0.0 : f32} : (tensor<?x7x3xf32>) -> tensor<?x7xf32>
  return %0 : tensor<?x7xf32>
}

// -----

func.func @any_not_equal_steps(%x: tensor<?x7x3xf32>) -> tensor<?x6x1xf32> {
  // expected-error @+1 {{'kiln.any_not_equal' op expects the extents before the last to agree, got 'tensor<?x7x3xf32>' and 'tensor<?x6x1xf32>'}}
  %0 = kiln.any_not_equal %x {value = 0.0 : f32} : (tensor<?x7x3xf32>) -> tensor<?x6x1xf32>
  return %0 : tensor<?x6x1xf32>
}

// -----

func.func @any_not_equal_dynamic(%x: tensor<?x7x3xf32>) -> tensor<?x7x?xf32> {
  // expected-error @+1 {{'kiln.any_not_equal' op expects a static last extent of the result, got 'tensor<?x7x?xf32>'}}
  %0 = kiln.any_not_equal %x {value = 0.0 : f32} : (tensor<?x7x3xf32>) -> tensor<?x7x?xf32>
  return %0 : tensor<?x7x?xf32>
}

// -----

func.func @masked_mean_mask(%x: tensor<?x7x4xf32>, %m: tensor<?x7x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'kiln.masked_mean' op expects [N, T, F] values, a [N, T, 1] mask and [N, F] means, got 'tensor<?x7x4xf32>', 'tensor<?x7x4xf32>' and 'tensor<?x4xf32>'}}
  %0 = kiln.masked_mean %x, %m : (tensor<?x7x4xf32>, tensor<?x7x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @masked_mean_dynamic(%x: tensor<?x?x4xf32>, %m: tensor<?x7x1xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'kiln.masked_mean' op expects static timesteps and features, got 'tensor<?x?x4xf32>'}}
  %0 = kiln.masked_mean %x, %m : (tensor<?x?x4xf32>, tensor<?x7x1xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @masked_mean_grad_result(%g: tensor<?x4xf32>, %m: tensor<?x7x1xf32>) -> tensor<?x7x5xf32> {
  // expected-error @+1 {{'kiln.masked_mean_grad' op expects [N, T, F] values, a [N, T, 1] mask and [N, F] means, got 'tensor<?x7x5xf32>', 'tensor<?x7x1xf32>' and 'tensor<?x4xf32>'}}
  %0 = kiln.masked_mean_grad %g, %m : (tensor<?x4xf32>, tensor<?x7x1xf32>) -> tensor<?x7x5xf32>
  return %0 : tensor<?x7x5xf32>
}
