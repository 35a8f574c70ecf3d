// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// A convolution is im2col (a strided copy into [N, OH, OW, KH, KW, C])
// and one matmul over the collapsed matrices, expanded back to NHWC.
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4, d5)>
// CHECK-LABEL: func.func @conv(
// CHECK-SAME: %[[X:.*]]: tensor<?x28x28x1xf32>, %[[K:.*]]: tensor<3x3x1x32xf32>
// CHECK: %[[COLS:.*]] = linalg.generic {indexing_maps = [#[[READ]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<?x28x28x1xf32>) outs(%{{.*}} : tensor<?x26x26x3x3x1xf32>)
// CHECK: %[[LHS:.*]] = tensor.collapse_shape %[[COLS]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<?x26x26x3x3x1xf32> into tensor<?x9xf32>
// CHECK: %[[RHS:.*]] = tensor.collapse_shape %[[K]] {{\[}}[0, 1, 2], [3]] : tensor<3x3x1x32xf32> into tensor<9x32xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[LHS]], %[[RHS]] : tensor<?x9xf32>, tensor<9x32xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1, 2], [3]] output_shape [%{{.*}}, 26, 26, 32] : tensor<?x32xf32> into tensor<?x26x26x32xf32>
func.func @conv(%x: tensor<?x28x28x1xf32>, %k: tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32> {
  %y = kiln.conv2d %x, %k : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  return %y : tensor<?x26x26x32xf32>
}

// -----

// `same` with stride 2 pads one row and column after the data (a fill and
// an insert_slice) and reads every other position.
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-LABEL: func.func @conv_same_strided(
// CHECK: %[[PAD:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x29x29x1xf32>)
// CHECK: %[[IN:.*]] = tensor.insert_slice %{{.*}} into %[[PAD]][0, 0, 0, 0] [%{{.*}}, 28, 28, 1] [1, 1, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[READ]], #{{.*}}]{{.*}} ins(%[[IN]] : tensor<?x29x29x1xf32>) outs(%{{.*}} : tensor<?x14x14x3x3x1xf32>)
func.func @conv_same_strided(%x: tensor<?x28x28x1xf32>, %k: tensor<3x3x1x32xf32>) -> tensor<?x14x14x32xf32> {
  %y = kiln.conv2d %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x14x14x32xf32>
  return %y : tensor<?x14x14x32xf32>
}

// -----

// The kernel gradient reads the im2col matrix transposed (colsᵀ · dy); the
// input gradient is dy · kernelᵀ, summed back by col2im: per tap, the
// columns' slice added in place into the input positions the tap read.
// CHECK-DAG: #[[LHST:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[RHST:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @conv_grads(
// CHECK: linalg.matmul indexing_maps = [#[[LHST]], {{.*}}] ins(%{{.*}}, %{{.*}} : tensor<?x288xf32>, tensor<?x64xf32>) outs(%{{.*}} : tensor<288x64xf32>)
// CHECK: %[[DCOLS:.*]] = linalg.matmul indexing_maps = [{{.*}}, #[[RHST]], {{.*}}] ins(%{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<288x64xf32>) outs(%{{.*}} : tensor<?x288xf32>)
// CHECK: %[[COLS:.*]] = tensor.expand_shape %[[DCOLS]] {{.*}} into tensor<?x11x11x3x3x32xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x13x13x32xf32>)
// CHECK: %[[TAP0:.*]] = tensor.extract_slice %[[COLS]][0, 0, 0, 0, 0, 0] [%{{.*}}, 11, 11, 1, 1, 32] [1, 1, 1, 1, 1, 1] : tensor<?x11x11x3x3x32xf32> to tensor<?x11x11x32xf32>
// CHECK: %[[DEST0:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 11, 11, 32] [1, 1, 1, 1] : tensor<?x13x13x32xf32> to tensor<?x11x11x32xf32>
// CHECK: %[[SUM0:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[TAP0]] : tensor<?x11x11x32xf32>) outs(%[[DEST0]] : tensor<?x11x11x32xf32>)
// CHECK: arith.addf
// CHECK: tensor.insert_slice %[[SUM0]] into %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 11, 11, 32] [1, 1, 1, 1]
// CHECK-COUNT-7: arith.addf
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 2, 2, 0] [%{{.*}}, 11, 11, 1, 1, 32]
// CHECK: tensor.extract_slice %{{.*}}[0, 2, 2, 0] [%{{.*}}, 11, 11, 32] [1, 1, 1, 1]
// CHECK: arith.addf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 2, 2, 0] [%{{.*}}, 11, 11, 32] [1, 1, 1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @conv_grads(%x: tensor<?x13x13x32xf32>, %k: tensor<3x3x32x64xf32>, %dy: tensor<?x11x11x64xf32>) -> (tensor<3x3x32x64xf32>, tensor<?x13x13x32xf32>) {
  %dk = kiln.conv2d_kernel_grad %x, %dy : (tensor<?x13x13x32xf32>, tensor<?x11x11x64xf32>) -> tensor<3x3x32x64xf32>
  %dx = kiln.conv2d_input_grad %dy, %k : (tensor<?x11x11x64xf32>, tensor<3x3x32x64xf32>) -> tensor<?x13x13x32xf32>
  return %dk, %dx : tensor<3x3x32x64xf32>, tensor<?x13x13x32xf32>
}

// -----

