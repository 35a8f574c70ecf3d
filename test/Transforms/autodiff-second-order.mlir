// RUN: kiln-opt %s -kiln-autodiff="loss-function=tanh train-function=tanh_step" -kiln-autodiff="loss-function=sigmoid train-function=sigmoid_step" -kiln-autodiff="loss-function=elu train-function=elu_step" -kiln-autodiff="loss-function=masks train-function=masks_step" -kiln-autodiff="loss-function=conv train-function=conv_step" -kiln-autodiff="loss-function=sums train-function=sums_step" | FileCheck %s

// Second-order rules: the backward ops of a first sweep (the input gradient
// inside a gradient penalty) differentiated again. Each `<act>_grad(dy, y)`
// is linear in dy (its rule there is the same op) and has the derivative of
// its factor with respect to y; relu_grad and leaky_relu_grad are piecewise
// constant in their second operand (no contribution); the convolution's
// gradient ops are bilinear; reduce_sum broadcasts back through an add to
// zeros.

// CHECK-LABEL: func.func @tanh_step(
// CHECK: %[[A:.*]] = kiln.add %arg1, %arg0
// CHECK-NEXT: %[[Y:.*]] = kiln.tanh %[[A]]
// CHECK: %[[U:.*]] = kiln.mean_squared_error_grad
// CHECK-NEXT: %[[DDY:.*]] = kiln.tanh_grad %[[U]], %[[Y]] : tensor<?x4xf32>
// CHECK-NEXT: %[[UDY:.*]] = kiln.mul %[[U]], %[[A]]
// CHECK-NEXT: %[[UDYY:.*]] = kiln.mul %[[UDY]], %[[Y]]
// CHECK-NEXT: %[[DY:.*]] = kiln.scale %[[UDYY]] {scale = -2.000000e+00 : f32}
// CHECK-NEXT: %[[DA:.*]] = kiln.tanh_grad %[[DY]], %[[Y]]
// CHECK-NEXT: %[[SUM:.*]] = kiln.add %[[DDY]], %[[DA]]
// CHECK-NEXT: kiln.reduce_sum %[[SUM]]

// CHECK-LABEL: func.func @sigmoid_step(
// CHECK: %[[A:.*]] = kiln.add %arg1, %arg0
// CHECK-NEXT: %[[Y:.*]] = kiln.sigmoid %[[A]]
// CHECK: %[[U:.*]] = kiln.mean_squared_error_grad
// CHECK-NEXT: kiln.sigmoid_grad %[[U]], %[[Y]] : tensor<?x4xf32>
// CHECK-NEXT: %[[UDY:.*]] = kiln.mul %[[U]], %[[A]]
// CHECK-NEXT: %[[F:.*]] = kiln.scale %[[Y]] {offset = 1.000000e+00 : f32, scale = -2.000000e+00 : f32}
// CHECK-NEXT: %[[DY:.*]] = kiln.mul %[[UDY]], %[[F]]
// CHECK-NEXT: kiln.sigmoid_grad %[[DY]], %[[Y]]

// CHECK-LABEL: func.func @elu_step(
// CHECK: %[[A:.*]] = kiln.add %arg1, %arg0
// CHECK-NEXT: %[[Y:.*]] = kiln.elu %[[A]]
// CHECK: %[[U:.*]] = kiln.mean_squared_error_grad
// CHECK-NEXT: kiln.elu_grad %[[U]], %[[Y]] {alpha = 5.000000e-01 : f32}
// CHECK-NEXT: %[[UDY:.*]] = kiln.mul %[[U]], %[[A]]
// CHECK-NEXT: %[[POS:.*]] = kiln.relu_grad %[[UDY]], %[[Y]]
// CHECK-NEXT: %[[NEG:.*]] = kiln.scale %[[POS]] {scale = -1.000000e+00 : f32}
// CHECK-NEXT: %[[DY:.*]] = kiln.add %[[UDY]], %[[NEG]]
// CHECK-NEXT: kiln.elu_grad %[[DY]], %[[Y]] {alpha = 5.000000e-01 : f32}

// CHECK-LABEL: func.func @masks_step(
// CHECK: %[[A:.*]] = kiln.add %arg1, %arg0
// CHECK: %[[U:.*]] = kiln.mean_squared_error_grad
// CHECK-NEXT: %[[L:.*]] = kiln.leaky_relu_grad %[[U]], %[[A]] {alpha = 2.000000e-01 : f32}
// CHECK-NEXT: %[[R:.*]] = kiln.relu_grad %[[L]], %[[A]]
// CHECK-NEXT: %[[G:.*]] = kiln.reduce_sum %[[R]]
// CHECK-NEXT: return %{{.*}}, %[[G]]

