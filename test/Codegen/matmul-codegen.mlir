// RUN: kiln-opt %s -kiln-matmul-codegen -split-input-file | FileCheck %s

// A dense layer (bias, matmul, in-place relu) becomes one register-tiled loop
// nest: 6×16 accumulators start from the bias, are carried in registers
// across K (tiled by 8), and get the relu before the single store. The
// dynamic batch is peeled; its remainder runs one row at a time.
// CHECK-LABEL: func.func @linear_relu(
// CHECK-SAME: %[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x128xf32>, %[[B:.*]]: tensor<128xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]]
// CHECK: %[[FULL:.*]] = affine.apply #{{.*}}()[%[[N]]]
// CHECK: scf.for %[[M:.*]] = %{{.*}} to %[[FULL]] step %[[C6:.*]] iter_args(
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] iter_args(%[[OUT:.*]] = %{{.*}})
// CHECK: %[[BIAS:.*]] = vector.transfer_read %[[B]][%[[J]]]{{.*}} : tensor<128xf32>, vector<16xf32>
// CHECK: %[[ACC0:.*]] = vector.broadcast %[[BIAS]] : vector<16xf32> to vector<6x16xf32>
// CHECK: %[[ACC:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %[[C8:.*]] iter_args(%[[A:.*]] = %[[ACC0]]) -> (vector<6x16xf32>)
// CHECK: %[[LHS:.*]] = vector.transfer_read %[[X]][%[[M]], %[[K]]]{{.*}} : tensor<?x784xf32>, vector<6x8xf32>
// CHECK: %[[RHS:.*]] = vector.transfer_read %[[W]][%[[K]], %[[J]]]{{.*}} : tensor<784x128xf32>, vector<8x16xf32>
// CHECK: %[[C:.*]] = vector.contract {{.*}} %[[LHS]], %[[RHS]], %[[A]] : vector<6x8xf32>, vector<8x16xf32> into vector<6x16xf32>
// CHECK: scf.yield %[[C]] : vector<6x16xf32>
// CHECK: %[[POS:.*]] = arith.cmpf ugt, %[[ACC]], %{{.*}} : vector<6x16xf32>
// CHECK: %[[RELU:.*]] = arith.select %[[POS]], %[[ACC]], %{{.*}} : vector<6x16xi1>, vector<6x16xf32>
// CHECK: vector.transfer_write %[[RELU]], %[[OUT]][%[[M]], %[[J]]]
// Remainder rows:
// CHECK: scf.for %{{.*}} = %[[FULL]] to %[[N]] step
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<?x16xf32>)
// CHECK: vector.contract {{.*}} : vector<1x8xf32>, vector<8x16xf32> into vector<1x16xf32>
// CHECK-NOT: linalg.
func.func @linear_relu(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %e = tensor.empty(%n) : tensor<?x128xf32>
  %bias = linalg.broadcast ins(%b : tensor<128xf32>) outs(%e : tensor<?x128xf32>) dimensions = [0]
  %mm = linalg.matmul ins(%x, %w : tensor<?x784xf32>, tensor<784x128xf32>) outs(%bias : tensor<?x128xf32>) -> tensor<?x128xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%mm : tensor<?x128xf32>) {
  ^bb0(%out: f32):
    %zero = arith.constant 0.0 : f32
    %pos = arith.cmpf ugt, %out, %zero : f32
    %r = arith.select %pos, %out, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}

// -----

