// RUN: kiln-opt %s -split-input-file -verify-diagnostics -test-kiln-input-gradient-penalty="functions=loss lambda=10" | FileCheck %s

// The test pass adds a WGAN-GP penalty through emitVectorJacobianProduct:
// the critic's input gradient as explicit backward ops in @loss (seeded
// with ones of the score's type), the bias gradient the rules also emit
// removed as dead, then λ · mse(‖g_i‖, 1) added to the loss.
// CHECK-LABEL: func.func @loss(
// CHECK-SAME: %[[W:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x2x2xf32>
// CHECK: %[[F:.*]] = kiln.reshape %[[X]]
// CHECK-NEXT: %[[H:.*]] = kiln.matmul %[[F]], %[[W]]
// CHECK-NEXT: %[[Z:.*]] = kiln.add %[[H]], %{{.*}}
// CHECK-NEXT: %[[S:.*]] = kiln.tanh %[[Z]]
// CHECK-NEXT: %[[L:.*]] = kiln.mean_squared_error %[[S]], %{{.*}}
// CHECK-NEXT: %[[SEED:.*]] = kiln.scale %[[S]] {offset = 1.000000e+00 : f32, scale = 0.000000e+00 : f32} : tensor<?x3xf32>
// CHECK-NEXT: %[[DZ:.*]] = kiln.tanh_grad %[[SEED]], %[[S]]
// CHECK-NEXT: %[[DF:.*]] = kiln.matmul %[[DZ]], %[[W]] {transpose_rhs}
// CHECK-NEXT: %[[DX:.*]] = kiln.reshape %[[DF]] : (tensor<?x4xf32>) -> tensor<?x2x2xf32>
// CHECK-NEXT: %[[G:.*]] = kiln.reshape %[[DX]] : (tensor<?x2x2xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: %[[SQ:.*]] = kiln.mul %[[G]], %[[G]]
// CHECK-NEXT: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<4x1xf32>
// CHECK-NEXT: %[[SS:.*]] = kiln.matmul %[[SQ]], %[[ONES]] : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
// CHECK-NEXT: %[[N:.*]] = kiln.sqrt %[[SS]] : tensor<?x1xf32>
// CHECK-NEXT: %[[T:.*]] = kiln.scale %[[N]] {offset = 1.000000e+00 : f32, scale = 0.000000e+00 : f32}
// CHECK-NEXT: %[[P:.*]] = kiln.mean_squared_error %[[N]], %[[T]]
// CHECK-NEXT: %[[LP:.*]] = kiln.scale %[[P]] {scale = 1.000000e+01 : f32} : tensor<f32>
// CHECK-NEXT: %[[TOTAL:.*]] = kiln.add %[[L]], %[[LP]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK-NEXT: return %[[TOTAL]] : tensor<f32>
func.func @loss(%w: tensor<4x3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %b: tensor<3xf32> {kiln.param = {name = "b", initializer = "zeros"}},
                %x: tensor<?x2x2xf32> {kiln.input = "x"},
                %y: tensor<?x3xf32> {kiln.label = "y"}) -> tensor<f32> {
  %f = kiln.reshape %x : (tensor<?x2x2xf32>) -> tensor<?x4xf32>
  %h = kiln.matmul %f, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %z = kiln.add %h, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %s = kiln.tanh %z : tensor<?x3xf32>
  %l = kiln.mean_squared_error %s, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The sweep fails on an op without a gradient rule, naming it.
func.func @loss(%w: tensor<4x3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %x: tensor<?x4xf32> {kiln.input = "x"},
                %y: tensor<?x3xf32> {kiln.label = "y"}) -> tensor<f32> {
  // expected-error @+1 {{'kiln.linear' op has no gradient rule (GradientOpInterface); kiln-autodiff cannot differentiate it}}
  %h = kiln.linear %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %l = kiln.mean_squared_error %h, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
