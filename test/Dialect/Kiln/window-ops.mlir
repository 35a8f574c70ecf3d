// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// Convolution, pooling and dropout round trip; default attributes (stride
// and dilation 1, valid padding, stream 0) are elided.

// CHECK-LABEL: func.func @conv_forward
func.func @conv_forward(%x: tensor<?x28x28x1xf32>, %k: tensor<3x3x1x32xf32>) -> (tensor<?x26x26x32xf32>, tensor<?x14x14x32xf32>, tensor<?x24x24x32xf32>) {
  // CHECK: kiln.conv2d %{{.*}}, %{{.*}} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  %0 = kiln.conv2d %x, %k {strides = array<i64: 1, 1>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  // CHECK-NEXT: kiln.conv2d %{{.*}}, %{{.*}} {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x14x14x32xf32>
  %1 = kiln.conv2d %x, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x14x14x32xf32>
  // CHECK-NEXT: kiln.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 2, 2>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x24x24x32xf32>
  %2 = kiln.conv2d %x, %k {dilations = array<i64: 2, 2>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x24x24x32xf32>
  return %0, %1, %2 : tensor<?x26x26x32xf32>, tensor<?x14x14x32xf32>, tensor<?x24x24x32xf32>
}

// CHECK-LABEL: func.func @conv_backward
func.func @conv_backward(%x: tensor<?x13x13x32xf32>, %k: tensor<3x3x32x64xf32>, %dy: tensor<?x11x11x64xf32>) -> (tensor<?x13x13x32xf32>, tensor<3x3x32x64xf32>) {
  // CHECK: kiln.conv2d_input_grad %{{.*}}, %{{.*}} : (tensor<?x11x11x64xf32>, tensor<3x3x32x64xf32>) -> tensor<?x13x13x32xf32>
  %dx = kiln.conv2d_input_grad %dy, %k : (tensor<?x11x11x64xf32>, tensor<3x3x32x64xf32>) -> tensor<?x13x13x32xf32>
  // CHECK-NEXT: kiln.conv2d_kernel_grad %{{.*}}, %{{.*}} : (tensor<?x13x13x32xf32>, tensor<?x11x11x64xf32>) -> tensor<3x3x32x64xf32>
  %dk = kiln.conv2d_kernel_grad %x, %dy : (tensor<?x13x13x32xf32>, tensor<?x11x11x64xf32>) -> tensor<3x3x32x64xf32>
  return %dx, %dk : tensor<?x13x13x32xf32>, tensor<3x3x32x64xf32>
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<?x26x26x32xf32>, %dy: tensor<?x13x13x32xf32>) -> (tensor<?x26x26x32xf32>, tensor<?x26x26x32xf32>) {
  // CHECK: %[[Y:.*]] = kiln.max_pool2d %{{.*}} {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
  %y = kiln.max_pool2d %x {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
  // CHECK-NEXT: kiln.max_pool2d_grad %{{.*}}, %{{.*}}, %[[Y]] {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>, tensor<?x26x26x32xf32>, tensor<?x13x13x32xf32>) -> tensor<?x26x26x32xf32>
  %dx = kiln.max_pool2d_grad %dy, %x, %y {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>, tensor<?x26x26x32xf32>, tensor<?x13x13x32xf32>) -> tensor<?x26x26x32xf32>
  // CHECK-NEXT: kiln.avg_pool2d %{{.*}} {padding = #kiln.padding<same>, pool_size = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
  %a = kiln.avg_pool2d %x {padding = #kiln.padding<same>, pool_size = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<?x26x26x32xf32>) -> tensor<?x13x13x32xf32>
  // CHECK-NEXT: kiln.avg_pool2d_grad %{{.*}} {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>) -> tensor<?x26x26x32xf32>
  %da = kiln.avg_pool2d_grad %a {pool_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x13x13x32xf32>) -> tensor<?x26x26x32xf32>
  return %dx, %da : tensor<?x26x26x32xf32>, tensor<?x26x26x32xf32>
}

// CHECK-LABEL: func.func @dropout
func.func @dropout(%x: tensor<?x1600xf32>, %rng: tensor<2xi64>) -> tensor<?x1600xf32> {
  // CHECK: kiln.dropout %{{.*}}, %{{.*}} {rate = 2.500000e-01 : f32, stream = 3 : i64} : tensor<?x1600xf32>, tensor<2xi64>
  %0 = kiln.dropout %x, %rng {rate = 0.25 : f32, stream = 3 : i64} : tensor<?x1600xf32>, tensor<2xi64>
  // CHECK-NEXT: kiln.dropout %{{.*}}, %{{.*}} {rate = 5.000000e-01 : f32} : tensor<?x1600xf32>, tensor<2xi64>
  %1 = kiln.dropout %0, %rng {rate = 0.5 : f32} : tensor<?x1600xf32>, tensor<2xi64>
  return %1 : tensor<?x1600xf32>
}

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<?x8xf32>, %dy: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // CHECK: kiln.relu6 %{{.*}} : tensor<?x8xf32>
  %0 = kiln.relu6 %x : tensor<?x8xf32>
  // CHECK-NEXT: kiln.elu
  %1 = kiln.elu %0 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.selu
  %2 = kiln.selu %1 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.softplus
  %3 = kiln.softplus %2 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.softsign
  %4 = kiln.softsign %3 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.hard_sigmoid
  %5 = kiln.hard_sigmoid %4 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.exponential
  %6 = kiln.exponential %5 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.gelu
  %7 = kiln.gelu %6 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.swish
  %8 = kiln.swish %7 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f32} : tensor<?x8xf32>
  %9 = kiln.leaky_relu %8 {alpha = 0.2 : f32} : tensor<?x8xf32>
  // CHECK-NEXT: kiln.gelu_grad %{{.*}}, %{{.*}} : tensor<?x8xf32>
  %10 = kiln.gelu_grad %dy, %9 : tensor<?x8xf32>
  // CHECK-NEXT: kiln.leaky_relu_grad %{{.*}}, %{{.*}} {alpha = 2.000000e-01 : f32} : tensor<?x8xf32>
  %11 = kiln.leaky_relu_grad %10, %9 {alpha = 0.2 : f32} : tensor<?x8xf32>
  // CHECK-NEXT: kiln.elu_grad %{{.*}}, %{{.*}} : tensor<?x8xf32>
  %12 = kiln.elu_grad %11, %1 : tensor<?x8xf32>
  return %12 : tensor<?x8xf32>
}
