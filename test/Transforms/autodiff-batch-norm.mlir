// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// batch_norm's input gradient is batch_norm_grad; batch_norm_inference's
// is the same normalization of the gradient with a zero mean, and the
// statistics (state, frozen) get zero gradients.
module attributes {kiln.model = {name = "bn"}} {
  func.func @loss(%w: tensor<4x3xf32> {kiln.param = {name = "d/kernel", initializer = "glorot_uniform"}},
                  %m: tensor<3xf32> {kiln.param = {name = "bn/moving_mean", initializer = "zeros", trainable = false}},
                  %v: tensor<3xf32> {kiln.param = {name = "bn/moving_variance", initializer = "ones", trainable = false}},
                  %x: tensor<?x4xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %h = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %n = kiln.batch_norm %h {epsilon = 1.0e-03 : f32} : tensor<?x3xf32>
    %i = kiln.batch_norm_inference %n, %m, %v {epsilon = 1.0e-02 : f32} : (tensor<?x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %p = kiln.softmax %i : tensor<?x3xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %a : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME: %[[M:[^:]*]]: tensor<3xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<3xf32>
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4xf32>
// CHECK: %[[H:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK: %[[DI:.*]] = kiln.softmax_grad
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NEXT: %[[DN:.*]] = kiln.batch_norm_inference %[[DI]], %[[ZERO]], %[[V]] {epsilon = 0.00999999977 : f32}
// CHECK-NEXT: %[[DH:.*]] = kiln.batch_norm_grad %[[DN]], %[[H]] {epsilon = 1.000000e-03 : f32} : tensor<?x3xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DH]] {transpose_lhs}
// CHECK: return %{{.*}}, %{{.*}}, %[[DW]], %{{.*}}, %{{.*}} :
