// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// The batch extent comes from the lhs; the accumulator is zero-filled. The
// maps are linalg.matmul's defaults, which it does not print.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x128xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x784xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x128xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x128xf32>)
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x784xf32>, tensor<784x128xf32>) outs(%[[F]] : tensor<?x128xf32>)
// CHECK: return %[[R]]
func.func @matmul(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>) -> tensor<?x128xf32> {
  %y = kiln.matmul %x, %w : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// dX = dY · Wᵀ reads W in place through the indexing maps.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @transpose_rhs(
// CHECK-SAME: %[[DY:.*]]: tensor<?x10xf32>, %[[W:.*]]: tensor<128x10xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[DY]], %{{.*}} : tensor<?x10xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x128xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x128xf32>)
// CHECK: linalg.matmul indexing_maps = [#[[A]], #[[BT]], #[[C]]] ins(%[[DY]], %[[W]] : tensor<?x10xf32>, tensor<128x10xf32>) outs(%[[F]] : tensor<?x128xf32>)
// CHECK-NOT: linalg.transpose
func.func @transpose_rhs(%dy: tensor<?x10xf32>, %w: tensor<128x10xf32>) -> tensor<?x128xf32> {
  %dx = kiln.matmul %dy, %w {transpose_rhs} : (tensor<?x10xf32>, tensor<128x10xf32>) -> tensor<?x128xf32>
  return %dx : tensor<?x128xf32>
}

// -----

// dW = Xᵀ · dY contracts over the dynamic batch; the result is static.
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @transpose_lhs(
// CHECK-SAME: %[[X:.*]]: tensor<?x784xf32>, %[[DY:.*]]: tensor<?x128xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<784x128xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<784x128xf32>)
// CHECK: linalg.matmul indexing_maps = [#[[AT]], #[[B]], #[[C]]] ins(%[[X]], %[[DY]] : tensor<?x784xf32>, tensor<?x128xf32>) outs(%[[F]] : tensor<784x128xf32>)
func.func @transpose_lhs(%x: tensor<?x784xf32>, %dy: tensor<?x128xf32>) -> tensor<784x128xf32> {
  %dw = kiln.matmul %x, %dy {transpose_lhs} : (tensor<?x784xf32>, tensor<?x128xf32>) -> tensor<784x128xf32>
  return %dw : tensor<784x128xf32>
}

// -----

// Both transposed: Aᵀ · Bᵀ.
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @transpose_both(
// CHECK: linalg.matmul indexing_maps = [#[[AT]], #[[BT]], #{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<5x3xf32>) outs(%{{.*}} : tensor<4x5xf32>)
func.func @transpose_both(%a: tensor<3x4xf32>, %b: tensor<5x3xf32>) -> tensor<4x5xf32> {
  %c = kiln.matmul %a, %b {transpose_lhs, transpose_rhs} : (tensor<3x4xf32>, tensor<5x3xf32>) -> tensor<4x5xf32>
  return %c : tensor<4x5xf32>
}
