// RUN: kiln-opt %s -split-input-file -kiln-fuse | FileCheck %s

// A softmax whose probabilities are also returned survives next to the fused
// loss.
// CHECK-LABEL: func.func @probs_escape
func.func @probs_escape(%z: tensor<?x10xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<?x10xf32>) {
  // CHECK: %[[P:.*]] = kiln.softmax %[[Z:.*]] :
  // CHECK-NEXT: %[[L:.*]] = kiln.sparse_softmax_cross_entropy %[[Z]]
  // CHECK-NEXT: return %[[L]], %[[P]]
  %p = kiln.softmax %z : tensor<?x10xf32>
  %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %l, %p : tensor<f32>, tensor<?x10xf32>
}

// -----

// A matmul whose product is used twice is not folded into a linear op.
// CHECK-LABEL: func.func @shared_product
func.func @shared_product(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  // CHECK: kiln.matmul
  // CHECK-NEXT: kiln.add
  // CHECK-NOT: kiln.linear
  %m = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %a = kiln.add %m, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %a, %m : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// Sigmoid and tanh epilogues; a matmul without bias keeps its transpose.
// CHECK-LABEL: func.func @epilogues
func.func @epilogues(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %v: tensor<3x4xf32>, %b: tensor<3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  // CHECK: kiln.linear %{{.*}}, %{{.*}}, %{{.*}} {activation = #kiln.activation<sigmoid>}
  // CHECK: kiln.linear %{{.*}}, %{{.*}} {activation = #kiln.activation<tanh>, transpose_rhs}
  %m = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %a = kiln.add %m, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %s = kiln.sigmoid %a : tensor<?x3xf32>
  %m2 = kiln.matmul %x, %v {transpose_rhs} : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  %t = kiln.tanh %m2 : tensor<?x3xf32>
  return %s, %t : tensor<?x3xf32>, tensor<?x3xf32>
}