// The weight gradient contracts over the batch. K is first tiled into blocks
// whose rows of X and dY fit in half the L2 cache (512 rows of 128 + 10
// floats), the accumulator carried from block to block and its zero fill a
// vectorized loop of its own; within a block, K is tiled by 1 and each step
// is an outer product of a row of X and a row of dY. The static M remainder
// (128 = 21 × 6 + 2) is vectorized as it is.
// CHECK-LABEL: func.func @weight_grad(
// CHECK-SAME: %[[X:.*]]: tensor<?x128xf32>, %[[DY:.*]]: tensor<?x10xf32>
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK: %[[ZERO:.*]] = scf.for {{.*}} -> (tensor<128x10xf32>)
// CHECK: vector.transfer_write {{.*}} : vector<1x10xf32>, tensor<128x10xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]]
// CHECK: scf.for %[[K0:.*]] = %{{.*}} to %[[N]] step %[[C512]] iter_args(%{{.*}} = %[[ZERO]]) -> (tensor<128x10xf32>)
// CHECK: %[[BLOCK:.*]] = affine.min #{{.*}}(%[[K0]])[%[[N]]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C126:.*]] step %{{.*}}
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BLOCK]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<6x10xf32>)
// CHECK: vector.transfer_read %[[X]]{{.*}} : tensor<?x128xf32>, vector<1x6xf32>
// CHECK: vector.transfer_read %[[DY]]{{.*}} : tensor<?x10xf32>, vector<1x10xf32>
// CHECK: vector.contract {{.*}} : vector<1x6xf32>, vector<1x10xf32> into vector<6x10xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BLOCK]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<2x10xf32>)
// CHECK: vector.contract {{.*}} : vector<1x2xf32>, vector<1x10xf32> into vector<2x10xf32>
// CHECK-NOT: linalg.
func.func @weight_grad(%x: tensor<?x128xf32>, %dy: tensor<?x10xf32>) -> tensor<128x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x10xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<128x10xf32>) -> tensor<128x10xf32>
  %dw = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : tensor<?x128xf32>, tensor<?x10xf32>) outs(%f : tensor<128x10xf32>) -> tensor<128x10xf32>
  return %dw : tensor<128x10xf32>
}

// -----

// A convolution's kernel gradient, colsᵀ · dy over the im2col rows
// (N·11·11 of them): blocks of 256 rows of 288 + 64 floats.
// CHECK-LABEL: func.func @conv_kernel_grad(
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C256]] iter_args({{.*}}) -> (tensor<288x64xf32>)
// CHECK: vector.contract {{.*}} : vector<1x6xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK-NOT: linalg.
func.func @conv_kernel_grad(%cols: tensor<?x288xf32>, %dy: tensor<?x64xf32>) -> tensor<288x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<288x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<288x64xf32>) -> tensor<288x64xf32>
  %dk = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%cols, %dy : tensor<?x288xf32>, tensor<?x64xf32>) outs(%f : tensor<288x64xf32>) -> tensor<288x64xf32>
  return %dk : tensor<288x64xf32>
}

// -----

// dY · Wᵀ: W is packed into 16-wide panels (each 16×16 block transposed in
// registers) inside the panel loop, one panel-sized buffer at a time, and
// the packed contraction is register tiled; the packed result collapses
// into the output without a copy.
// CHECK-LABEL: func.func @data_grad(
// CHECK-SAME: %[[DY:.*]]: tensor<?x128xf32>, %[[W:.*]]: tensor<784x128xf32>
// CHECK: %[[R:.*]] = scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<?x49x16xf32>)
// CHECK: %[[PANEL:.*]] = tensor.empty() : tensor<1x128x16xf32>
// CHECK: %[[PACKED:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[PANEL]]) -> (tensor<1x128x16xf32>)
// CHECK: %[[BLOCK:.*]] = vector.transfer_read %[[W]]{{.*}} : tensor<784x128xf32>, vector<16x16xf32>
// CHECK: vector.transpose
// CHECK: scf.for {{.*}} -> (vector<6x1x16xf32>)
// CHECK: vector.transfer_read %[[DY]]{{.*}} : tensor<?x128xf32>, vector<6x8xf32>
// CHECK: vector.transfer_read %[[PACKED]]{{.*}} : tensor<1x128x16xf32>, vector<1x8x16xf32>
// CHECK: vector.contract {{.*}} : vector<6x8xf32>, vector<1x8x16xf32> into vector<6x1x16xf32>
// CHECK: vector.contract {{.*}} : vector<1x8xf32>, vector<1x8x16xf32> into vector<1x1x16xf32>
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2]] : tensor<?x49x16xf32> into tensor<?x784xf32>
// CHECK: return %[[OUT]]
func.func @data_grad(%dy: tensor<?x128xf32>, %w: tensor<784x128xf32>) -> tensor<?x784xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %dy, %c0 : tensor<?x128xf32>
  %e = tensor.empty(%n) : tensor<?x784xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x784xf32>) -> tensor<?x784xf32>
  %dx = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%dy, %w : tensor<?x128xf32>, tensor<784x128xf32>) outs(%f : tensor<?x784xf32>) -> tensor<?x784xf32>
  return %dx : tensor<?x784xf32>
}

