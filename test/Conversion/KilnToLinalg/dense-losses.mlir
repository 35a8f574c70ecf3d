// RUN: kiln-opt %s -convert-kiln-to-linalg -cse | FileCheck %s

// A dense-target loss is one full reduction of its per-element term into a
// 0-d tensor, then a scale by 1/N (all elements); its gradient is one
// elementwise generic scaled by dl / N.
// CHECK-LABEL: func.func @mse(
// CHECK-SAME: %[[P:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?x3xf32>
// CHECK: %[[D0:.*]] = tensor.dim %[[P]], %{{.*}} : tensor<?x3xf32>
// CHECK: %[[D1:.*]] = tensor.dim %[[P]], %{{.*}} : tensor<?x3xf32>
// CHECK: arith.muli
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]} ins(%[[P]], %[[T]] : tensor<?x3xf32>, tensor<?x3xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[E:.*]] = arith.subf
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[E]], %[[E]] : f32
// CHECK-NEXT: %[[ACC:.*]] = arith.addf %{{.*}}, %[[SQ]] : f32
// CHECK-NEXT: linalg.yield %[[ACC]]
// CHECK: linalg.generic {{.*}}iterator_types = []} ins(%[[SUM]] : tensor<f32>)
// CHECK: arith.mulf
func.func @mse(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<f32> {
  %l = kiln.mean_squared_error %p, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @mse_grad(
// CHECK: tensor.extract
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x3xf32>) outs(%{{.*}} : tensor<?x3xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @mse_grad(%dl: tensor<f32>, %p: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %g = kiln.mean_squared_error_grad %dl, %p, %t : (tensor<f32>, tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// The logits form of categorical cross-entropy reduces each row twice (max,
// sum of exponentials) and feeds both through row maps; the mean is over
// the batch only.
// CHECK-LABEL: func.func @softmax_ce(
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]}
// CHECK: math.log
func.func @softmax_ce(%z: tensor<?x10xf32>, %t: tensor<?x10xf32>) -> tensor<f32> {
  %l = kiln.softmax_cross_entropy %z, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// Every loss, gradient and metric lowers (no kiln op is left).
// CHECK-LABEL: func.func @all(
// CHECK-NOT: kiln.
// CHECK: return
func.func @all(%dl: tensor<f32>, %p: tensor<?x4xf32>, %t: tensor<?x4xf32>, %y: tensor<?xi32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = kiln.mean_absolute_error %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %1 = kiln.huber %p, %t {delta = 1.0 : f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %2 = kiln.binary_crossentropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %3 = kiln.sigmoid_binary_cross_entropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %4 = kiln.categorical_crossentropy %p, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %5 = kiln.binary_accuracy %p, %t {threshold = 0.5 : f32} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  %6 = kiln.sparse_top_k_categorical_accuracy %p, %y {k = 2 : i64} : (tensor<?x4xf32>, tensor<?xi32>) -> tensor<f32>
  %7 = kiln.mean_absolute_error_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %8 = kiln.huber_grad %dl, %p, %t {delta = 1.0 : f32} : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %9 = kiln.binary_crossentropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %10 = kiln.sigmoid_binary_cross_entropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %11 = kiln.categorical_crossentropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %12 = kiln.softmax_cross_entropy_grad %dl, %p, %t : (tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// The mean difference reduces p - t, scaled by 1/N; its gradient is dl / N
// everywhere (the per-element derivative is the constant 1).
// CHECK-LABEL: func.func @mean_difference(
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]}
// CHECK: arith.subf
// CHECK: arith.addf
// CHECK: linalg.yield
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]}
// CHECK-NOT: arith.subf
// CHECK: linalg.yield
func.func @mean_difference(%dl: tensor<f32>, %p: tensor<?x1xf32>, %t: tensor<?x1xf32>) -> (tensor<f32>, tensor<?x1xf32>) {
  %l = kiln.mean_difference %p, %t : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<f32>
  %g = kiln.mean_difference_grad %dl, %p, %t : (tensor<f32>, tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  return %l, %g : tensor<f32>, tensor<?x1xf32>
}
