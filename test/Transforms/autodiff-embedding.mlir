// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// The embedding's table gradient is a scatter-add of the incoming rows;
// the indices (data) get none.
module attributes {kiln.model = {name = "embedding"}} {
  func.func @loss(%t: tensor<256x4xf32> {kiln.param = {name = "embedding/embeddings", initializer = "glorot_uniform"}},
                  %x: tensor<?x3xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %e = kiln.embedding %x, %t : (tensor<?x3xf32>, tensor<256x4xf32>) -> tensor<?x3x4xf32>
    %f = kiln.reshape %e : (tensor<?x3x4xf32>) -> tensor<?x12xf32>
    %p = kiln.softmax %f : tensor<?x12xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x12xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x12xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %a : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x3xf32> {kiln.input = "x"}
// CHECK: %[[DF:.*]] = kiln.softmax_grad
// CHECK-NEXT: %[[DE:.*]] = kiln.reshape %[[DF]] : (tensor<?x12xf32>) -> tensor<?x3x4xf32>
// CHECK-NEXT: %[[DT:.*]] = kiln.embedding_grad %[[DE]], %[[X]] : (tensor<?x3x4xf32>, tensor<?x3xf32>) -> tensor<256x4xf32>
// CHECK-NEXT: return %{{.*}}, %{{.*}}, %[[DT]]
