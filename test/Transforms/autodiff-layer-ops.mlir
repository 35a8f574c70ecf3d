// RUN: kiln-opt %s -kiln-autodiff | FileCheck %s

// The gradient rules of the ops behind the further layers: a batch_reshape
// and a transpose are undone by their inverses, upsampling sums each block
// (an average pooling times the block size), ELU keeps its alpha and
// log_softmax reads its output.
module attributes {kiln.model = {name = "layers"}} {
  func.func @loss(%w: tensor<2x4x3xf32> {kiln.param = {name = "conv1d/kernel", initializer = "glorot_uniform"}},
                  %x: tensor<?x3x2x4xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %k = kiln.batch_reshape %w : (tensor<2x4x3xf32>) -> tensor<1x2x4x3xf32>
    %c = kiln.conv2d %x, %k : (tensor<?x3x2x4xf32>, tensor<1x2x4x3xf32>) -> tensor<?x3x1x3xf32>
    %u = kiln.upsample2d %c {size = array<i64: 2, 1>} : (tensor<?x3x1x3xf32>) -> tensor<?x6x1x3xf32>
    %t = kiln.transpose %u {permutation = array<i64: 0, 2, 3, 1>} : (tensor<?x6x1x3xf32>) -> tensor<?x1x3x6xf32>
    %e = kiln.elu %t {alpha = 0.5 : f32} : tensor<?x1x3x6xf32>
    %f = kiln.reshape %e : (tensor<?x1x3x6xf32>) -> tensor<?x18xf32>
    %l = kiln.log_softmax %f : tensor<?x18xf32>
    %p = kiln.softmax %l : tensor<?x18xf32>
    %loss = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x18xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x18xf32>, tensor<?xi32>) -> tensor<f32>
    return %loss, %a : tensor<f32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK: %[[L:.*]] = kiln.log_softmax
// CHECK: %[[DP:.*]] = kiln.softmax_grad
// CHECK-NEXT: %[[DL:.*]] = kiln.log_softmax_grad %[[DP]], %[[L]] : tensor<?x18xf32>
// CHECK-NEXT: %[[DE:.*]] = kiln.reshape %[[DL]]
// CHECK-NEXT: %[[DT:.*]] = kiln.elu_grad %[[DE]], %{{.*}} {alpha = 5.000000e-01 : f32} : tensor<?x1x3x6xf32>
// CHECK-NEXT: %[[DU:.*]] = kiln.transpose %[[DT]] {permutation = array<i64: 0, 3, 1, 2>} : (tensor<?x1x3x6xf32>) -> tensor<?x6x1x3xf32>
// CHECK-NEXT: %[[M:.*]] = kiln.avg_pool2d %[[DU]] {pool_size = array<i64: 2, 1>, strides = array<i64: 2, 1>} : (tensor<?x6x1x3xf32>) -> tensor<?x3x1x3xf32>
// CHECK-NEXT: %[[DC:.*]] = kiln.scale %[[M]] {scale = 2.000000e+00 : f32} : tensor<?x3x1x3xf32>
// CHECK-NEXT: %[[DK:.*]] = kiln.conv2d_kernel_grad %{{.*}}, %[[DC]]
// CHECK-NEXT: %[[DW:.*]] = kiln.batch_reshape %[[DK]] : (tensor<1x2x4x3xf32>) -> tensor<2x4x3xf32>
// CHECK-NEXT: return %{{.*}}, %{{.*}}, %[[DW]]
