// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// The image resampling ops round trip; defaults (bilinear, constant fill
// of 0) are elided.

// CHECK-LABEL: func.func @image_transform
func.func @image_transform(%x: tensor<?x28x28x1xf32>, %t: tensor<?x8xf32>, %dy: tensor<?x14x20x1xf32>) -> (tensor<?x14x20x1xf32>, tensor<?x28x28x1xf32>) {
  // CHECK: kiln.image_transform %{{.*}}, %{{.*}} {fill_mode = "reflect", fill_value = 5.000000e-01 : f32, interpolation = "nearest"} : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x14x20x1xf32>
  %0 = kiln.image_transform %x, %t {fill_mode = "reflect", fill_value = 0.5 : f32, interpolation = "nearest"} : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x14x20x1xf32>
  // CHECK-NEXT: kiln.image_transform_grad %{{.*}}, %{{.*}} : (tensor<?x14x20x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x1xf32>
  %1 = kiln.image_transform_grad %dy, %t {fill_mode = "constant", interpolation = "bilinear"} : (tensor<?x14x20x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x1xf32>
  return %0, %1 : tensor<?x14x20x1xf32>, tensor<?x28x28x1xf32>
}

// One transform for the whole batch (Resizing).
// CHECK-LABEL: func.func @broadcast
func.func @broadcast(%x: tensor<?x28x28x3xf32>, %t: tensor<1x8xf32>) -> tensor<?x8x8x3xf32> {
  // CHECK: kiln.image_transform %{{.*}}, %{{.*}} {fill_mode = "nearest"} : (tensor<?x28x28x3xf32>, tensor<1x8xf32>) -> tensor<?x8x8x3xf32>
  %0 = kiln.image_transform %x, %t {fill_mode = "nearest"} : (tensor<?x28x28x3xf32>, tensor<1x8xf32>) -> tensor<?x8x8x3xf32>
  return %0 : tensor<?x8x8x3xf32>
}

// CHECK-LABEL: func.func @draws
func.func @draws(%x: tensor<?x28x28x1xf32>, %rng: tensor<2xi64>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  // CHECK: kiln.random_image_transforms %{{.*}}, %{{.*}} {kind = "flip", ranges = array<f32: 1.000000e+00, 0.000000e+00>, stream = 2 : i64} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  %0 = kiln.random_image_transforms %x, %rng {kind = "flip", ranges = array<f32: 1.0, 0.0>, stream = 2 : i64} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  // CHECK-NEXT: kiln.random_image_transforms %{{.*}}, %{{.*}} {kind = "zoom", ranges = array<f32: 8.000000e-01, 1.200000e+00>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  %1 = kiln.random_image_transforms %x, %rng {kind = "zoom", ranges = array<f32: 0.8, 1.2>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}
