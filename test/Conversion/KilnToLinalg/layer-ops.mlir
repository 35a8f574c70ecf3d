// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// log_softmax: row max, row sum of exp(x - max), then x - max - log(sum);
// its gradient subtracts exp(y) times the row sum of dy.
// CHECK-LABEL: func.func @log_softmax(
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: %[[LS:.*]] = linalg.generic
// CHECK: %[[S:.*]] = arith.subf
// CHECK-NEXT: %[[L:.*]] = math.log
// CHECK-NEXT: arith.subf %[[S]], %[[L]]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[LS]], %{{.*}} : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xf32>)
// CHECK-NEXT: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %[[SUM:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[P:.*]] = math.exp %[[Y]]
// CHECK-NEXT: %[[T:.*]] = arith.mulf %[[P]], %[[SUM]]
// CHECK-NEXT: arith.subf %[[DY]], %[[T]]
func.func @log_softmax(%x: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %0 = kiln.log_softmax %x : tensor<?x10xf32>
  %1 = kiln.log_softmax_grad %dy, %0 : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}

// -----

// ELU scales the negative branch by alpha.
// CHECK-LABEL: func.func @elu(
// CHECK: %[[E:.*]] = arith.addf
// CHECK-NEXT: %[[A:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[N:.*]] = arith.mulf %[[E]], %[[A]]
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[N]]
func.func @elu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %1 = kiln.elu %x {alpha = 0.5 : f32} : tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// Clipped ReLU clamps to [0, max_value]; its gradient passes dy strictly
// inside.
// CHECK-LABEL: func.func @clipped_relu(
// CHECK: %[[LO:.*]] = arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.constant 2.500000e+00 : f32
// CHECK-NEXT: arith.minimumf %[[LO]], %[[MAX]] : f32
// CHECK: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[Y]], %{{.*}} : f32
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[Y]], %{{.*}} : f32
// CHECK-NEXT: %[[IN:.*]] = arith.andi %[[POS]], %[[BELOW]] : i1
// CHECK: arith.select %[[IN]], %[[DY]], %{{.*}} : f32
func.func @clipped_relu(%x: tensor<?x8xf32>, %dy: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = kiln.clipped_relu %x {max_value = 2.5 : f32} : tensor<?x8xf32>
  %1 = kiln.clipped_relu_grad %dy, %0 {max_value = 2.5 : f32} : tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME: %[[X:.*]]: tensor<?x28x10xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x10x28xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<?x28x10xf32>) outs(%[[E]] : tensor<?x10x28xf32>) permutation = [0, 2, 1]
func.func @transpose(%x: tensor<?x28x10xf32>) -> tensor<?x10x28xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 0, 2, 1>} : (tensor<?x28x10xf32>) -> tensor<?x10x28xf32>
  return %0 : tensor<?x10x28xf32>
}

// -----

// Folding is a collapse; unfolding an expand whose batch is the rows
// divided by the folded extents; a static kernel view needs no division.
// CHECK-LABEL: func.func @batch_reshape(
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<?x28x8xf32> into tensor<?x8xf32>
// CHECK: %[[R:.*]] = tensor.dim %[[C]]
// CHECK: %[[N:.*]] = arith.divui %[[R]], %{{.*}} : index
// CHECK: tensor.expand_shape %[[C]] {{\[\[}}0, 1], [2]] output_shape [%[[N]], 28, 8] : tensor<?x8xf32> into tensor<?x28x8xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] output_shape [1, 3, 8, 16] : tensor<3x8x16xf32> into tensor<1x3x8x16xf32>
func.func @batch_reshape(%x: tensor<?x28x8xf32>, %w: tensor<3x8x16xf32>) -> (tensor<?x28x8xf32>, tensor<1x3x8x16xf32>) {
  %0 = kiln.batch_reshape %x : (tensor<?x28x8xf32>) -> tensor<?x8xf32>
  %1 = kiln.batch_reshape %0 : (tensor<?x8xf32>) -> tensor<?x28x8xf32>
  %2 = kiln.batch_reshape %w : (tensor<3x8x16xf32>) -> tensor<1x3x8x16xf32>
  return %1, %2 : tensor<?x28x8xf32>, tensor<1x3x8x16xf32>
}

// -----

// Upsampling broadcasts each pixel into a block, then collapses the blocks.
// CHECK-LABEL: func.func @upsample2d(
// CHECK: %[[B:.*]] = linalg.broadcast ins(%{{.*}} : tensor<?x7x5x8xf32>) outs(%{{.*}} : tensor<?x7x2x5x3x8xf32>) dimensions = [2, 4]
// CHECK-NEXT: tensor.collapse_shape %[[B]] {{\[\[}}0], [1, 2], [3, 4], [5]] : tensor<?x7x2x5x3x8xf32> into tensor<?x14x15x8xf32>
func.func @upsample2d(%x: tensor<?x7x5x8xf32>) -> tensor<?x14x15x8xf32> {
  %0 = kiln.upsample2d %x {size = array<i64: 2, 3>} : (tensor<?x7x5x8xf32>) -> tensor<?x14x15x8xf32>
  return %0 : tensor<?x14x15x8xf32>
}

// -----

