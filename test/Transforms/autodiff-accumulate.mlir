// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// A parameter used twice receives the sum of both gradients; a parameter the
// loss does not depend on gets zeros; inactive values (the labels, the data
// path before any parameter) are not differentiated.
func.func @loss(%w: tensor<4x4xf32> {kiln.param = {name = "w", initializer = "glorot_uniform"}},
                %unused: tensor<3xf32> {kiln.param = {name = "unused", initializer = "zeros"}},
                %x: tensor<?x4xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<f32>) {
  %s = kiln.scale %x {scale = 2.0 : f32} : tensor<?x4xf32>
  %h = kiln.matmul %s, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %t = kiln.tanh %h : tensor<?x4xf32>
  %z = kiln.matmul %t, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %l = kiln.sparse_softmax_cross_entropy %z, %y : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<f32>
  %a = kiln.sparse_categorical_accuracy %z, %y : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x4xf32>
// CHECK-SAME: -> (tensor<f32>, tensor<f32>, tensor<4x4xf32>, tensor<3xf32>)
// CHECK: %[[S:.*]] = kiln.scale
// CHECK: %[[T:.*]] = kiln.tanh
// CHECK: %[[DZ:.*]] = kiln.sparse_softmax_cross_entropy_grad
// CHECK-DAG: %[[DT:.*]] = kiln.matmul %[[DZ]], %[[W]] {transpose_rhs}
// CHECK-DAG: %[[DW2:.*]] = kiln.matmul %[[T]], %[[DZ]] {transpose_lhs}
// CHECK: %[[DH:.*]] = kiln.tanh_grad %[[DT]], %[[T]]
// CHECK: %[[DW1:.*]] = kiln.matmul %[[S]], %[[DH]] {transpose_lhs}
// CHECK: %[[DW:.*]] = kiln.add %[[DW2]], %[[DW1]] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NOT: kiln.scale
// CHECK: return %{{.*}}, %{{.*}}, %[[DW]], %[[ZERO]]
