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
