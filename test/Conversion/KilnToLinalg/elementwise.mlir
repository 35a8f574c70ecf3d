// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// The bias is read along the trailing dimension only.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bias(
// CHECK-SAME: %[[X:.*]]: tensor<?x128xf32>, %[[B:.*]]: tensor<128xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x128xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x128xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[B]] : tensor<?x128xf32>, tensor<128xf32>) outs(%[[E]] : tensor<?x128xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[C:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[C]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
func.func @add_bias(%x: tensor<?x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %y = kiln.add %x, %b : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_same_rank(
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]]
func.func @add_same_rank(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %z = kiln.add %x, %y : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @scale(
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]{{.*}}outs(%{{.*}} : tensor<?x28x28xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[SC:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[IN]], %[[SC]] : f32
// CHECK-NEXT: %[[OF:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[M]], %[[OF]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @scale(%x: tensor<?x28x28xf32>) -> tensor<?x28x28xf32> {
  %s = kiln.scale %x {scale = 0.5 : f32, offset = 1.0 : f32} : tensor<?x28x28xf32>
  return %s : tensor<?x28x28xf32>
}

// A zero offset is not added.
// CHECK-LABEL: func.func @scale_no_offset(
// CHECK: arith.mulf
// CHECK-NOT: arith.addf
// CHECK: linalg.yield
func.func @scale_no_offset(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %s = kiln.scale %x {scale = 0.00392156886 : f32} : tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @activations(
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[P:.*]] = arith.cmpf ugt, %[[X]], %[[Z:.*]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[P]], %[[X]], %[[Z]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[NEG:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.addf %[[ONE:.*]], %[[E]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[S]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[T]]
func.func @activations(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %a = kiln.relu %x : tensor<?x4xf32>
  %b = kiln.sigmoid %x : tensor<?x4xf32>
  %c = kiln.tanh %x : tensor<?x4xf32>
  return %a, %b, %c : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// The derivatives read the activation's output y, not its input.
// CHECK-LABEL: func.func @activation_grads(
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[P:.*]] = arith.cmpf ogt, %[[Y]], %[[Z:.*]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[P]], %[[DY]], %[[Z]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[OMY:.*]] = arith.subf %{{.*}}, %[[Y]] : f32
// CHECK-NEXT: %[[DYY:.*]] = arith.mulf %[[DY]], %[[Y]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[DYY]], %[[OMY]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[YY:.*]] = arith.mulf %[[Y]], %[[Y]] : f32
// CHECK: %[[D:.*]] = arith.subf %{{.*}}, %[[YY]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[DY]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[R]]
func.func @activation_grads(%dy: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %a = kiln.relu_grad %dy, %y : tensor<?x4xf32>
  %b = kiln.sigmoid_grad %dy, %y : tensor<?x4xf32>
  %c = kiln.tanh_grad %dy, %y : tensor<?x4xf32>
  return %a, %b, %c : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
