// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s

// Per-channel statistics: reductions over every dimension but the last,
// divided by the element count of a channel, batch size read at run time
// (here n·3).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @batch_norm(
// CHECK-SAME: %[[X:.*]]: tensor<?x3x4xf32>
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x4xf32>
// CHECK-NEXT: %[[N:.*]] = arith.index_cast %[[DIM]] : index to i64
// CHECK-NEXT: %[[THIRD:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT: %[[NF:.*]] = arith.sitofp %[[N]] : i64 to f32
// CHECK-NEXT: %[[INV:.*]] = arith.divf %[[THIRD]], %[[NF]] : f32
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]]], iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[X]] : tensor<?x3x4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[S]], %[[INV]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[X]], %[[MEAN]] : tensor<?x3x4xf32>, tensor<4xf32>)
// CHECK: math.sqrt
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %{{.*}} : {{.*}})
// CHECK: return %[[Y]]
func.func @batch_norm(%x: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  %y = kiln.batch_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x3x4xf32>
  return %y : tensor<?x3x4xf32>
}

// The moving averages' inputs: the mean, then the variance of the centered
// values, each scaled by 1 / count.
// CHECK-LABEL: func.func @moments(
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID2:.*]], #[[CH2:.*]]], iterator_types = ["reduction", "parallel"]}
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<16xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[CH2]], #[[CH2]]], iterator_types = ["reduction", "parallel"]} ins(%{{.*}}, %[[MEAN]] : tensor<?x16xf32>, tensor<16xf32>)
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<16xf32>)
// CHECK: return %[[MEAN]], %[[VAR]]
func.func @moments(%x: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %m, %v = kiln.moments %x : (tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  return %m, %v : tensor<16xf32>, tensor<16xf32>
}

// Inference: 1 / sqrt(variance + ε) per channel, then one elementwise pass.
// CHECK-LABEL: func.func @inference(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x16xf32>, %[[M:[^:]*]]: tensor<16xf32>, %[[V:[^:]*]]: tensor<16xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[V]] : tensor<16xf32>)
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[M]], %[[R]] : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[MI:.*]]: f32, %[[RI:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XI]], %[[MI]] : f32
// CHECK-NEXT: arith.mulf %[[D]], %[[RI]] : f32
func.func @inference(%x: tensor<?x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = kiln.batch_norm_inference %x, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
