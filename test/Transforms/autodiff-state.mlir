// RUN: kiln-opt %s -split-input-file -kiln-autodiff -verify-diagnostics | FileCheck %s

// BatchNormalization's moving-average updates pass through undifferentiated:
// kiln.moments (no gradient rule) feeds only the state results, which come
// after the gradients and keep their `kiln.state_update` tags. The moving
// averages are frozen parameters: zero gradients, never differentiated.
module attributes {kiln.model = {name = "state"}} {
  func.func @loss(%w: tensor<4x3xf32> {kiln.param = {name = "d/kernel", initializer = "glorot_uniform"}},
                  %m: tensor<3xf32> {kiln.param = {name = "bn/moving_mean", initializer = "zeros", state, trainable = false}},
                  %v: tensor<3xf32> {kiln.param = {name = "bn/moving_variance", initializer = "ones", state, trainable = false}},
                  %x: tensor<?x4xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"})
      -> (tensor<f32>, tensor<f32>, tensor<3xf32> {kiln.state_update = 1 : i64}, tensor<3xf32> {kiln.state_update = 2 : i64}) {
    %h = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %n = kiln.batch_norm %h {epsilon = 1.0e-03 : f32} : tensor<?x3xf32>
    %bm, %bv = kiln.moments %h : (tensor<?x3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
    %m0 = kiln.scale %m {scale = 0.99 : f32} : tensor<3xf32>
    %m1 = kiln.scale %bm {scale = 0.01 : f32} : tensor<3xf32>
    %nm = kiln.add %m0, %m1 : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %v0 = kiln.scale %v {scale = 0.99 : f32} : tensor<3xf32>
    %v1 = kiln.scale %bv {scale = 0.01 : f32} : tensor<3xf32>
    %nv = kiln.add %v0, %v1 : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %p = kiln.softmax %n : tensor<?x3xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    %a = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %a, %nm, %nv : tensor<f32>, tensor<f32>, tensor<3xf32>, tensor<3xf32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4xf32> {kiln.input = "x"}
// CHECK-SAME: -> (tensor<f32>, tensor<f32>, tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32> {kiln.state_update = 1 : i64}, tensor<3xf32> {kiln.state_update = 2 : i64})
// CHECK: %[[H:.*]] = kiln.matmul %[[X]]
// CHECK: %[[BM:.*]], %[[BV:.*]] = kiln.moments %[[H]]
// CHECK: %[[NM:.*]] = kiln.add
// CHECK: %[[NV:.*]] = kiln.add
// CHECK: %[[L:.*]] = kiln.sparse_categorical_crossentropy
// CHECK: %[[A:.*]] = kiln.sparse_categorical_accuracy
// CHECK-NOT: kiln.moments
// CHECK: %[[DH:.*]] = kiln.batch_norm_grad %{{.*}}, %[[H]]
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DH]] {transpose_lhs}
// CHECK-NEXT: %[[Z0:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NEXT: %[[Z1:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NEXT: return %[[L]], %[[A]], %[[DW]], %[[Z0]], %[[Z1]], %[[NM]], %[[NV]] :

// -----

// A state update must come after the loss and metrics.
// expected-error @+1 {{kiln-autodiff: result #2 follows a state update; state updates must be the last results}}
func.func @loss(%w: tensor<3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %m: tensor<3xf32> {kiln.param = {name = "m", initializer = "zeros", state, trainable = false}},
                %x: tensor<?x3xf32>, %y: tensor<?x3xf32>)
    -> (tensor<f32>, tensor<3xf32> {kiln.state_update = 1 : i64}, tensor<f32>) {
  %p = kiln.mul %x, %w : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %l = kiln.mean_squared_error %p, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l, %m, %l : tensor<f32>, tensor<3xf32>, tensor<f32>
}

// -----

// It must update a frozen parameter, which the optimizer leaves alone.
// expected-error @+1 {{kiln-autodiff: result #1 updates argument #0, which is not a frozen parameter}}
func.func @loss(%w: tensor<3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %x: tensor<?x3xf32>, %y: tensor<?x3xf32>)
    -> (tensor<f32>, tensor<3xf32> {kiln.state_update = 0 : i64}) {
  %p = kiln.mul %x, %w : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %l = kiln.mean_squared_error %p, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<3xf32>
}

// -----

// expected-error @+1 {{kiln-autodiff: result #1 updates argument #2, which is not a frozen parameter}}
func.func @loss(%w: tensor<3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %x: tensor<?x3xf32>, %y: tensor<?x3xf32>)
    -> (tensor<f32>, tensor<3xf32> {kiln.state_update = 2 : i64}) {
  %p = kiln.mul %x, %w : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %l = kiln.mean_squared_error %p, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<3xf32>
}

// -----

// expected-error @+1 {{kiln-autodiff: result #1 has type 'tensor<2xf32>', but the parameter it updates has type 'tensor<3xf32>'}}
func.func @loss(%w: tensor<3xf32> {kiln.param = {name = "w", initializer = "zeros"}},
                %m: tensor<3xf32> {kiln.param = {name = "m", initializer = "zeros", state, trainable = false}},
                %x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %z: tensor<?x2xf32>)
    -> (tensor<f32>, tensor<2xf32> {kiln.state_update = 1 : i64}) {
  %p = kiln.mul %x, %w : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %l = kiln.mean_squared_error %p, %y : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  %s, %t = kiln.moments %z : (tensor<?x2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return %l, %s : tensor<f32>, tensor<2xf32>
}
