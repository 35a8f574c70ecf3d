// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// Dense-target losses, their gradients and the metrics on dense targets
// round trip.

// CHECK-LABEL: func.func @losses
func.func @losses(%p: tensor<?x4xf32>, %t: tensor<?x4xf32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  // CHECK: kiln.mean_squared_error %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %0 = kiln.mean_squared_error %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.mean_absolute_error %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %1 = kiln.mean_absolute_error %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.huber %{{.*}}, %{{.*}} {delta = 2.500000e+00 : f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %2 = kiln.huber %p, %t {delta = 2.5 : f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.binary_crossentropy %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %3 = kiln.binary_crossentropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.sigmoid_binary_cross_entropy %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %4 = kiln.sigmoid_binary_cross_entropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.categorical_crossentropy %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %5 = kiln.categorical_crossentropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %6 = kiln.softmax_cross_entropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @gradients
func.func @gradients(%dl: tensor<f32>, %p: tensor<?x4xf32>, %t: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  // CHECK: kiln.mean_squared_error_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %0 = kiln.mean_squared_error_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.mean_absolute_error_grad
  %1 = kiln.mean_absolute_error_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.huber_grad %{{.*}}, %{{.*}}, %{{.*}} {delta = 1.000000e+00 : f32}
  %2 = kiln.huber_grad %dl, %p, %t {delta = 1.0 : f32} : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.binary_crossentropy_grad
  %3 = kiln.binary_crossentropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.sigmoid_binary_cross_entropy_grad
  %4 = kiln.sigmoid_binary_cross_entropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.categorical_crossentropy_grad
  %5 = kiln.categorical_crossentropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK-NEXT: kiln.softmax_cross_entropy_grad
  %6 = kiln.softmax_cross_entropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @metrics
func.func @metrics(%p: tensor<?x10xf32>, %t: tensor<?x10xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  // CHECK: kiln.binary_accuracy %{{.*}}, %{{.*}} {threshold = 5.000000e-01 : f32} : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  %0 = kiln.binary_accuracy %p, %t {threshold = 0.5 : f32} : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.categorical_accuracy %{{.*}}, %{{.*}} : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  %1 = kiln.categorical_accuracy %p, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  // CHECK-NEXT: kiln.sparse_top_k_categorical_accuracy %{{.*}}, %{{.*}} {k = 3 : i64} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  %2 = kiln.sparse_top_k_categorical_accuracy %p, %y {k = 3 : i64} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %0, %1, %2 : tensor<f32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @mean_difference(
func.func @mean_difference(%dl: tensor<f32>, %p: tensor<?x1xf32>, %t: tensor<?x1xf32>) -> (tensor<f32>, tensor<?x1xf32>) {
  // CHECK: kiln.mean_difference %{{.*}}, %{{.*}} : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  %0 = kiln.mean_difference %p, %t : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  // CHECK: kiln.mean_difference_grad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<f32>, tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %1 = kiln.mean_difference_grad %dl, %p, %t : (tensor<f32>, tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  return %0, %1 : tensor<f32>, tensor<?x1xf32>
}
