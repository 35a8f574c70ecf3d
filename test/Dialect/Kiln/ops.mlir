// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @dense
func.func @dense(%x: tensor<?x28x28xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  // CHECK: %[[S:.*]] = kiln.scale %{{.*}} {scale = 3.906250e-03 : f32} : tensor<?x28x28xf32>
  %s = kiln.scale %x {scale = 0.00390625 : f32} : tensor<?x28x28xf32>
  // CHECK-NEXT: %[[F:.*]] = kiln.reshape %[[S]] : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
  %f = kiln.reshape %s : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
  // CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[F]], %{{.*}} : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  %m = kiln.matmul %f, %w : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
  // CHECK-NEXT: %[[A:.*]] = kiln.add %[[M]], %{{.*}} : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %a = kiln.add %m, %b : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  // CHECK-NEXT: kiln.relu %[[A]] : tensor<?x128xf32>
  %r = kiln.relu %a : tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}