// SpatialDropout: the hash reads the index of the mask element, n · C + c;
// the spatial dimensions 1 and 2 do not enter it.
// CHECK-LABEL: func.func @spatial_dropout(
// CHECK: ^bb0(
// CHECK: %[[N:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[NI:.*]] = arith.index_cast %[[N]] : index to i32
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : i32
// CHECK-NEXT: %[[NC:.*]] = arith.muli %[[NI]], %[[C8]] : i32
// CHECK-NEXT: %[[B:.*]] = arith.addi %{{.*}}, %[[NC]] : i32
// CHECK-NEXT: %[[C:.*]] = linalg.index 3 : index
// CHECK-NOT: linalg.index
// CHECK: linalg.yield
func.func @spatial_dropout(%x: tensor<?x7x5x8xf32>, %rng: tensor<2xi64>) -> tensor<?x7x5x8xf32> {
  %0 = kiln.dropout %x, %rng {broadcast_dims = array<i64: 1, 2>, rate = 0.2 : f32, stream = 3 : i64} : tensor<?x7x5x8xf32>, tensor<2xi64>
  return %0 : tensor<?x7x5x8xf32>
}

// -----

// The gather masks invalid indices (outside (-1, V) after truncation, or
// NaN) to a zero row read from row 0; the scatter-add is a loop over the
// index positions updating one table row in place.
// CHECK-LABEL: func.func @embedding(
// CHECK: linalg.generic
// CHECK: %[[ABOVE:.*]] = arith.cmpf ogt, %[[IN:.*]], %{{.*}} : f32
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[IN]], %{{.*}} : f32
// CHECK-NEXT: %[[VALID:.*]] = arith.andi %[[ABOVE]], %[[BELOW]] : i1
// CHECK: %[[SAFE:.*]] = arith.select %[[VALID]], %[[IN]], %{{.*}} : f32
// CHECK-NEXT: %[[ROW:.*]] = arith.fptosi %[[SAFE]] : f32 to i32
// CHECK: %[[V:.*]] = tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<256x8xf32>
// CHECK: arith.select %[[VALID]], %[[V]], %{{.*}} : f32
// CHECK: %[[IDS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<?x28xf32> into tensor<?xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (tensor<256x8xf32>)
// CHECK: tensor.extract %[[IDS]][%[[I]]]
// CHECK: %[[DST:.*]] = tensor.extract_slice %[[ACC]][%{{.*}}, 0] [1, 8] [1, 1]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} outs(%[[DST]] : tensor<1x8xf32>)
// CHECK: tensor.insert_slice %[[SUM]] into %[[ACC]][%{{.*}}, 0] [1, 8] [1, 1]
func.func @embedding(%ids: tensor<?x28xf32>, %table: tensor<256x8xf32>, %dy: tensor<?x28x8xf32>) -> (tensor<?x28x8xf32>, tensor<256x8xf32>) {
  %0 = kiln.embedding %ids, %table : (tensor<?x28xf32>, tensor<256x8xf32>) -> tensor<?x28x8xf32>
  %1 = kiln.embedding_grad %dy, %ids : (tensor<?x28x8xf32>, tensor<?x28xf32>) -> tensor<256x8xf32>
  return %0, %1 : tensor<?x28x8xf32>, tensor<256x8xf32>
}

// -----

// The comparison reduced over the input's last axis (loop dim 3) with max
// and written to every element of the result's (loop dim 2).
// CHECK-LABEL: func.func @any_not_equal(
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x7x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<?x7x3xf32>) outs(%[[INIT]] : tensor<?x7x16xf32>)
// CHECK: %[[NE:.*]] = arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: %[[ONE:.*]] = arith.select %[[NE]], %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: arith.maximumf %{{.*}}, %[[ONE]] : f32
func.func @any_not_equal(%x: tensor<?x7x3xf32>) -> tensor<?x7x16xf32> {
  %0 = kiln.any_not_equal %x {value = 0.5 : f32} : (tensor<?x7x3xf32>) -> tensor<?x7x16xf32>
  return %0 : tensor<?x7x16xf32>
}

// -----

// masked_mean: one generic sums the kept values and counts the kept
// steps (two outputs, reduced over t), then a division; its gradient
// counts per sample and gives each kept step g / count.
// CHECK-LABEL: func.func @masked_mean(
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x7x4xf32>, tensor<?x7x1xf32>) outs(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK: %[[KEPT:.*]] = arith.cmpf une
// CHECK: arith.select %[[KEPT]]
// CHECK: linalg.generic {{.*}} ins(%[[R]]#0, %[[R]]#1 : tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.divf
// CHECK: %[[COUNT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<?x7x1xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[COUNT]] : tensor<?x4xf32>, tensor<?x7x1xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?x7x4xf32>)
// CHECK: arith.divf
func.func @masked_mean(%x: tensor<?x7x4xf32>, %m: tensor<?x7x1xf32>, %g: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x7x4xf32>) {
  %0 = kiln.masked_mean %x, %m : (tensor<?x7x4xf32>, tensor<?x7x1xf32>) -> tensor<?x4xf32>
  %1 = kiln.masked_mean_grad %g, %m : (tensor<?x4xf32>, tensor<?x7x1xf32>) -> tensor<?x7x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x7x4xf32>
}
