// RUN: kiln-opt %s -split-input-file -kiln-autodiff -kiln-fuse -canonicalize | FileCheck %s

// Binary cross-entropy of a sigmoid becomes the logits form forward and
// backward: no sigmoid, no sigmoid_grad, and the sigmoid stays out of the
// kiln.linear epilogue. Binary accuracy reads the logits at threshold
// logit(0.5) = 0.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[Z:.*]] = kiln.linear
// CHECK-NOT: activation = #kiln.activation<sigmoid>
// CHECK-NOT: kiln.sigmoid
// CHECK-DAG: kiln.sigmoid_binary_cross_entropy %[[Z]], %{{.*}} :
// CHECK-DAG: kiln.binary_accuracy %[[Z]], %{{.*}} {threshold = 0.000000e+00 : f32}
// CHECK-DAG: kiln.sigmoid_binary_cross_entropy_grad %{{.*}}, %[[Z]], %{{.*}} :
// CHECK-NOT: kiln.sigmoid_grad
func.func @loss(%w: tensor<4x1xf32> {kiln.param = {name = "w", initializer = "glorot_uniform"}}, %b: tensor<1xf32> {kiln.param = {name = "b", initializer = "zeros"}}, %x: tensor<?x4xf32> {kiln.input = "x"}, %t: tensor<?x1xf32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
  %m = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
  %z = kiln.add %m, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  %p = kiln.sigmoid %z : tensor<?x1xf32>
  %l = kiln.binary_crossentropy %p, %t : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  %a = kiln.binary_accuracy %p, %t {threshold = 0.5 : f32} : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<f32>
}

// -----

// Categorical cross-entropy of a softmax: the fused softmax cross-entropy
// forward and backward; categorical accuracy reads the logits.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[Z:.*]] = kiln.linear
// CHECK-NOT: kiln.softmax
// CHECK-DAG: kiln.softmax_cross_entropy %[[Z]], %{{.*}} :
// CHECK-DAG: kiln.categorical_accuracy %[[Z]], %{{.*}} :
// CHECK-DAG: kiln.softmax_cross_entropy_grad %{{.*}}, %[[Z]], %{{.*}} :
// CHECK-NOT: kiln.softmax_grad
func.func @loss(%w: tensor<4x3xf32> {kiln.param = {name = "w", initializer = "glorot_uniform"}}, %b: tensor<3xf32> {kiln.param = {name = "b", initializer = "zeros"}}, %x: tensor<?x4xf32> {kiln.input = "x"}, %t: tensor<?x3xf32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
  %m = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %z = kiln.add %m, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %p = kiln.softmax %z : tensor<?x3xf32>
  %l = kiln.categorical_crossentropy %p, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  %a = kiln.categorical_accuracy %p, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<f32>
}

// -----

// A sigmoid that feeds only a regression loss is still a linear epilogue,
// and the loss's gradient runs through sigmoid's rule (inside the fused
// backward of the linear op or as sigmoid_grad).
// CHECK-LABEL: func.func @train_step
// CHECK: kiln.linear {{.*}}activation = #kiln.activation<sigmoid>
// CHECK: kiln.mean_squared_error
// CHECK: kiln.mean_squared_error_grad
func.func @loss(%w: tensor<4x2xf32> {kiln.param = {name = "w", initializer = "glorot_uniform"}}, %b: tensor<2xf32> {kiln.param = {name = "b", initializer = "zeros"}}, %x: tensor<?x4xf32> {kiln.input = "x"}, %t: tensor<?x2xf32> {kiln.label = "y"}) -> tensor<f32> {
  %m = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %z = kiln.add %m, %b : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %p = kiln.sigmoid %z : tensor<?x2xf32>
  %l = kiln.mean_squared_error %p, %t : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
