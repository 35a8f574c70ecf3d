// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// Normalization over the last dimension and its derivative round trip.

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<?x16xf32>, %dy: tensor<?x16xf32>, %s: tensor<?x5x8xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x5x8xf32>) {
  // CHECK: kiln.layer_norm %{{.*}} {epsilon = 1.000000e-03 : f32} : tensor<?x16xf32>
  %0 = kiln.layer_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x16xf32>
  // CHECK-NEXT: kiln.layer_norm_grad %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : tensor<?x16xf32>
  %1 = kiln.layer_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x16xf32>
  // CHECK-NEXT: kiln.layer_norm %{{.*}} {epsilon = 9.99999974E-6 : f32} : tensor<?x5x8xf32>
  %2 = kiln.layer_norm %s {epsilon = 1.0e-05 : f32} : tensor<?x5x8xf32>
  return %0, %1, %2 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x5x8xf32>
}

// CHECK-LABEL: func.func @batch_norm
func.func @batch_norm(%x: tensor<?x8x8x16xf32>, %dy: tensor<?x8x8x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> (tensor<?x8x8x16xf32>, tensor<?x8x8x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x8x8x16xf32>) {
  // CHECK: kiln.batch_norm %{{.*}} {epsilon = 1.000000e-03 : f32} : tensor<?x8x8x16xf32>
  %0 = kiln.batch_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x8x8x16xf32>
  // CHECK-NEXT: kiln.batch_norm_grad %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : tensor<?x8x8x16xf32>
  %1 = kiln.batch_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x8x8x16xf32>
  // CHECK-NEXT: kiln.moments %{{.*}} : (tensor<?x8x8x16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  %mean, %var = kiln.moments %x : (tensor<?x8x8x16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  // CHECK-NEXT: kiln.batch_norm_inference %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : (tensor<?x8x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x8x8x16xf32>
  %2 = kiln.batch_norm_inference %x, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<?x8x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x8x8x16xf32>
  return %0, %1, %mean, %var, %2 : tensor<?x8x8x16xf32>, tensor<?x8x8x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x8x8x16xf32>
}
