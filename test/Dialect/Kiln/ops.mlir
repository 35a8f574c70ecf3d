// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @dense
func.func @dense(%x: tensor<?x28x28xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  // CHECK: %[[S:.*]] = kiln.scale %{{.*}} {scale = 3.906250e-03 : f32} : tensor<?x28x28xf32>
  %s = kiln.scale %x {scale = 0.00390625 : f32} : tensor<?x28x28xf32>
  // CHECK-NEXT: %[[F:.*]] = kiln.reshape %[[S]] : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
  %f = kiln.reshape %s : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
  // CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[F]], %{{.*}} : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  %m = kiln.matmul %f, %w : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  // CHECK-NEXT: %[[A:.*]] = kiln.add %[[M]], %{{.*}} : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %a = kiln.add %m, %b : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  // CHECK-NEXT: kiln.relu %[[A]] : tensor<?x128xf32>
  %r = kiln.relu %a : tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// CHECK-LABEL: func.func @backward_ops
func.func @backward_ops(%dy: tensor<?x10xf32>, %y: tensor<?x10xf32>, %dl: tensor<f32>, %lab: tensor<?xi32>, %w: tensor<128x10xf32>, %h: tensor<?x128xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<10xf32>, tensor<128x10xf32>, tensor<f32>, tensor<f32>) {
  // CHECK: kiln.relu_grad %{{.*}}, %{{.*}} : tensor<?x10xf32>
  %0 = kiln.relu_grad %dy, %y : tensor<?x10xf32>
  // CHECK-NEXT: kiln.sigmoid_grad
  %1 = kiln.sigmoid_grad %dy, %y : tensor<?x10xf32>
  // CHECK-NEXT: kiln.tanh_grad
  %2 = kiln.tanh_grad %dy, %y : tensor<?x10xf32>
  // CHECK-NEXT: kiln.softmax_grad
  %3 = kiln.softmax_grad %dy, %y : tensor<?x10xf32>
  // CHECK-NEXT: kiln.sparse_softmax_cross_entropy_grad %{{.*}} : (tensor<f32>, tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  %4 = kiln.sparse_softmax_cross_entropy_grad %dl, %y, %lab : (tensor<f32>, tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  // CHECK-NEXT: kiln.reduce_sum %{{.*}} : (tensor<?x10xf32>) -> tensor<10xf32>
  %5 = kiln.reduce_sum %dy : (tensor<?x10xf32>) -> tensor<10xf32>
  // CHECK-NEXT: kiln.matmul %{{.*}}, %{{.*}} {transpose_lhs} : (tensor<?x128xf32>, tensor<?x10xf32>) -> tensor<128x10xf32>
  %6 = kiln.matmul %h, %dy {transpose_lhs} : (tensor<?x128xf32>, tensor<?x10xf32>) -> tensor<128x10xf32>
  // CHECK-NEXT: kiln.sparse_softmax_cross_entropy %{{.*}} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  %7 = kiln.sparse_softmax_cross_entropy %y, %lab : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  // CHECK-NEXT: kiln.sparse_categorical_accuracy
  %8 = kiln.sparse_categorical_accuracy %y, %lab : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<10xf32>, tensor<128x10xf32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @forward_ops
func.func @forward_ops(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>, %lab: tensor<?xi32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<f32>) {
  // CHECK: kiln.linear %{{.*}}, %{{.*}}, %{{.*}} {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %0 = kiln.linear %x, %w, %b {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  // CHECK-NEXT: kiln.linear %{{.*}}, %{{.*}} : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  %1 = kiln.linear %x, %w : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  // CHECK-NEXT: kiln.sigmoid
  %2 = kiln.sigmoid %1 : tensor<?x128xf32>
  // CHECK-NEXT: kiln.tanh
  %3 = kiln.tanh %1 : tensor<?x128xf32>
  // CHECK-NEXT: kiln.softmax
  %4 = kiln.softmax %3 : tensor<?x128xf32>
  // CHECK-NEXT: kiln.sparse_categorical_crossentropy
  %5 = kiln.sparse_categorical_crossentropy %4, %lab : (tensor<?x128xf32>, tensor<?xi32>) -> tensor<f32>
  return %0, %2, %3, %4, %5 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<f32>
}
