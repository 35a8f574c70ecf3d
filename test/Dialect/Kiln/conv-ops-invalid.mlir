// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @transpose_wrong_extent(%x: tensor<?x7x7x8xf32>, %k: tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32> {
  // Valid padding with stride 2 gives (7 - 1)·2 + 3 = 15 positions.
  // expected-error @+1 {{'kiln.conv2d_transpose' op expects result shape [?, 15, 15, 4], got 'tensor<?x14x14x4xf32>'}}
  %0 = kiln.conv2d_transpose %x, %k {strides = array<i64: 2, 2>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x14x14x4xf32>
  return %0 : tensor<?x14x14x4xf32>
}

// -----

func.func @transpose_channels(%x: tensor<?x7x7x8xf32>, %k: tensor<3x3x8x4xf32>) -> tensor<?x9x9x8xf32> {
  // expected-error @+1 {{'kiln.conv2d_transpose' op expects the kernel's last extent (input channels) to match the input, got 'tensor<?x7x7x8xf32>' and 'tensor<3x3x8x4xf32>'}}
  %0 = kiln.conv2d_transpose %x, %k : (tensor<?x7x7x8xf32>, tensor<3x3x8x4xf32>) -> tensor<?x9x9x8xf32>
  return %0 : tensor<?x9x9x8xf32>
}

// -----

func.func @transpose_negative_output_padding(%x: tensor<?x7x7x8xf32>, %k: tensor<3x3x4x8xf32>) -> tensor<?x9x9x4xf32> {
  // expected-error @+1 {{'kiln.conv2d_transpose' op expects positive strides and dilations and a non-negative output_padding, got stride 1, dilation 1, output_padding -1}}
  %0 = kiln.conv2d_transpose %x, %k {output_padding = array<i64: -1, 0>} : (tensor<?x7x7x8xf32>, tensor<3x3x4x8xf32>) -> tensor<?x9x9x4xf32>
  return %0 : tensor<?x9x9x4xf32>
}

// -----

func.func @transpose_dynamic_kernel(%x: tensor<?x7x7x8xf32>, %k: tensor<?x3x4x8xf32>) -> tensor<?x9x9x4xf32> {
  // expected-error @+1 {{'kiln.conv2d_transpose' op expects a static rank-4 kernel, got 'tensor<?x3x4x8xf32>'}}
  %0 = kiln.conv2d_transpose %x, %k : (tensor<?x7x7x8xf32>, tensor<?x3x4x8xf32>) -> tensor<?x9x9x4xf32>
  return %0 : tensor<?x9x9x4xf32>
}

// -----

func.func @transpose_input_grad_shape(%dy: tensor<?x15x15x4xf32>, %k: tensor<3x3x4x8xf32>) -> tensor<?x6x6x8xf32> {
  // The gradient must have the shape the result type's transposed
  // convolution gives (6 inputs: 13 positions).
  // expected-error @+1 {{'kiln.conv2d_transpose_input_grad' op expects result shape [?, 13, 13, 4], got 'tensor<?x15x15x4xf32>'}}
  %0 = kiln.conv2d_transpose_input_grad %dy, %k {strides = array<i64: 2, 2>} : (tensor<?x15x15x4xf32>, tensor<3x3x4x8xf32>) -> tensor<?x6x6x8xf32>
  return %0 : tensor<?x6x6x8xf32>
}

// -----

func.func @depthwise_wrong_channels(%x: tensor<?x28x28x4xf32>, %k: tensor<3x3x4x2xf32>) -> tensor<?x26x26x4xf32> {
  // expected-error @+1 {{'kiln.depthwise_conv2d' op expects result shape [?, 26, 26, 8], got 'tensor<?x26x26x4xf32>'}}
  %0 = kiln.depthwise_conv2d %x, %k : (tensor<?x28x28x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x26x26x4xf32>
  return %0 : tensor<?x26x26x4xf32>
}

// -----

func.func @depthwise_kernel_channels(%x: tensor<?x28x28x4xf32>, %k: tensor<3x3x3x2xf32>) -> tensor<?x26x26x6xf32> {
  // expected-error @+1 {{'kiln.depthwise_conv2d' op expects the kernel's input channels to match the input, got 'tensor<?x28x28x4xf32>' and 'tensor<3x3x3x2xf32>'}}
  %0 = kiln.depthwise_conv2d %x, %k : (tensor<?x28x28x4xf32>, tensor<3x3x3x2xf32>) -> tensor<?x26x26x6xf32>
  return %0 : tensor<?x26x26x6xf32>
}

// -----

func.func @depthwise_window_too_large(%x: tensor<?x2x2x4xf32>, %k: tensor<3x3x4x1xf32>) -> tensor<?x1x1x4xf32> {
  // expected-error @+1 {{'kiln.depthwise_conv2d' op expects positive window options and a window that fits the input, got window 3, stride 1, dilation 1 on extent 2}}
  %0 = kiln.depthwise_conv2d %x, %k : (tensor<?x2x2x4xf32>, tensor<3x3x4x1xf32>) -> tensor<?x1x1x4xf32>
  return %0 : tensor<?x1x1x4xf32>
}

// -----

func.func @depthwise_kernel_grad_rank(%x: tensor<?x28x28xf32>, %dy: tensor<?x26x26x8xf32>) -> tensor<3x3x4x2xf32> {
  // expected-error @+1 {{'kiln.depthwise_conv2d_kernel_grad' op expects an NHWC input with static height and width, got 'tensor<?x28x28xf32>'}}
  %0 = kiln.depthwise_conv2d_kernel_grad %x, %dy : (tensor<?x28x28xf32>, tensor<?x26x26x8xf32>) -> tensor<3x3x4x2xf32>
  return %0 : tensor<3x3x4x2xf32>
}
