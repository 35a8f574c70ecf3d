// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// The ops behind the further Keras layers round trip.

// CHECK-LABEL: func.func @log_softmax
func.func @log_softmax(%x: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  // CHECK: %[[Y:.*]] = kiln.log_softmax %{{.*}} : tensor<?x10xf32>
  %0 = kiln.log_softmax %x : tensor<?x10xf32>
  // CHECK-NEXT: kiln.log_softmax_grad %{{.*}}, %[[Y]] : tensor<?x10xf32>
  %1 = kiln.log_softmax_grad %dy, %0 : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}

// The default alpha of 1 is not printed.
// CHECK-LABEL: func.func @elu_alpha
func.func @elu_alpha(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  // CHECK: kiln.elu %{{.*}} : tensor<?x8xf32>
  %0 = kiln.elu %x : tensor<?x8xf32>
  // CHECK-NEXT: kiln.elu %{{.*}} {alpha = 5.000000e-01 : f32} : tensor<?x8xf32>
  %1 = kiln.elu %x {alpha = 0.5 : f32} : tensor<?x8xf32>
  // CHECK-NEXT: kiln.elu_grad %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32} : tensor<?x8xf32>
  %2 = kiln.elu_grad %x, %1 {alpha = 0.5 : f32} : tensor<?x8xf32>
  return %0, %1, %2 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @clipped_relu
func.func @clipped_relu(%x: tensor<?x8xf32>, %dy: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  // CHECK: %[[Y:.*]] = kiln.clipped_relu %{{.*}} {max_value = 2.500000e+00 : f32} : tensor<?x8xf32>
  %0 = kiln.clipped_relu %x {max_value = 2.5 : f32} : tensor<?x8xf32>
  // CHECK-NEXT: kiln.clipped_relu_grad %{{.*}}, %[[Y]] {max_value = 2.500000e+00 : f32} : tensor<?x8xf32>
  %1 = kiln.clipped_relu_grad %dy, %0 {max_value = 2.5 : f32} : tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<?x28x10xf32>) -> tensor<?x10x28xf32> {
  // CHECK: kiln.transpose %{{.*}} {permutation = array<i64: 0, 2, 1>} : (tensor<?x28x10xf32>) -> tensor<?x10x28xf32>
  %0 = kiln.transpose %x {permutation = array<i64: 0, 2, 1>} : (tensor<?x28x10xf32>) -> tensor<?x10x28xf32>
  return %0 : tensor<?x10x28xf32>
}

// CHECK-LABEL: func.func @batch_reshape
func.func @batch_reshape(%x: tensor<?x28x8xf32>, %w: tensor<3x8x16xf32>) -> (tensor<?x28x8xf32>, tensor<1x3x8x16xf32>) {
  // CHECK: kiln.batch_reshape %{{.*}} : (tensor<?x28x8xf32>) -> tensor<?x8xf32>
  %0 = kiln.batch_reshape %x : (tensor<?x28x8xf32>) -> tensor<?x8xf32>
  // CHECK-NEXT: kiln.batch_reshape %{{.*}} : (tensor<?x8xf32>) -> tensor<?x28x8xf32>
  %1 = kiln.batch_reshape %0 : (tensor<?x8xf32>) -> tensor<?x28x8xf32>
  // CHECK-NEXT: kiln.batch_reshape %{{.*}} : (tensor<3x8x16xf32>) -> tensor<1x3x8x16xf32>
  %2 = kiln.batch_reshape %w : (tensor<3x8x16xf32>) -> tensor<1x3x8x16xf32>
  return %1, %2 : tensor<?x28x8xf32>, tensor<1x3x8x16xf32>
}

// CHECK-LABEL: func.func @upsample2d
func.func @upsample2d(%x: tensor<?x7x5x8xf32>) -> tensor<?x14x15x8xf32> {
  // CHECK: kiln.upsample2d %{{.*}} {size = array<i64: 2, 3>} : (tensor<?x7x5x8xf32>) -> tensor<?x14x15x8xf32>
  %0 = kiln.upsample2d %x {size = array<i64: 2, 3>} : (tensor<?x7x5x8xf32>) -> tensor<?x14x15x8xf32>
  return %0 : tensor<?x14x15x8xf32>
}

// SpatialDropout: one mask element per sample and channel.
// CHECK-LABEL: func.func @spatial_dropout
func.func @spatial_dropout(%x: tensor<?x7x7x8xf32>, %rng: tensor<2xi64>) -> tensor<?x7x7x8xf32> {
  // CHECK: kiln.dropout %{{.*}}, %{{.*}} {broadcast_dims = array<i64: 1, 2>, rate = 2.000000e-01 : f32, stream = 3 : i64} : tensor<?x7x7x8xf32>, tensor<2xi64>
  %0 = kiln.dropout %x, %rng {broadcast_dims = array<i64: 1, 2>, rate = 0.2 : f32, stream = 3 : i64} : tensor<?x7x7x8xf32>, tensor<2xi64>
  return %0 : tensor<?x7x7x8xf32>
}

// CHECK-LABEL: func.func @embedding
func.func @embedding(%ids: tensor<?x28xf32>, %table: tensor<256x8xf32>) -> (tensor<?x28x8xf32>, tensor<256x8xf32>) {
  // CHECK: %[[Y:.*]] = kiln.embedding %{{.*}}, %{{.*}} : (tensor<?x28xf32>, tensor<256x8xf32>) -> tensor<?x28x8xf32>
  %0 = kiln.embedding %ids, %table : (tensor<?x28xf32>, tensor<256x8xf32>) -> tensor<?x28x8xf32>
  // CHECK-NEXT: kiln.embedding_grad %[[Y]], %{{.*}} : (tensor<?x28x8xf32>, tensor<?x28xf32>) -> tensor<256x8xf32>
  %1 = kiln.embedding_grad %0, %ids : (tensor<?x28x8xf32>, tensor<?x28xf32>) -> tensor<256x8xf32>
  return %0, %1 : tensor<?x28x8xf32>, tensor<256x8xf32>
}

// Keras masks: timesteps kept by Masking, widened to a state's units.
// CHECK-LABEL: func.func @any_not_equal
func.func @any_not_equal(%x: tensor<?x7x3xf32>) -> (tensor<?x7x1xf32>, tensor<?x7x16xf32>) {
  // CHECK: %[[M:.*]] = kiln.any_not_equal %{{.*}} {value = -1.000000e+00 : f32} : (tensor<?x7x3xf32>) -> tensor<?x7x1xf32>
  %0 = kiln.any_not_equal %x {value = -1.0 : f32} : (tensor<?x7x3xf32>) -> tensor<?x7x1xf32>
  // CHECK-NEXT: kiln.any_not_equal %[[M]] {value = 0.000000e+00 : f32} : (tensor<?x7x1xf32>) -> tensor<?x7x16xf32>
  %1 = kiln.any_not_equal %0 {value = 0.0 : f32} : (tensor<?x7x1xf32>) -> tensor<?x7x16xf32>
  return %0, %1 : tensor<?x7x1xf32>, tensor<?x7x16xf32>
}

// GlobalAveragePooling1D over a masked sequence, and its gradient.
// CHECK-LABEL: func.func @masked_mean
func.func @masked_mean(%x: tensor<?x7x4xf32>, %m: tensor<?x7x1xf32>) -> (tensor<?x4xf32>, tensor<?x7x4xf32>) {
  // CHECK: %[[Y:.*]] = kiln.masked_mean %{{.*}}, %[[M:.*]] : (tensor<?x7x4xf32>, tensor<?x7x1xf32>) -> tensor<?x4xf32>
  %0 = kiln.masked_mean %x, %m : (tensor<?x7x4xf32>, tensor<?x7x1xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.masked_mean_grad %[[Y]], %[[M]] : (tensor<?x4xf32>, tensor<?x7x1xf32>) -> tensor<?x7x4xf32>
  %1 = kiln.masked_mean_grad %0, %m : (tensor<?x4xf32>, tensor<?x7x1xf32>) -> tensor<?x7x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x7x4xf32>
}
