// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// A frozen parameter (`trainable = false`) is not differentiated: its
// gradient is a zero constant and no product computes it, while the
// gradient still flows through its layer to the trainable kernel before.
module attributes {kiln.model = {name = "frozen"}} {
  func.func @loss(%w1: tensor<4x5xf32> {kiln.param = {name = "d1/kernel", initializer = "glorot_uniform"}},
                  %w2: tensor<5x3xf32> {kiln.param = {name = "d2/kernel", initializer = "glorot_uniform", trainable = false}},
                  %b2: tensor<3xf32> {kiln.param = {name = "d2/bias", initializer = "zeros", trainable = false}},
                  %x: tensor<?x4xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %h = kiln.matmul %x, %w1 : (tensor<?x4xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
    %t = kiln.tanh %h : tensor<?x5xf32>
    %z = kiln.matmul %t, %w2 : (tensor<?x5xf32>, tensor<5x3xf32>) -> tensor<?x3xf32>
    %zb = kiln.add %z, %b2 : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %p = kiln.softmax %zb : tensor<?x3xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %a : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W1:[^:]*]]: tensor<4x5xf32>
// CHECK-SAME: %[[W2:[^:]*]]: tensor<5x3xf32> {kiln.param = {initializer = "glorot_uniform", name = "d2/kernel", trainable = false}}
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4xf32>
// CHECK: %[[T:.*]] = kiln.tanh
// CHECK: %[[DZ:.*]] = kiln.softmax_grad
// CHECK-NOT: kiln.reduce_sum
// CHECK-NOT: {transpose_lhs}
// CHECK: %[[DT:.*]] = kiln.matmul %[[DZ]], %[[W2]] {transpose_rhs}
// CHECK-NEXT: %[[DH:.*]] = kiln.tanh_grad %[[DT]], %[[T]]
// CHECK-NEXT: %[[DW1:.*]] = kiln.matmul %[[X]], %[[DH]] {transpose_lhs}
// CHECK-DAG: %[[Z2:.*]] = arith.constant dense<0.000000e+00> : tensor<5x3xf32>
// CHECK-DAG: %[[Z1:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[DW1]], %[[Z2]], %[[Z1]] :
