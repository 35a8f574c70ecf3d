// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @transform_rank(%x: tensor<?x28x28xf32>, %t: tensor<?x8xf32>) -> tensor<?x28x28xf32> {
  // expected-error @+1 {{'kiln.image_transform' op expects NHWC images with static height and width, got 'tensor<?x28x28xf32>' and 'tensor<?x28x28xf32>'}}
  %0 = kiln.image_transform %x, %t : (tensor<?x28x28xf32>, tensor<?x8xf32>) -> tensor<?x28x28xf32>
  return %0 : tensor<?x28x28xf32>
}

// -----

func.func @transform_channels(%x: tensor<?x28x28x1xf32>, %t: tensor<?x8xf32>) -> tensor<?x28x28x3xf32> {
  // expected-error @+1 {{'kiln.image_transform' op expects the same batch and channels in and out, got 'tensor<?x28x28x1xf32>' and 'tensor<?x28x28x3xf32>'}}
  %0 = kiln.image_transform %x, %t : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x3xf32>
  return %0 : tensor<?x28x28x3xf32>
}

// -----

func.func @transform_shape(%x: tensor<?x28x28x1xf32>, %t: tensor<?x6xf32>) -> tensor<?x28x28x1xf32> {
  // expected-error @+1 {{'kiln.image_transform' op expects transforms of shape Nx8 or 1x8, got 'tensor<?x6xf32>'}}
  %0 = kiln.image_transform %x, %t : (tensor<?x28x28x1xf32>, tensor<?x6xf32>) -> tensor<?x28x28x1xf32>
  return %0 : tensor<?x28x28x1xf32>
}

// -----

func.func @transform_count(%x: tensor<4x28x28x1xf32>, %t: tensor<3x8xf32>) -> tensor<4x28x28x1xf32> {
  // expected-error @+1 {{'kiln.image_transform' op expects one transform per image or one for all, got 'tensor<3x8xf32>' for 'tensor<4x28x28x1xf32>'}}
  %0 = kiln.image_transform %x, %t : (tensor<4x28x28x1xf32>, tensor<3x8xf32>) -> tensor<4x28x28x1xf32>
  return %0 : tensor<4x28x28x1xf32>
}

// -----

func.func @transform_interpolation(%x: tensor<?x28x28x1xf32>, %t: tensor<?x8xf32>) -> tensor<?x28x28x1xf32> {
  // expected-error @+1 {{'kiln.image_transform' op expects interpolation bilinear or nearest, got bicubic}}
  %0 = kiln.image_transform %x, %t {interpolation = "bicubic"} : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x1xf32>
  return %0 : tensor<?x28x28x1xf32>
}

// -----

func.func @grad_fill_mode(%dy: tensor<?x28x28x1xf32>, %t: tensor<?x8xf32>) -> tensor<?x28x28x1xf32> {
  // expected-error @+1 {{'kiln.image_transform_grad' op expects fill_mode constant, reflect, wrap or nearest, got mirror}}
  %0 = kiln.image_transform_grad %dy, %t {fill_mode = "mirror"} : (tensor<?x28x28x1xf32>, tensor<?x8xf32>) -> tensor<?x28x28x1xf32>
  return %0 : tensor<?x28x28x1xf32>
}

// -----

func.func @draw_kind(%x: tensor<?x28x28x1xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.random_image_transforms' op expects kind flip, rotation, zoom or translation, got shear}}
  %0 = kiln.random_image_transforms %x, %rng {kind = "shear", ranges = array<f32: 0.0, 1.0>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @draw_ranges(%x: tensor<?x28x28x1xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.random_image_transforms' op expects ranges fitting kind translation, got 2 values}}
  %0 = kiln.random_image_transforms %x, %rng {kind = "translation", ranges = array<f32: -0.1, 0.1>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @draw_order(%x: tensor<?x28x28x1xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.random_image_transforms' op expects each range as [lo, hi] with lo <= hi, got [3.000000e-01, -3.000000e-01]}}
  %0 = kiln.random_image_transforms %x, %rng {kind = "rotation", ranges = array<f32: 0.3, -0.3>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @draw_flip_flag(%x: tensor<?x28x28x1xf32>, %rng: tensor<2xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'kiln.random_image_transforms' op expects flip flags 0 or 1, got 5.000000e-01}}
  %0 = kiln.random_image_transforms %x, %rng {kind = "flip", ranges = array<f32: 0.5, 1.0>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @draw_result(%x: tensor<?x28x28x1xf32>, %rng: tensor<2xi64>) -> tensor<?x6xf32> {
  // expected-error @+1 {{'kiln.random_image_transforms' op expects one transform of 8 values per image, got 'tensor<?x6xf32>' for 'tensor<?x28x28x1xf32>'}}
  %0 = kiln.random_image_transforms %x, %rng {kind = "flip", ranges = array<f32: 1.0, 1.0>} : (tensor<?x28x28x1xf32>, tensor<2xi64>) -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}
