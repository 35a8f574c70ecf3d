// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// LayerNormalization as the frontend emits it: layer_norm, then gamma
// (kiln.mul) and beta (kiln.add). The input's gradient is layer_norm_grad
// of the incoming gradient times gamma; gamma's is the sum over the batch
// of the gradient times the normalized values, beta's the sum of the
// gradient.
module attributes {kiln.model = {name = "ln"}} {
  func.func @loss(%g: tensor<4xf32> {kiln.param = {name = "ln/gamma", initializer = "ones"}},
                  %b: tensor<4xf32> {kiln.param = {name = "ln/beta", initializer = "zeros"}},
                  %w: tensor<4x3xf32> {kiln.param = {name = "d/kernel", initializer = "glorot_uniform"}},
                  %x: tensor<?x4xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %n = kiln.layer_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x4xf32>
    %s = kiln.mul %n, %g : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %t = kiln.add %s, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %h = kiln.layer_norm %t {epsilon = 1.0e-03 : f32} : tensor<?x4xf32>
    %z = kiln.matmul %h, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %p = kiln.softmax %z : tensor<?x3xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %a : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[G:[^:]*]]: tensor<4xf32>
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4xf32>
// CHECK: %[[N:.*]] = kiln.layer_norm %[[X]] {epsilon = 1.000000e-03 : f32}
// CHECK: %[[T:.*]] = kiln.add
// CHECK: %[[DH:.*]] = kiln.matmul %{{.*}}, %{{.*}} {transpose_rhs}
// CHECK: %[[DT:.*]] = kiln.layer_norm_grad %[[DH]], %[[T]] {epsilon = 1.000000e-03 : f32} : tensor<?x4xf32>
// CHECK: %[[DB:.*]] = kiln.reduce_sum %[[DT]] : (tensor<?x4xf32>) -> tensor<4xf32>
// CHECK: %[[DGN:.*]] = kiln.mul %[[DT]], %[[N]]
// CHECK: %[[DG:.*]] = kiln.reduce_sum %[[DGN]] : (tensor<?x4xf32>) -> tensor<4xf32>
// The input is data: its layer_norm is not differentiated.
// CHECK-NOT: kiln.layer_norm_grad
// CHECK: return %{{.*}}, %{{.*}}, %[[DG]], %[[DB]], %{{.*}} :