// -----

// Elementwise ops run a row at a time, in vectors of up to 64 lanes that
// divide the row (784 = 14 × 56).
// CHECK-LABEL: func.func @relu_grad(
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C56:.*]] iter_args
// CHECK: %[[DY:.*]] = vector.transfer_read {{.*}} : tensor<?x784xf32>, vector<1x56xf32>
// CHECK: %[[Y:.*]] = vector.transfer_read {{.*}} : tensor<?x784xf32>, vector<1x56xf32>
// CHECK: %[[ON:.*]] = arith.cmpf ogt, %[[Y]], %{{.*}} : vector<1x56xf32>
// CHECK: arith.select %[[ON]], %[[DY]], %{{.*}} : vector<1x56xi1>, vector<1x56xf32>
func.func @relu_grad(%dy: tensor<?x784xf32>, %y: tensor<?x784xf32>) -> tensor<?x784xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %dy, %c0 : tensor<?x784xf32>
  %e = tensor.empty(%n) : tensor<?x784xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%dy, %y : tensor<?x784xf32>, tensor<?x784xf32>) outs(%e : tensor<?x784xf32>) {
  ^bb0(%g: f32, %v: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %on = arith.cmpf ogt, %v, %zero : f32
    %s = arith.select %on, %g, %zero : f32
    linalg.yield %s : f32
  } -> tensor<?x784xf32>
  return %r : tensor<?x784xf32>
}

// A sum over the batch carries a vector accumulator across the rows.
// CHECK-LABEL: func.func @bias_grad(
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<10xf32>)
// CHECK: arith.addf %[[ACC]], %{{.*}} : vector<10xf32>
func.func @bias_grad(%dy: tensor<?x10xf32>) -> tensor<10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<10xf32>) -> tensor<10xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<?x10xf32>) outs(%f : tensor<10xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<10xf32>
  return %r : tensor<10xf32>
}

// -----

// The batch (the dynamic dimension) is tiled on its own first: the loops
// over the rest of the image carry a static tile (tensor<1x26x26x8xf32>),
// not the dynamically shaped whole, which keeps the value-bounds queries of
// slice hoisting and bufferization cheap in deep nests.
// CHECK-LABEL: func.func @relu_image(
// CHECK: scf.for %[[N:.*]] = {{.*}} iter_args(%[[ALL:.*]] = %{{.*}}) -> (tensor<?x26x26x8xf32>)
// CHECK: %[[TILE:.*]] = tensor.extract_slice %[[ALL]][%[[N]], 0, 0, 0] [1, 26, 26, 8]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[TILE]]) -> (tensor<1x26x26x8xf32>)
// CHECK: scf.for {{.*}} -> (tensor<1x26x26x8xf32>)
// CHECK: arith.maximumf %{{.*}} : vector<1x1x1x8xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[ALL]][%[[N]], 0, 0, 0] [1, 26, 26, 8]
func.func @relu_image(%x: tensor<?x26x26x8xf32>) -> tensor<?x26x26x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x26x26x8xf32>
  %e = tensor.empty(%n) : tensor<?x26x26x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x26x26x8xf32>) outs(%e : tensor<?x26x26x8xf32>) {
  ^bb0(%v: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x26x26x8xf32>
  return %r : tensor<?x26x26x8xf32>
}
