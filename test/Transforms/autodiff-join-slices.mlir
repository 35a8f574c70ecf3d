// RUN: kiln-opt %s -kiln-autodiff --split-input-file | FileCheck %s

// Slices of one value read by different ops (a recurrent layer's gates and
// timesteps) contribute their gradients placed into zeros; adjacent parts
// along one dimension are joined into one kiln.concat instead of being
// placed and added one by one. Here the three column blocks of %h tile it
// (the middle one dropped the dimension, as a timestep does).
func.func @loss(%w: tensor<4x5xf32> {kiln.param = {name = "w", initializer = "glorot_uniform"}},
                %x: tensor<?x4xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<f32>) {
  %h = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
  %a = kiln.slice %h {dim = 1 : i64, offset = 0 : i64} : (tensor<?x5xf32>) -> tensor<?x2xf32>
  %b = kiln.slice %h {dim = 1 : i64, offset = 2 : i64} : (tensor<?x5xf32>) -> tensor<?xf32>
  %c = kiln.slice %h {dim = 1 : i64, offset = 3 : i64} : (tensor<?x5xf32>) -> tensor<?x2xf32>
  %ta = kiln.tanh %a : tensor<?x2xf32>
  %tc = kiln.sigmoid %c : tensor<?x2xf32>
  %m = kiln.mul %ta, %tc : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %b2 = kiln.reshape %b : (tensor<?xf32>) -> tensor<?x1xf32>
  %z = kiln.concat %m, %b2 {dim = 1 : i64} : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
  %l = kiln.sparse_softmax_cross_entropy %z, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  %acc = kiln.sparse_categorical_accuracy %z, %y : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l, %acc : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @train_step(
// CHECK-NOT: kiln.slice_grad
// CHECK-DAG: %[[DA:.*]] = kiln.tanh_grad
// CHECK-DAG: %[[DC:.*]] = kiln.sigmoid_grad
// CHECK-DAG: %[[DB:.*]] = kiln.reshape %{{.*}} : (tensor<?x1xf32>) -> tensor<?xf32>
// CHECK: %[[DB1:.*]] = kiln.reshape %[[DB]] : (tensor<?xf32>) -> tensor<?x1xf32>
// CHECK: %[[DH:.*]] = kiln.concat %[[DA]], %[[DB1]], %[[DC]] {dim = 1 : i64} : (tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x2xf32>) -> tensor<?x5xf32>
// CHECK-NOT: kiln.slice_grad
// CHECK-NOT: kiln.add
// CHECK: kiln.matmul %{{.*}}, %[[DH]] {transpose_lhs}

// -----

// Parts that leave a gap are joined where they are adjacent and the run is
// placed once. Of two parts at one offset, the first contributed joins the
// run (the sweep runs backward, so the relu's before the tanh's); the other
// is placed and added on its own, as is the part beyond the gap. The terms
// are summed in the order they were contributed.
func.func @loss(%w: tensor<4x6xf32> {kiln.param = {name = "w", initializer = "glorot_uniform"}},
                %x: tensor<?x4xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<f32>) {
  %h = kiln.matmul %x, %w : (tensor<?x4xf32>, tensor<4x6xf32>) -> tensor<?x6xf32>
  %a = kiln.slice %h {dim = 1 : i64, offset = 1 : i64} : (tensor<?x6xf32>) -> tensor<?x1xf32>
  %b = kiln.slice %h {dim = 1 : i64, offset = 2 : i64} : (tensor<?x6xf32>) -> tensor<?x1xf32>
  %a2 = kiln.slice %h {dim = 1 : i64, offset = 1 : i64} : (tensor<?x6xf32>) -> tensor<?x1xf32>
  %d = kiln.slice %h {dim = 1 : i64, offset = 5 : i64} : (tensor<?x6xf32>) -> tensor<?x1xf32>
  %ta = kiln.tanh %a : tensor<?x1xf32>
  %tb = kiln.sigmoid %b : tensor<?x1xf32>
  %ta2 = kiln.relu %a2 : tensor<?x1xf32>
  %td = kiln.elu %d {alpha = 1.0 : f32} : tensor<?x1xf32>
  %z = kiln.concat %ta, %tb, %ta2, %td {dim = 1 : i64} : (tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %l = kiln.sparse_softmax_cross_entropy %z, %y : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<f32>
  %acc = kiln.sparse_categorical_accuracy %z, %y : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<f32>
  return %l, %acc : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @train_step(
// CHECK-DAG: %[[DA:.*]] = kiln.tanh_grad
// CHECK-DAG: %[[DB:.*]] = kiln.sigmoid_grad
// CHECK-DAG: %[[DA2:.*]] = kiln.relu_grad
// CHECK-DAG: %[[DD:.*]] = kiln.elu_grad
// CHECK-DAG: %[[PD:.*]] = kiln.slice_grad %[[DD]] {dim = 1 : i64, offset = 5 : i64}
// CHECK-DAG: %[[PA:.*]] = kiln.slice_grad %[[DA]] {dim = 1 : i64, offset = 1 : i64}
// CHECK: %[[JOINED:.*]] = kiln.concat %[[DA2]], %[[DB]] {dim = 1 : i64} : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
// CHECK: %[[PLACED:.*]] = kiln.slice_grad %[[JOINED]] {dim = 1 : i64, offset = 1 : i64} : (tensor<?x2xf32>) -> tensor<?x6xf32>
// CHECK: %[[S1:.*]] = kiln.add %[[PD]], %[[PLACED]]
// CHECK: %[[S2:.*]] = kiln.add %[[S1]], %[[PA]]
// CHECK: kiln.matmul %{{.*}}, %[[S2]] {transpose_lhs}
