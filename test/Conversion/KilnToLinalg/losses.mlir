// RUN: kiln-opt %s -convert-kiln-to-linalg -cse | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[SUM:.*]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<() -> ()>
// CHECK-DAG: #[[BCAST:.*]] = affine_map<(d0, d1) -> ()>

// Keras's probability cross-entropy: pick p[b, y_b] by comparing the column
// index with the label, clip to [1e-7, 1 - 1e-7], mean of -log over n.
// CHECK-LABEL: func.func @scce(
// CHECK-SAME: %[[P:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>
// CHECK: %[[N:.*]] = tensor.dim %[[P]], %{{.*}} : tensor<?x10xf32>
// CHECK: %[[PICK:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[P]], %[[Y]] : tensor<?x10xf32>, tensor<?xi32>)
// CHECK-NEXT: ^bb0(%[[PI:.*]]: f32, %[[LABEL:.*]]: i32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[COL:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[COL32:.*]] = arith.index_cast %[[COL]] : index to i32
// CHECK-NEXT: %[[HIT:.*]] = arith.cmpi eq, %[[COL32]], %[[LABEL]] : i32
// CHECK-NEXT: %[[SEL:.*]] = arith.select %[[HIT]], %[[PI]], %[[ACC]] : f32
// CHECK: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK-NEXT: %[[NF:.*]] = arith.sitofp %[[N64]] : i64 to f32
// CHECK: %[[INV:.*]] = arith.divf %{{.*}}, %[[NF]] : f32
// CHECK-NEXT: %[[NEGINV:.*]] = arith.negf %[[INV]] : f32
// CHECK: %[[TOTAL:.*]] = linalg.generic {indexing_maps = [#[[VEC]], #[[SUM]]], iterator_types = ["reduction"]} ins(%[[PICK]] : tensor<?xf32>)
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-07 : f32
// CHECK-NEXT: %[[ONEMEPS:.*]] = arith.constant 0.99999988 : f32
// CHECK-NEXT: %[[LO:.*]] = arith.maximumf %{{.*}}, %[[EPS]] : f32
// CHECK-NEXT: %[[CL:.*]] = arith.minimumf %[[LO]], %[[ONEMEPS]] : f32
// CHECK-NEXT: %[[LOG:.*]] = math.log %[[CL]] : f32
// CHECK: %[[LOSS:.*]] = linalg.generic {indexing_maps = [#[[SCALAR]], #[[SCALAR]]], iterator_types = []} ins(%[[TOTAL]] : tensor<f32>)
// CHECK: arith.mulf %{{.*}}, %[[NEGINV]] : f32
// CHECK: return %[[LOSS]] : tensor<f32>
func.func @scce(%p: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -dloss / (n p) at the label column while p is inside the clip interval.
// CHECK-LABEL: func.func @scce_grad(
// CHECK-SAME: %[[DL:.*]]: tensor<f32>, %[[P:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>
// CHECK: %[[INV:.*]] = arith.divf
// CHECK: linalg.generic {indexing_maps = [#[[BCAST]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[DL]], %[[P]], %[[Y]] : tensor<f32>, tensor<?x10xf32>, tensor<?xi32>)
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[PI:.*]]: f32, %[[LABEL:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[HIT:.*]] = arith.cmpi eq, %{{.*}}, %[[LABEL]] : i32
// CHECK: %[[GE:.*]] = arith.cmpf oge, %[[PI]], %{{.*}} : f32
// CHECK-NEXT: %[[LE:.*]] = arith.cmpf ole, %[[PI]], %{{.*}} : f32
// CHECK-NEXT: %[[IN:.*]] = arith.andi %[[GE]], %[[LE]] : i1
// CHECK-NEXT: %[[LIVE:.*]] = arith.andi %[[HIT]], %[[IN]] : i1
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[G]], %[[INV]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[S]], %[[PI]] : f32
// CHECK-NEXT: %[[NQ:.*]] = arith.negf %[[Q]] : f32
// CHECK: arith.select %[[LIVE]], %[[NQ]], %{{.*}} : f32
func.func @scce_grad(%dl: tensor<f32>, %p: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<?x10xf32> {
  %d = kiln.sparse_categorical_crossentropy_grad %dl, %p, %y : (tensor<f32>, tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  return %d : tensor<?x10xf32>
}

// Stable logsumexp: mean of log Σ exp(z - m) + m - z[b, y_b].
// CHECK-LABEL: func.func @ssce(
// CHECK-SAME: %[[Z:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[Z]] : tensor<?x10xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SUMEXP:.*]] = linalg.generic {{.*}} ins(%[[Z]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>)
// CHECK: math.exp
// CHECK: %[[PICK:.*]] = linalg.generic {{.*}} ins(%[[Z]], %[[Y]] : tensor<?x10xf32>, tensor<?xi32>)
// CHECK: %[[INV:.*]] = arith.divf
// CHECK: linalg.generic {indexing_maps = [#[[VEC]], #[[VEC]], #[[VEC]], #[[SUM]]], iterator_types = ["reduction"]} ins(%[[SUMEXP]], %[[MAX]], %[[PICK]] : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[M:.*]]: f32, %[[ZY:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[LOG:.*]] = math.log %[[S]] : f32
// CHECK-NEXT: %[[LSE:.*]] = arith.addf %[[LOG]], %[[M]] : f32
// CHECK-NEXT: %[[T:.*]] = arith.subf %[[LSE]], %[[ZY]] : f32
// CHECK-NEXT: arith.addf %[[T]], %[[ACC]] : f32
// CHECK: arith.mulf %{{.*}}, %[[INV]] : f32
func.func @ssce(%z: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  %l = kiln.sparse_softmax_cross_entropy %z, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// (softmax - onehot) * dloss / n in one elementwise pass.
// CHECK-LABEL: func.func @ssce_grad(
// CHECK-SAME: %[[DL:.*]]: tensor<f32>, %[[Z:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK: %[[SUMEXP:.*]] = linalg.generic
// CHECK: %[[INV:.*]] = arith.divf
// CHECK: linalg.generic {indexing_maps = [#[[BCAST]], #[[ID]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[DL]], %[[Z]], %[[MAX]], %[[SUMEXP]], %[[Y]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[ZI:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32, %[[LABEL:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[ZI]], %[[M]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT: %[[SM:.*]] = arith.divf %[[E]], %[[S]] : f32
// CHECK: %[[HIT:.*]] = arith.cmpi eq, %{{.*}}, %[[LABEL]] : i32
// CHECK-NEXT: %[[ONEHOT:.*]] = arith.uitofp %[[HIT]] : i1 to f32
// CHECK-NEXT: %[[DIFF:.*]] = arith.subf %[[SM]], %[[ONEHOT]] : f32
// CHECK-NEXT: %[[SCALE:.*]] = arith.mulf %[[G]], %[[INV]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[DIFF]], %[[SCALE]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
func.func @ssce_grad(%dl: tensor<f32>, %z: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<?x10xf32> {
  %d = kiln.sparse_softmax_cross_entropy_grad %dl, %z, %y : (tensor<f32>, tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  return %d : tensor<?x10xf32>
}

// The arg-max is the smallest column holding the row maximum (the first
// maximum wins ties); a hit compares it with the i32 label.
// CHECK-LABEL: func.func @accuracy(
// CHECK-SAME: %[[Z:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK: %[[C10:.*]] = arith.constant 10 : i32
// CHECK-NEXT: %[[INIT:.*]] = linalg.fill ins(%[[C10]] : i32) outs(%{{.*}} : tensor<?xi32>)
// CHECK: %[[ARGMAX:.*]] = linalg.generic {{.*}} ins(%[[Z]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>) outs(%[[INIT]] : tensor<?xi32>)
// CHECK-NEXT: ^bb0(%[[ZI:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[ISMAX:.*]] = arith.cmpf oeq, %[[ZI]], %[[M]] : f32
// CHECK: %[[CAND:.*]] = arith.select %[[ISMAX]], %{{.*}}, %[[C10]] : i32
// CHECK-NEXT: arith.minsi %[[CAND]], %[[ACC]] : i32
// CHECK: %[[INV:.*]] = arith.divf
// CHECK: linalg.generic {{.*}} ins(%[[ARGMAX]], %[[Y]] : tensor<?xi32>, tensor<?xi32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: i32, %[[LABEL:.*]]: i32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[HIT:.*]] = arith.cmpi eq, %[[A]], %[[LABEL]] : i32
// CHECK-NEXT: %[[ONE:.*]] = arith.uitofp %[[HIT]] : i1 to f32
// CHECK-NEXT: arith.addf %[[ONE]], %[[ACC]] : f32
// CHECK: arith.mulf %{{.*}}, %[[INV]] : f32
func.func @accuracy(%z: tensor<?x10xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  %a = kiln.sparse_categorical_accuracy %z, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %a : tensor<f32>
}