// CHECK-LABEL: func.func @conv_step(
// CHECK-SAME: %[[K:[^:]*]]: tensor<3x3x2x4xf32>
// CHECK-SAME: %[[DYIN:[^:]*]]: tensor<?x4x4x4xf32>
// CHECK: %[[DX:.*]] = kiln.conv2d_input_grad %[[DYIN]], %[[K]]
// CHECK-NEXT: %[[Y:.*]] = kiln.conv2d %[[DX]], %[[K]]
// CHECK: %[[U:.*]] = kiln.mean_squared_error_grad
// CHECK-NEXT: %[[UX:.*]] = kiln.conv2d_input_grad %[[Y]], %[[U]] {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x4x4x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x8x8x2xf32>
// CHECK-NEXT: %[[UY:.*]] = kiln.conv2d %[[DX]], %[[U]] {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x4x4x4xf32>
// CHECK-NEXT: %[[VX:.*]] = kiln.conv2d_input_grad %[[UY]], %[[K]]
// CHECK-NEXT: %[[VK:.*]] = kiln.conv2d_kernel_grad %[[DX]], %[[UY]]
// CHECK-NEXT: %[[W:.*]] = kiln.add %[[UX]], %[[VX]]
// CHECK-NEXT: %[[WK:.*]] = kiln.conv2d_kernel_grad %[[W]], %[[DYIN]] {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x8x8x2xf32>, tensor<?x4x4x4xf32>) -> tensor<3x3x2x4xf32>
// CHECK-NEXT: kiln.add %[[VK]], %[[WK]]

// CHECK-LABEL: func.func @sums_step(
// CHECK: %[[A:.*]] = kiln.add %arg1, %arg0
// CHECK: %[[Q:.*]] = kiln.sqrt
// CHECK: %[[U:.*]] = kiln.mean_squared_error_grad
// CHECK-NEXT: %[[DS:.*]] = kiln.sqrt_grad %[[U]], %[[Q]] : tensor<3x4xf32>
// CHECK-NEXT: %[[Z:.*]] = kiln.scale %[[A]] {scale = 0.000000e+00 : f32} : tensor<?x3x4xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.add %[[Z]], %[[DS]] : (tensor<?x3x4xf32>, tensor<3x4xf32>) -> tensor<?x3x4xf32>
// CHECK-NEXT: kiln.reduce_sum %[[B]] : (tensor<?x3x4xf32>) -> tensor<4xf32>

module {
  func.func @tanh(%p: tensor<4xf32> {kiln.param = {name = "p", initializer = "zeros"}},
                  %x: tensor<?x4xf32> {kiln.input = "x"}) -> tensor<f32> {
    %a = kiln.add %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %y = kiln.tanh %a : tensor<?x4xf32>
    %g = kiln.tanh_grad %a, %y : tensor<?x4xf32>
    %l = kiln.mean_squared_error %g, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @sigmoid(%p: tensor<4xf32> {kiln.param = {name = "p", initializer = "zeros"}},
                     %x: tensor<?x4xf32> {kiln.input = "x"}) -> tensor<f32> {
    %a = kiln.add %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %y = kiln.sigmoid %a : tensor<?x4xf32>
    %g = kiln.sigmoid_grad %a, %y : tensor<?x4xf32>
    %l = kiln.mean_squared_error %g, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @elu(%p: tensor<4xf32> {kiln.param = {name = "p", initializer = "zeros"}},
                 %x: tensor<?x4xf32> {kiln.input = "x"}) -> tensor<f32> {
    %a = kiln.add %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %y = kiln.elu %a {alpha = 5.000000e-01 : f32} : tensor<?x4xf32>
    %g = kiln.elu_grad %a, %y {alpha = 5.000000e-01 : f32} : tensor<?x4xf32>
    %l = kiln.mean_squared_error %g, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @masks(%p: tensor<4xf32> {kiln.param = {name = "p", initializer = "zeros"}},
                   %x: tensor<?x4xf32> {kiln.input = "x"}) -> tensor<f32> {
    %a = kiln.add %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %r = kiln.relu_grad %a, %a : tensor<?x4xf32>
    %g = kiln.leaky_relu_grad %r, %a {alpha = 2.000000e-01 : f32} : tensor<?x4xf32>
    %l = kiln.mean_squared_error %g, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @conv(%k: tensor<3x3x2x4xf32> {kiln.param = {name = "k", initializer = "zeros"}},
                  %x: tensor<?x8x8x2xf32> {kiln.input = "x"}, %dy: tensor<?x4x4x4xf32> {kiln.input = "dy"}) -> tensor<f32> {
    %dx = kiln.conv2d_input_grad %dy, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x4x4x4xf32>, tensor<3x3x2x4xf32>) -> tensor<?x8x8x2xf32>
    %y = kiln.conv2d %dx, %k {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x4x4x4xf32>
    %dk = kiln.conv2d_kernel_grad %dx, %y {padding = #kiln.padding<same>, strides = array<i64: 2, 2>} : (tensor<?x8x8x2xf32>, tensor<?x4x4x4xf32>) -> tensor<3x3x2x4xf32>
    %t = arith.constant dense<0.0> : tensor<3x3x2x4xf32>
    %l = kiln.mean_squared_error %dk, %t : (tensor<3x3x2x4xf32>, tensor<3x3x2x4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @sums(%p: tensor<4xf32> {kiln.param = {name = "p", initializer = "zeros"}},
                  %x: tensor<?x3x4xf32> {kiln.input = "x"}) -> tensor<f32> {
    %a = kiln.add %x, %p : (tensor<?x3x4xf32>, tensor<4xf32>) -> tensor<?x3x4xf32>
    %s = kiln.reduce_sum %a : (tensor<?x3x4xf32>) -> tensor<3x4xf32>
    %q = kiln.sqrt %s : tensor<3x4xf32>
    %t = arith.constant dense<1.0> : tensor<3x4xf32>
    %l = kiln.mean_squared_error %q, %t : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}
