// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<?x28x28x3xf32>, %k: tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32> {
  // expected-error @+1 {{'kiln.conv2d' op expects the kernel's input channels to match the input, got 'tensor<?x28x28x3xf32>' and 'tensor<3x3x1x32xf32>'}}
  %0 = kiln.conv2d %x, %k : (tensor<?x28x28x3xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  return %0 : tensor<?x26x26x32xf32>
}

// -----

func.func @conv_result(%x: tensor<?x28x28x1xf32>, %k: tensor<3x3x1x32xf32>) -> tensor<?x28x28x32xf32> {
  // expected-error @+1 {{'kiln.conv2d' op expects result shape [?, 26, 26, 32], got 'tensor<?x28x28x32xf32>'}}
  %0 = kiln.conv2d %x, %k : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x28x28x32xf32>
  return %0 : tensor<?x28x28x32xf32>
}

// -----

func.func @conv_window_too_large(%x: tensor<?x2x2x1xf32>, %k: tensor<3x3x1x4xf32>) -> tensor<?x1x1x4xf32> {
  // expected-error @+1 {{'kiln.conv2d' op expects positive window options and a window that fits the input, got window 3, stride 1, dilation 1 on extent 2}}
  %0 = kiln.conv2d %x, %k : (tensor<?x2x2x1xf32>, tensor<3x3x1x4xf32>) -> tensor<?x1x1x4xf32>
  return %0 : tensor<?x1x1x4xf32>
}

// -----

func.func @conv_stride_zero(%x: tensor<?x8x8x1xf32>, %k: tensor<3x3x1x4xf32>) -> tensor<?x6x6x4xf32> {
  // expected-error @+1 {{'kiln.conv2d' op expects positive window options}}
  %0 = kiln.conv2d %x, %k {strides = array<i64: 0, 1>} : (tensor<?x8x8x1xf32>, tensor<3x3x1x4xf32>) -> tensor<?x6x6x4xf32>
  return %0 : tensor<?x6x6x4xf32>
}

// -----

func.func @conv_rank(%x: tensor<?x784xf32>, %k: tensor<3x3x1x4xf32>) -> tensor<?x6x6x4xf32> {
  // expected-error @+1 {{'kiln.conv2d' op expects rank-4 NHWC input and result, got 'tensor<?x784xf32>' and 'tensor<?x6x6x4xf32>'}}
  %0 = kiln.conv2d %x, %k : (tensor<?x784xf32>, tensor<3x3x1x4xf32>) -> tensor<?x6x6x4xf32>
  return %0 : tensor<?x6x6x4xf32>
}

// -----

func.func @kernel_grad_type(%x: tensor<?x8x8x1xf32>, %dy: tensor<?x6x6x4xf32>) -> tensor<3x3x2x4xf32> {
  // expected-error @+1 {{'kiln.conv2d_kernel_grad' op expects the kernel's input channels to match the input}}
  %0 = kiln.conv2d_kernel_grad %x, %dy : (tensor<?x8x8x1xf32>, tensor<?x6x6x4xf32>) -> tensor<3x3x2x4xf32>
  return %0 : tensor<3x3x2x4xf32>
}

// -----

func.func @pool_channels(%x: tensor<?x26x26x32xf32>) -> tensor<?x13x13x16xf32> {
  // expected-error @+1 {{'kiln.max_pool2d' op expects result shape [?, 13, 13, 32], got 'tensor<?x13x13x16xf32>'}}
  %0 = kiln.max_pool2d %x {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x16xf32>
  return %0 : tensor<?x13x13x16xf32>
}

// -----

func.func @pool_grad_types(%dy: tensor<?x13x13x32xf32>, %x: tensor<?x26x26x32xf32>, %y: tensor<?x13x13x32xf32>) -> tensor<?x26x26x16xf32> {
  // expected-error @+1 {{'kiln.max_pool2d_grad' op expects the result to have the input's type and the gradient the output's}}
  %0 = kiln.max_pool2d_grad %dy, %x, %y {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>, tensor<?x26x26x32xf32>, tensor<?x13x13x32xf32>) -> tensor<?x26x26x16xf32>
  return %0 : tensor<?x26x26x16xf32>
}

// -----

func.func @dropout_rate(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.dropout' op expects a rate in [0, 1), got 1}}
  %0 = kiln.dropout %x, %rng {rate = 1.0 : f32} : tensor<?x8xf32>, tensor<2xi64>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @dropout_rng(%x: tensor<?x8xf32>, %rng: tensor<3xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.dropout' op expects rng as tensor<2xi64> {seed, step}, got 'tensor<3xi64>'}}
  %0 = kiln.dropout %x, %rng {rate = 0.5 : f32} : tensor<?x8xf32>, tensor<3xi64>
  return %0 : tensor<?x8xf32>
}
