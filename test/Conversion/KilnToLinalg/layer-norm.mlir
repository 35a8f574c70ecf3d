// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s

// Row mean, the variance of the centered values (two passes), the
// reciprocal standard deviation, then the normalized values.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[R1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf32>
// CHECK: %[[INV:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x8xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {indexing_maps = [#[[R1]], #[[R1]]], iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[S]], %[[INV]] : f32
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<?x8xf32>, tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XI]], %[[M]] : f32
// CHECK-NEXT: %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: arith.addf %[[D2]], %[[ACC]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[RSTD:.*]] = linalg.generic {indexing_maps = [#[[R1]], #[[R1]]], iterator_types = ["parallel"]} ins(%[[SQ]] : tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[Q:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[VAR:.*]] = arith.mulf %[[Q]], %[[INV]] : f32
// CHECK-NEXT: %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT: %[[STD:.*]] = math.sqrt %[[VE]] : f32
// CHECK-NEXT: arith.divf %{{.*}}, %[[STD]] : f32
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[RSTD]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[M:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XI]], %[[M]] : f32
// CHECK-NEXT: %[[N:.*]] = arith.mulf %[[D]], %[[R]] : f32
// CHECK-NEXT: linalg.yield %[[N]]
// CHECK: return %[[Y]]
func.func @layer_norm(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = kiln.layer_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// rstd * (dy - mean(dy) - x̂ * mean(dy * x̂)), the row statistics
// recomputed from x.
// CHECK-LABEL: func.func @layer_norm_grad(
// CHECK-SAME: %[[DY:.*]]: tensor<?x8xf32>, %[[X:.*]]: tensor<?x8xf32>
// CHECK: %[[SDY:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[DY]] : tensor<?x8xf32>)
// CHECK: %[[SDYX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[DY]], %[[X]], %[[MEAN:[^,]*]], %[[RSTD:[^ ]*]] : {{.*}})
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[DY]], %[[X]], %[[MEAN]], %[[RSTD]], %[[SDY]], %[[SDYX]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[XI:.*]]: f32, %[[M:.*]]: f32, %[[R:.*]]: f32, %[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XI]], %[[M]] : f32
// CHECK-NEXT: %[[XH:.*]] = arith.mulf %[[D]], %[[R]] : f32
// CHECK-NEXT: %[[MA:.*]] = arith.mulf %[[A]], %{{.*}} : f32
// CHECK-NEXT: %[[MB:.*]] = arith.mulf %[[B]], %{{.*}} : f32
// CHECK-NEXT: %[[T:.*]] = arith.subf %[[G]], %[[MA]] : f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[XH]], %[[MB]] : f32
// CHECK-NEXT: %[[U:.*]] = arith.subf %[[T]], %[[P]] : f32
// CHECK-NEXT: %[[DX:.*]] = arith.mulf %[[U]], %[[R]] : f32
// CHECK-NEXT: linalg.yield %[[DX]]
func.func @layer_norm_grad(%dy: tensor<?x8xf32>, %x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %dx = kiln.layer_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x8xf32>
  return %dx : tensor<?x8xf32>
}
