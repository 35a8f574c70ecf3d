// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// The bias gradient sums over the batch into a zero-filled accumulator.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @reduce_batch(
// CHECK-SAME: %[[X:.*]]: tensor<?x128xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<128xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<128xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<?x128xf32>) outs(%[[F]] : tensor<128xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK-NEXT: linalg.yield %[[S]]
func.func @reduce_batch(%x: tensor<?x128xf32>) -> tensor<128xf32> {
  %r = kiln.reduce_sum %x : (tensor<?x128xf32>) -> tensor<128xf32>
  return %r : tensor<128xf32>
}

// -----

// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @reduce_two_dims(
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[LAST]]], iterator_types = ["reduction", "reduction", "parallel"]}
func.func @reduce_two_dims(%x: tensor<?x3x4xf32>) -> tensor<4xf32> {
  %r = kiln.reduce_sum %x : (tensor<?x3x4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// Nothing to reduce: the input itself.
// CHECK-LABEL: func.func @reduce_nothing(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32>
// CHECK-NEXT: return %[[X]]
func.func @reduce_nothing(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = kiln.reduce_sum %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Reshapes keep the dynamic batch and move no data.
// CHECK-LABEL: func.func @flatten(
// CHECK-SAME: %[[X:.*]]: tensor<?x28x28xf32>
// CHECK-NEXT: %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2]] : tensor<?x28x28xf32> into tensor<?x784xf32>
// CHECK-NEXT: return %[[C]]
func.func @flatten(%x: tensor<?x28x28xf32>) -> tensor<?x784xf32> {
  %f = kiln.reshape %x : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
  return %f : tensor<?x784xf32>
}

// CHECK-LABEL: func.func @unflatten(
// CHECK-SAME: %[[X:.*]]: tensor<?x784xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x784xf32>
// CHECK-NEXT: %[[E:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 28, 28] : tensor<?x784xf32> into tensor<?x28x28xf32>
// CHECK-NEXT: return %[[E]]
func.func @unflatten(%x: tensor<?x784xf32>) -> tensor<?x28x28xf32> {
  %f = kiln.reshape %x : (tensor<?x784xf32>) -> tensor<?x28x28xf32>
  return %f : tensor<?x28x28xf32>
}

// CHECK-LABEL: func.func @regroup(
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x4x6xf32> into tensor<?x24xf32>
// CHECK: tensor.expand_shape %[[C]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 3, 8] : tensor<?x24xf32> into tensor<?x3x8xf32>
func.func @regroup(%x: tensor<?x4x6xf32>) -> tensor<?x3x8xf32> {
  %f = kiln.reshape %x : (tensor<?x4x6xf32>) -> tensor<?x3x8xf32>
  return %f : tensor<?x3x8xf32>
}

// CHECK-LABEL: func.func @to_rank1(
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<?x1xf32> into tensor<?xf32>
func.func @to_rank1(%x: tensor<?x1xf32>) -> tensor<?xf32> {
  %f = kiln.reshape %x : (tensor<?x1xf32>) -> tensor<?xf32>
  return %f : tensor<?xf32>
}

// CHECK-LABEL: func.func @from_rank1(
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [%{{.*}}, 1, 1] : tensor<?xf32> into tensor<?x1x1xf32>
func.func @from_rank1(%x: tensor<?xf32>) -> tensor<?x1x1xf32> {
  %f = kiln.reshape %x : (tensor<?xf32>) -> tensor<?x1x1xf32>
  return %f : tensor<?x1x1xf32>
}

// A static batch stays static; the result type is reached by a cast.
// CHECK-LABEL: func.func @static_batch(
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} output_shape [32, 28, 28] : tensor<32x784xf32> into tensor<32x28x28xf32>
// CHECK-NEXT: %[[C:.*]] = tensor.cast %[[E]] : tensor<32x28x28xf32> to tensor<?x28x28xf32>
// CHECK-NEXT: return %[[C]]
func.func @static_batch(%x: tensor<32x784xf32>) -> tensor<?x28x28xf32> {
  %f = kiln.reshape %x : (tensor<32x784xf32>) -> tensor<?x28x28xf32>
  return %f : tensor<?x28x28xf32>
}
