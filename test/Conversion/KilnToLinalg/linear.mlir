// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s

// The matmul accumulates into the broadcast bias; the activation updates the
// matmul's result in place, so tiling it later fuses the whole chain.
// CHECK-LABEL: func.func @linear_relu(
// CHECK-SAME: %[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x128xf32>, %[[B:.*]]: tensor<128xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x784xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x128xf32>
// CHECK: %[[BIAS:.*]] = linalg.broadcast ins(%[[B]] : tensor<128xf32>) outs(%[[E]] : tensor<?x128xf32>) dimensions = [0]
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[BIAS]] : tensor<?x128xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{{.*}}iterator_types = ["parallel", "parallel"]} outs(%[[MM]] : tensor<?x128xf32>)
// CHECK-NEXT: ^bb0(%[[OUT:.*]]: f32):
// CHECK: %[[POS:.*]] = arith.cmpf ugt, %[[OUT]], %[[ZERO:.*]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[POS]], %[[OUT]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]]
func.func @linear_relu(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %h = kiln.linear %x, %w, %b {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}

// Without a bias the accumulator is zero-filled; transposes still map.
// CHECK-LABEL: func.func @linear_nobias_sigmoid(
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<4x8xf32>) outs(%[[F]] : tensor<?x4xf32>)
// CHECK: linalg.generic {{.*}} outs(%[[MM]] : tensor<?x4xf32>)
// CHECK-NEXT: ^bb0(%[[OUT:.*]]: f32):
// CHECK: %[[NEG:.*]] = arith.negf %[[OUT]] : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[ONE:.*]], %[[EXP]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
func.func @linear_nobias_sigmoid(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %h = kiln.linear %x, %w {activation = #kiln.activation<sigmoid>, transpose_rhs} : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %h : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @linear_tanh(
// CHECK: %[[MM:.*]] = linalg.matmul
// CHECK: linalg.generic {{.*}} outs(%[[MM]] : tensor<?x4xf32>)
// CHECK-NEXT: ^bb0(%[[OUT:.*]]: f32):
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[OUT]] : f32
// CHECK-NEXT: linalg.yield %[[T]] : f32
func.func @linear_tanh(%x: tensor<?x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %h = kiln.linear %x, %w, %b {activation = #kiln.activation<tanh>} : (tensor<?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %h : tensor<?x4xf32>
}

// No activation, no epilogue.
// CHECK-LABEL: func.func @linear_none(
// CHECK: %[[BIAS:.*]] = linalg.broadcast
// CHECK: %[[MM:.*]] = linalg.matmul {{.*}} outs(%[[BIAS]] : tensor<?x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[MM]]
func.func @linear_none(%x: tensor<?x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %h = kiln.linear %x, %w, %b : (tensor<?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %h : tensor<?x4xf32>
}
