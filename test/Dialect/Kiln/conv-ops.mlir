// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// Transposed and depthwise convolutions and their gradient ops round trip;
// default options are not printed.

// CHECK-LABEL: func.func @conv2d_transpose
func.func @conv2d_transpose(%x: tensor<?x7x7x8xf32>, %k: tensor<3x3x4x8xf32>, %dy: tensor<?x15x15x4xf32>)
    -> (tensor<?x14x14x4xf32>, tensor<?x15x15x4xf32>, tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) {
  // CHECK: kiln.conv2d_transpose %{{.*}}, %{{.*}} {output_padding = array<i64: 1, 1>, padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32>
  %0 = kiln.conv2d_transpose %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32>
  // CHECK-NEXT: kiln.conv2d_transpose %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x15x15x4xf32>
  %1 = kiln.conv2d_transpose %x, %k {strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x15x15x4xf32>
  // CHECK-NEXT: kiln.conv2d_transpose_input_grad %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<?x15x15x4xf32>, tensor<3x3x4x8xf32>) -> tensor<?x7x7x8xf32>
  %2 = kiln.conv2d_transpose_input_grad %dy, %k {strides = array<i64: 2, 2>} : (tensor<?x15x15x4xf32>, tensor<3x3x4x8xf32>) -> tensor<?x7x7x8xf32>
  // CHECK-NEXT: kiln.conv2d_transpose_kernel_grad %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<?x15x15x4xf32>) -> tensor<3x3x4x8xf32>
  %3 = kiln.conv2d_transpose_kernel_grad %x, %dy {strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<?x15x15x4xf32>) -> tensor<3x3x4x8xf32>
  return %0, %1, %2, %3 : tensor<?x14x14x4xf32>, tensor<?x15x15x4xf32>, tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>
}

// Dilation 2 spreads a 3-tap kernel over 5 positions: valid gives
// (7 - 1) + 5 = 11 positions.
// CHECK-LABEL: func.func @conv2d_transpose_dilated
func.func @conv2d_transpose_dilated(%x: tensor<2x7x7x8xf32>, %k: tensor<3x3x4x8xf32>) -> tensor<2x11x11x4xf32> {
  // CHECK: kiln.conv2d_transpose %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>}
  %0 = kiln.conv2d_transpose %x, %k {dilations = array<i64: 2, 2>} : (tensor<2x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<2x11x11x4xf32>
  return %0 : tensor<2x11x11x4xf32>
}

// CHECK-LABEL: func.func @depthwise_conv2d
func.func @depthwise_conv2d(%x: tensor<?x28x28x4xf32>, %k: tensor<3x3x4x2xf32>, %dy: tensor<?x14x14x8xf32>)
    -> (tensor<?x28x28x8xf32>, tensor<?x14x14x8xf32>, tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) {
  // CHECK: kiln.depthwise_conv2d %{{.*}}, %{{.*}} {padding = #kiln.padding<same>} : (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x8xf32>
  %0 = kiln.depthwise_conv2d %x, %k {padding = #kiln.padding<same>} : (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x8xf32>
  // CHECK-NEXT: kiln.depthwise_conv2d %{{.*}}, %{{.*}} {padding = #kiln.padding<same>, strides = array<i64: 2, 2>}
  %1 = kiln.depthwise_conv2d %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x14x14x8xf32>
  // CHECK-NEXT: kiln.depthwise_conv2d_input_grad %{{.*}}, %{{.*}} {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x14x14x8xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x4xf32>
  %2 = kiln.depthwise_conv2d_input_grad %dy, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x14x14x8xf32>, tensor<3x3x4x2xf32>) -> tensor<?x28x28x4xf32>
  // CHECK-NEXT: kiln.depthwise_conv2d_kernel_grad %{{.*}}, %{{.*}} {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x4xf32>, tensor<?x14x14x8xf32>) -> tensor<3x3x4x2xf32>
  %3 = kiln.depthwise_conv2d_kernel_grad %x, %dy {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x4xf32>, tensor<?x14x14x8xf32>) -> tensor<3x3x4x2xf32>
  return %0, %1, %2, %3 : tensor<?x28x28x8xf32>, tensor<?x14x14x8xf32>, tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>
}
