// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// A transposed convolution is the input gradient of a convolution: one
// matmul x · kernelᵀ on the matmul schedule ([N·7·7, 8] · [8, 3·3·4]), the
// columns summed into the 14×14 result (col2im): tap (a, b) of position
// (i, j) lands on (2i + a, 2j + b) (`same`, stride 2, output_padding 1:
// no padding before), so each tap adds its [N, 7, 7, 4] slice into a
// stride-2 slice of the result; tap (2, 2) would write row 14 from i = 6,
// outside the result, and covers i < 6 only.
// CHECK-LABEL: func.func @conv2d_transpose(
// CHECK: %[[MM:.*]] = linalg.matmul{{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<36x8xf32>) outs(%{{.*}} : tensor<?x36xf32>)
// CHECK: %[[COLS:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1, 2], [3, 4, 5]] {{.*}} into tensor<?x7x7x3x3x4xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x14x14x4xf32>)
// CHECK: %[[TAP0:.*]] = tensor.extract_slice %[[COLS]][0, 0, 0, 0, 0, 0] [%{{.*}}, 7, 7, 1, 1, 4] [1, 1, 1, 1, 1, 1] : tensor<?x7x7x3x3x4xf32> to tensor<?x7x7x4xf32>
// CHECK: %[[DEST0:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 7, 7, 4] [1, 2, 2, 1] : tensor<?x14x14x4xf32> to tensor<?x7x7x4xf32>
// CHECK: %[[SUM0:.*]] = linalg.generic {{.*}} ins(%[[TAP0]] : tensor<?x7x7x4xf32>) outs(%[[DEST0]] : tensor<?x7x7x4xf32>)
// CHECK: tensor.insert_slice %[[SUM0]] into %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 7, 7, 4] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[COLS]][0, 0, 0, 2, 2, 0] [%{{.*}}, 6, 6, 1, 1, 4] [1, 1, 1, 1, 1, 1] : tensor<?x7x7x3x3x4xf32> to tensor<?x6x6x4xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 2, 2, 0] [%{{.*}}, 6, 6, 4] [1, 2, 2, 1] : tensor<?x14x14x4xf32> to tensor<?x6x6x4xf32>
// CHECK: arith.addf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 2, 2, 0] [%{{.*}}, 6, 6, 4] [1, 2, 2, 1]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @conv2d_transpose(%x: tensor<?x7x7x8xf32>, %k: tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32> {
  %0 = kiln.conv2d_transpose %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32>
  return %0 : tensor<?x14x14x4xf32>
}

// -----

// Its gradients: im2col of dy (padded by one row and column the writes
// reach past the result), times the kernel, and its transpose times x.
// CHECK-LABEL: func.func @conv2d_transpose_grads(
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 14, 14, 4] [1, 1, 1, 1] : tensor<?x14x14x4xf32> into tensor<?x15x15x4xf32>
// CHECK: %[[COLS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<?x7x7x3x3x4xf32> into tensor<?x36xf32>
// CHECK: linalg.matmul{{.*}} ins(%[[COLS]], %{{.*}} : tensor<?x36xf32>, tensor<36x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: linalg.matmul{{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x36xf32>, tensor<?x8xf32>) outs(%{{.*}} : tensor<36x8xf32>)
func.func @conv2d_transpose_grads(%x: tensor<?x7x7x8xf32>, %dy: tensor<?x14x14x4xf32>, %k: tensor<3x3x4x8xf32>) -> (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) {
  %0 = kiln.conv2d_transpose_input_grad %dy, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<?x14x14x4xf32>, tensor<3x3x4x8xf32>) -> tensor<?x7x7x8xf32>
  %1 = kiln.conv2d_transpose_kernel_grad %x, %dy {padding = #kiln.padding<same>, strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<?x7x7x8xf32>, tensor<?x14x14x4xf32>) -> tensor<3x3x4x8xf32>
  return %0, %1 : tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>
}

// -----

// A depthwise convolution reduces over the taps straight from the padded
// input into [N, OH, OW, C, M], collapsed to C·M channels.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 * 2 + d5, d2 * 2 + d6, d3)>
// CHECK-DAG: #[[TAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d6, d3, d4)>
// CHECK-LABEL: func.func @depthwise_conv2d(
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[TAP]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x29x29x4xf32>, tensor<3x3x4x2xf32>) outs(%{{.*}} : tensor<?x14x14x4x2xf32>)
// CHECK: tensor.collapse_shape %[[Y]] {{\[}}[0], [1], [2], [3, 4]] : tensor<?x14x14x4x2xf32> into tensor<?x14x14x8xf32>
func.func @depthwise_conv2d(%x: tensor<?x28x28x4xf32>, %k: tensor<3x3x4x2xf32>) -> tensor<?x14x14x8xf32> {
  %0 = kiln.depthwise_conv2d %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x14x14x8xf32>
  return %0 : tensor<?x14x14x8xf32>
}

// -----

// The input gradient builds the column gradient (reducing the multiplier)
// and sums it back with col2im; the kernel gradient reduces the batch and
// the positions.
// CHECK-LABEL: func.func @depthwise_conv2d_grads(
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x14x14x4x2xf32>, tensor<3x3x4x2xf32>) outs(%{{.*}} : tensor<?x14x14x3x3x4xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x28x28x4xf32>)
// CHECK-COUNT-9: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x29x29x4xf32>, tensor<?x14x14x4x2xf32>) outs(%{{.*}} : tensor<3x3x4x2xf32>)
func.func @depthwise_conv2d_grads(%x: tensor<?x28x28x4xf32>, %k: tensor<3x3x4x2xf32>, %dy: tensor<?x14x14x8xf32>) -> (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) {
  %0 = kiln.depthwise_conv2d_input_grad %dy, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x14x14x8xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x4xf32>
  %1 = kiln.depthwise_conv2d_kernel_grad %x, %dy {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x4xf32>, tensor<?x14x14x8xf32>) -> tensor<3x3x4x2xf32>
  return %0, %1 : tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>
}

// -----

// col2im skips the taps that only ever read padding: on a 1×1 image with a
// 3×3 `same` window only the centre tap (1, 1) reads the pixel.
// CHECK-LABEL: func.func @conv_input_grad_padding_taps(
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x1x1x2xf32>)
// CHECK: %[[TAP:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 1, 1, 0] [%{{.*}}, 1, 1, 1, 1, 2] [1, 1, 1, 1, 1, 1] : tensor<?x1x1x3x3x2xf32> to tensor<?x1x1x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[TAP]] : tensor<?x1x1x2xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[ZERO]][0, 0, 0, 0] [%{{.*}}, 1, 1, 2] [1, 1, 1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @conv_input_grad_padding_taps(%dy: tensor<?x1x1x4xf32>, %k: tensor<3x3x2x4xf32>) -> tensor<?x1x1x2xf32> {
  %dx = kiln.conv2d_input_grad %dy, %k {padding = #kiln.padding<same>} : (tensor<?x1x1x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x1x1x2xf32>
  return %dx : tensor<?x1x1x2xf32>
}
