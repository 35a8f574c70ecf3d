// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s

// Stable softmax: row max, sum of shifted exponentials, then the quotient.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME: %[[X:.*]]: tensor<?x10xf32>
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x10xf32>) outs(%[[MAXINIT]] : tensor<?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SUMINIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>) outs(%[[SUMINIT]] : tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XI]], %[[M]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[E]], %[[ACC]] : f32
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]], %[[SUM]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[XI:.*]]: f32, %[[M:.*]]: f32, %[[Z:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XI]], %[[M]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT: %[[P:.*]] = arith.divf %[[E]], %[[Z]] : f32
// CHECK-NEXT: linalg.yield %[[P]]
// CHECK: return %[[Y]]
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %p = kiln.softmax %x : tensor<?x10xf32>
  return %p : tensor<?x10xf32>
}

// y * (dy - Σ dy·y)
// CHECK-LABEL: func.func @softmax_grad(
// CHECK-SAME: %[[DY:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?x10xf32>
// CHECK: %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[DY]], %[[Y]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: arith.addf %[[P]], %[[ACC]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[DY]], %[[Y]], %[[DOT]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[YI:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[G]], %[[S]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[YI]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
func.func @softmax_grad(%dy: tensor<?x10xf32>, %y: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %dx = kiln.softmax_grad %dy, %y : tensor<?x10xf32>
  return %dx : tensor<?x10xf32>
}

// Higher ranks reduce over the last dimension only.
// CHECK-LABEL: func.func @softmax_rank3(
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}outs(%{{.*}} : tensor<?x3xf32>)
func.func @softmax_rank3(%x: tensor<?x3x5xf32>) -> tensor<?x3x5xf32> {
  %p = kiln.softmax %x : tensor<?x3x5xf32>
  return %p : tensor<?x3x5xf32>
}
