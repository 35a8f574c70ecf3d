// RUN: kiln-opt %s --kiln-count-flops | FileCheck %s

// Two FLOPs per multiply-add of every contraction, per sample of the batch
// (the dynamic dimension of the arguments).

// CHECK: kiln.flops = {
// CHECK-SAME: dense = 401408 : i64
// CHECK-SAME: elementwise = 0 : i64
// CHECK-SAME: over_batch = 64 : i64
// CHECK-SAME: timesteps = 24576 : i64

// [n, 784] x [784, 256]: 2 * 784 * 256 per row.
func.func @dense(%x: tensor<?x784xf32>, %w: tensor<784x256xf32>) -> tensor<?x256xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %empty = tensor.empty(%n) : tensor<?x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x256xf32>) -> tensor<?x256xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x784xf32>, tensor<784x256xf32>) outs(%init : tensor<?x256xf32>) -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// Element-wise work and single-input reductions are not counted.
func.func @elementwise(%x: tensor<?x8xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %empty = tensor.empty(%n) : tensor<?x8xf32>
  %e = linalg.exp ins(%x : tensor<?x8xf32>) outs(%empty : tensor<?x8xf32>) -> tensor<?x8xf32>
  %sums = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.reduce ins(%e : tensor<?x8xf32>) outs(%sums : tensor<?xf32>) dimensions = [1]
    (%a: f32, %b: f32) {
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    }
  return %r : tensor<?xf32>
}

// A weight gradient contracts over the batch: 2 * 4 * 8 per sample.
func.func @over_batch(%x: tensor<?x4xf32>, %dy: tensor<?x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x8xf32>) -> tensor<4x8xf32>
  %dw = linalg.generic {
      indexing_maps = [affine_map<(b, i, j) -> (b, i)>, affine_map<(b, i, j) -> (b, j)>, affine_map<(b, i, j) -> (i, j)>],
      iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<?x4xf32>, tensor<?x8xf32>) outs(%init : tensor<4x8xf32>) {
    ^bb0(%a: f32, %b: f32, %acc: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %dw : tensor<4x8xf32>
}

// All 16 timesteps of 8 features projected at once: n * 16 rows
// (collapse_shape), 2 * 16 * 8 * 64 = 16384 per sample. Then one step's
// slice of the result, expanded back to [n, 16, 64], times a [64, 64]
// recurrent matrix: n rows again, 2 * 64 * 64 = 8192 more.
func.func @timesteps(%x: tensor<?x16x8xf32>, %w: tensor<8x64xf32>, %u: tensor<64x64xf32>) -> tensor<?x64xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x16x8xf32>
  %rows = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x16x8xf32> into tensor<?x8xf32>
  %m = tensor.dim %rows, %c0 : tensor<?x8xf32>
  %empty = tensor.empty(%m) : tensor<?x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %p = linalg.matmul ins(%rows, %w : tensor<?x8xf32>, tensor<8x64xf32>) outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  %steps = tensor.expand_shape %p [[0, 1], [2]] output_shape [%n, 16, 64] : tensor<?x64xf32> into tensor<?x16x64xf32>
  %k = tensor.dim %steps, %c0 : tensor<?x16x64xf32>
  %step = tensor.extract_slice %steps[0, 3, 0] [%k, 1, 64] [1, 1, 1] : tensor<?x16x64xf32> to tensor<?x64xf32>
  %hEmpty = tensor.empty(%k) : tensor<?x64xf32>
  %hInit = linalg.fill ins(%zero : f32) outs(%hEmpty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %h = linalg.matmul ins(%step, %u : tensor<?x64xf32>, tensor<64x64xf32>) outs(%hInit : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}
