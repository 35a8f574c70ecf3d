// RUN: kiln-opt %s -kiln-autodiff -kiln-fuse -canonicalize | FileCheck %s

// The seed MLP: after differentiation and fusion, each dense layer is one
// kiln.linear and the softmax + cross-entropy pair, forward and backward, is
// gone in favour of the fused ops on logits.
module {
  func.func @loss(%w1: tensor<784x128xf32> {kiln.param = {name = "dense/kernel", initializer = "glorot_uniform"}},
                  %b1: tensor<128xf32> {kiln.param = {name = "dense/bias", initializer = "zeros"}},
                  %w2: tensor<128x10xf32> {kiln.param = {name = "dense_1/kernel", initializer = "glorot_uniform"}},
                  %b2: tensor<10xf32> {kiln.param = {name = "dense_1/bias", initializer = "zeros"}},
                  %x: tensor<?x784xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %m1 = kiln.matmul %x, %w1 : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
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

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W1:[^:]*]]: tensor<784x128xf32>
// CHECK-SAME: %[[B1:[^:]*]]: tensor<128xf32>
// CHECK-SAME: %[[W2:[^:]*]]: tensor<128x10xf32>
// CHECK-SAME: %[[B2:[^:]*]]: tensor<10xf32>
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x784xf32>
// CHECK-SAME: %[[Y:[^:]*]]: tensor<?xi32>
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[H:.*]] = kiln.linear %[[X]], %[[W1]], %[[B1]] {activation = #kiln.activation<relu>}
// CHECK-NEXT: %[[Z:.*]] = kiln.linear %[[H]], %[[W2]], %[[B2]] :
// CHECK-NEXT: %[[L:.*]] = kiln.sparse_softmax_cross_entropy %[[Z]], %[[Y]]
// CHECK-NEXT: %[[ACC:.*]] = kiln.sparse_categorical_accuracy %[[Z]], %[[Y]]
// CHECK-NEXT: %[[DZ:.*]] = kiln.sparse_softmax_cross_entropy_grad %[[ONE]], %[[Z]], %[[Y]]
// CHECK-NOT: kiln.softmax
// CHECK: kiln.relu_grad %{{.*}}, %[[H]]
// CHECK: return %[[L]], %[[ACC]]

