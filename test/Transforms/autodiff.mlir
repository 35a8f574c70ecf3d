// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// The seed MLP's @loss as the frontend emits it.
module attributes {kiln.model = {name = "seed"}} {
  func.func @loss(%w1: tensor<784x128xf32> {kiln.param = {name = "dense/kernel", initializer = "glorot_uniform"}},
                  %b1: tensor<128xf32> {kiln.param = {name = "dense/bias", initializer = "zeros"}},
                  %w2: tensor<128x10xf32> {kiln.param = {name = "dense_1/kernel", initializer = "glorot_uniform"}},
                  %b2: tensor<10xf32> {kiln.param = {name = "dense_1/bias", initializer = "zeros"}},
                  %x: tensor<?x28x28xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %s = kiln.scale %x {scale = 0.00392156886 : f32} : tensor<?x28x28xf32>
    %f = kiln.reshape %s : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
    %m1 = kiln.matmul %f, %w1 : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
    %a1 = kiln.add %m1, %b1 : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
    %h = kiln.relu %a1 : tensor<?x128xf32>
    %m2 = kiln.matmul %h, %w2 : (tensor<?x128xf32>, tensor<128x10xf32>) -> tensor<?x10xf32>
    %a2 = kiln.add %m2, %b2 : (tensor<?x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
    %p = kiln.softmax %a2 : tensor<?x10xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    %acc = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %acc : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @loss(
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: -> (tensor<f32>, tensor<f32>, tensor<784x128xf32>, tensor<128xf32>, tensor<128x10xf32>, tensor<10xf32>)
// CHECK: %[[F:.*]] = kiln.reshape
// CHECK: %[[H:.*]] = kiln.relu
// CHECK: %[[P:.*]] = kiln.softmax
// CHECK: %[[L:.*]] = kiln.sparse_categorical_crossentropy %[[P]]
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DP:.*]] = kiln.sparse_categorical_crossentropy_grad %[[ONE]], %[[P]], %{{.*}}
// CHECK: %[[DZ2:.*]] = kiln.softmax_grad %[[DP]], %[[P]]
// CHECK: %[[DB2:.*]] = kiln.reduce_sum %[[DZ2]] : (tensor<?x10xf32>) -> tensor<10xf32>
// CHECK: %[[DH:.*]] = kiln.matmul %[[DZ2]], %{{.*}} {transpose_rhs} : (tensor<?x10xf32>, tensor<128x10xf32>) -> tensor<?x128xf32>
// CHECK: %[[DW2:.*]] = kiln.matmul %[[H]], %[[DZ2]] {transpose_lhs} : (tensor<?x128xf32>, tensor<?x10xf32>) -> tensor<128x10xf32>
// CHECK: %[[DA1:.*]] = kiln.relu_grad %[[DH]], %[[H]]
// CHECK: %[[DB1:.*]] = kiln.reduce_sum %[[DA1]]
// The gradient with respect to the data is never formed.
// CHECK-NOT: kiln.matmul %[[DA1]], %{{.*}} {transpose_rhs}
// CHECK: %[[DW1:.*]] = kiln.matmul %[[F]], %[[DA1]] {transpose_lhs}
// CHECK: return %[[L]], %{{.*}}, %[[DW1]], %[[DB1]], %[[DW2]], %[[DB2]]
