// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// A broadcast product reads the bias at the trailing dimension.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @mul(
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<64xf32>)
// CHECK: arith.mulf
func.func @mul(%a: tensor<?x64xf32>, %v: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = kiln.mul %a, %v : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// A timestep is a rank-reducing extract_slice: a view, not a copy.
// CHECK-LABEL: func.func @timestep(
// CHECK-SAME: %[[X:.*]]: tensor<?x28x28xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x28x28xf32>
// CHECK: tensor.extract_slice %[[X]][0, 3, 0] [%[[N]], 1, 28] [1, 1, 1] : tensor<?x28x28xf32> to tensor<?x28xf32>
func.func @timestep(%x: tensor<?x28x28xf32>) -> tensor<?x28xf32> {
  %0 = kiln.slice %x {dim = 1 : i64, offset = 3 : i64} : (tensor<?x28x28xf32>) -> tensor<?x28xf32>
  return %0 : tensor<?x28xf32>
}

// -----

// The adjoint of a gate slice inserts it into zeros.
// CHECK-LABEL: func.func @slice_grad(
// CHECK-SAME: %[[G:.*]]: tensor<?x64xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x256xf32>)
// CHECK: tensor.insert_slice %[[G]] into %[[Z]][0, 64] [%{{.*}}, 64] [1, 1] : tensor<?x64xf32> into tensor<?x256xf32>
func.func @slice_grad(%g: tensor<?x64xf32>) -> tensor<?x256xf32> {
  %0 = kiln.slice_grad %g {dim = 1 : i64, offset = 64 : i64} : (tensor<?x64xf32>) -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}

// -----

// CHECK-LABEL: func.func @concat(
// CHECK-SAME: %[[A:.*]]: tensor<?x1x64xf32>, %[[B:.*]]: tensor<?x2x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x3x64xf32>
// CHECK: %[[I:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, 0] [%{{.*}}, 1, 64] [1, 1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[I]][0, 1, 0] [%{{.*}}, 2, 64] [1, 1, 1]
func.func @concat(%a: tensor<?x1x64xf32>, %b: tensor<?x2x64xf32>) -> tensor<?x3x64xf32> {
  %0 = kiln.concat %a, %b {dim = 1 : i64} : (tensor<?x1x64xf32>, tensor<?x2x64xf32>) -> tensor<?x3x64xf32>
  return %0 : tensor<?x3x64xf32>
}