// Pooling combines the window's taps, strided slices of the input, in one
// elementwise op, in tap order from the fill value.
// CHECK-LABEL: func.func @max_pool(
// CHECK-SAME: %[[X:.*]]: tensor<?x26x26x32xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x13x13x32xf32>)
// CHECK: %[[T0:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.*}}, 13, 13, 32] [1, 2, 2, 1]
// CHECK: %[[T1:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [%{{.*}}, 13, 13, 32] [1, 2, 2, 1]
// CHECK: %[[T2:.*]] = tensor.extract_slice %[[X]][0, 1, 0, 0] [%{{.*}}, 13, 13, 32] [1, 2, 2, 1]
// CHECK: %[[T3:.*]] = tensor.extract_slice %[[X]][0, 1, 1, 0] [%{{.*}}, 13, 13, 32] [1, 2, 2, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[T0]], %[[T1]], %[[T2]], %[[T3]] : {{.*}}) outs(%[[INIT]] : tensor<?x13x13x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32, %[[D:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[M0:.*]] = arith.maximumf %[[A]], %[[ACC]] : f32
// CHECK-NEXT: %[[M1:.*]] = arith.maximumf %[[B]], %[[M0]] : f32
// CHECK-NEXT: %[[M2:.*]] = arith.maximumf %[[C]], %[[M1]] : f32
// CHECK-NEXT: %[[M3:.*]] = arith.maximumf %[[D]], %[[M2]] : f32
// CHECK-NEXT: linalg.yield %[[M3]] : f32
func.func @max_pool(%x: tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32> {
  %y = kiln.max_pool2d %x {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
  return %y : tensor<?x13x13x32xf32>
}

// -----

// Windows of more than 16 taps are reduced by one generic over the taps,
// whose extent a shape-only operand gives.
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 5 + d3, d2 * 5 + d4, d5)>
// CHECK-DAG: #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-LABEL: func.func @avg_pool_large(
// CHECK: %[[WINDOW:.*]] = tensor.empty() : tensor<5x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[READ]], #[[TAPS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} ins(%{{.*}}, %[[WINDOW]] : tensor<?x20x20x8xf32>, tensor<5x5xf32>) outs(%{{.*}} : tensor<?x4x4x8xf32>)
// CHECK: arith.addf
func.func @avg_pool_large(%x: tensor<?x20x20x8xf32>) -> tensor<?x4x4x8xf32> {
  %y = kiln.avg_pool2d %x {pool_size = array<i64: 5, 5>, strides = array<i64: 5, 5>} : (tensor<?x20x20x8xf32>) -> tensor<?x4x4x8xf32>
  return %y : tensor<?x4x4x8xf32>
}

// -----

// Tiling windows route the gradient to the first maximum in one pass over
// [N, OH, KH, OW, KW, C]; the row and column no window covers get zeros.
// CHECK-LABEL: func.func @max_pool_grad(
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins({{.*}}) outs(%{{.*}} : tensor<?x5x5x64xi32>)
// CHECK-COUNT-4: arith.minsi
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x5x2x5x2x64xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3, 4], [5]] : tensor<?x5x2x5x2x64xf32> into tensor<?x10x10x64xf32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 10, 10, 64] [1, 1, 1, 1] : tensor<?x10x10x64xf32> into tensor<?x11x11x64xf32>
func.func @max_pool_grad(%dy: tensor<?x5x5x64xf32>, %x: tensor<?x11x11x64xf32>, %y: tensor<?x5x5x64xf32>) -> tensor<?x11x11x64xf32> {
  %dx = kiln.max_pool2d_grad %dy, %x, %y {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x5x5x64xf32>, tensor<?x11x11x64xf32>, tensor<?x5x5x64xf32>) -> tensor<?x11x11x64xf32>
  return %dx : tensor<?x11x11x64xf32>
}

// -----

// Average pooling's gradient for windows that tile the input (global pooling
// is one window over the whole image) spreads dy / count over the taps in one
// pass over [N, OH, KH, OW, KW, C], without col2im's padded column tensor.
// CHECK-LABEL: func.func @global_avg_pool_grad(
// CHECK-SAME: %[[DY:.*]]: tensor<?x1x1x16xf32>
// CHECK: %[[TILES:.*]] = linalg.generic {{.*}} ins(%[[DY]], %{{.*}} : tensor<?x1x1x16xf32>, tensor<1x1xf32>) outs(%{{.*}} : tensor<?x1x22x1x22x16xf32>)
// CHECK: arith.mulf
// CHECK: tensor.collapse_shape %[[TILES]] {{\[}}[0], [1, 2], [3, 4], [5]] : tensor<?x1x22x1x22x16xf32> into tensor<?x22x22x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @global_avg_pool_grad(%dy: tensor<?x1x1x16xf32>) -> tensor<?x22x22x16xf32> {
  %dx = kiln.avg_pool2d_grad %dy {pool_size = array<i64: 22, 22>, strides = array<i64: 22, 22>} : (tensor<?x1x1x16xf32>) -> tensor<?x22x22x16xf32>
  return %dx : tensor<?x22x22x16xf32>
}

// -----

// Dropout hashes the element index with a key mixed from {seed, step} and
// the op's stream; kept elements are scaled by 1 / (1 - rate).
// CHECK-LABEL: func.func @dropout(
// CHECK-SAME: %[[X:.*]]: tensor<?x16xf32>, %[[RNG:.*]]: tensor<2xi64>
// CHECK-DAG: %[[SEED:.*]] = tensor.extract %[[RNG]][%{{.*}}] : tensor<2xi64>
// CHECK-DAG: %[[STEP:.*]] = tensor.extract %[[RNG]][%{{.*}}] : tensor<2xi64>
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<?x16xf32>)
// CHECK: linalg.index 0
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : i32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
func.func @dropout(%x: tensor<?x16xf32>, %rng: tensor<2xi64>) -> tensor<?x16xf32> {
  %y = kiln.dropout %x, %rng {rate = 0.5 : f32, stream = 2 : i64} : tensor<?x16xf32>, tensor<2xi64>
  return %y : tensor<?x16xf32>
}
