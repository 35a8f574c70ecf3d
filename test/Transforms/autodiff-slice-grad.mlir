// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// `kiln.slice_grad` used forward (zero padding, as ZeroPadding2D emits
// it): its gradient is the `kiln.slice` of the same dim and offset.
module attributes {kiln.model = {name = "pad"}} {
  func.func @loss(%w: tensor<4x2xf32> {kiln.param = {name = "dense/kernel", initializer = "glorot_uniform"}},
                  %x: tensor<?x2xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %h = kiln.matmul %x, %w {transpose_rhs} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32>
    %p = kiln.slice_grad %h {dim = 1 : i64, offset = 1 : i64} : (tensor<?x4xf32>) -> tensor<?x6xf32>
    %q = kiln.slice %p {dim = 1 : i64, offset = 0 : i64} : (tensor<?x6xf32>) -> tensor<?x3xf32>
    %s = kiln.softmax %q : tensor<?x3xf32>
    %l = kiln.sparse_categorical_crossentropy %s, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %s, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %a : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK: %[[DQ:.*]] = kiln.softmax_grad
// CHECK: %[[DP:.*]] = kiln.slice_grad %[[DQ]] {dim = 1 : i64, offset = 0 : i64} : (tensor<?x3xf32>) -> tensor<?x6xf32>
// CHECK: %[[DH:.*]] = kiln.slice %[[DP]] {dim = 1 : i64, offset = 1 : i64} : (tensor<?x6xf32>) -> tensor<?x4xf32>
// CHECK: kiln.matmul %[[DH]]
