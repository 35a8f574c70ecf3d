// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @mul_broadcast(%a: tensor<?x64xf32>, %b: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'kiln.mul' op expects the right operand's shape to be a suffix of the left operand's, got 'tensor<?x64xf32>' and 'tensor<32xf32>'}}
  %0 = kiln.mul %a, %b : (tensor<?x64xf32>, tensor<32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @slice_batch(%x: tensor<?x28xf32>) -> tensor<1x28xf32> {
  // expected-error @+1 {{'kiln.slice' op expects a static extent along dim 0, got 'tensor<?x28xf32>'}}
  %0 = kiln.slice %x {dim = 0 : i64, offset = 0 : i64} : (tensor<?x28xf32>) -> tensor<1x28xf32>
  return %0 : tensor<1x28xf32>
}

// -----

func.func @slice_bounds(%z: tensor<?x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'kiln.slice' op expects the slice [200, 200 + size) to lie inside extent 256 of dim 1, got 'tensor<?x64xf32>'}}
  %0 = kiln.slice %z {dim = 1 : i64, offset = 200 : i64} : (tensor<?x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @slice_dim(%z: tensor<?x256xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'kiln.slice' op expects 0 <= dim < 2, got 2}}
  %0 = kiln.slice %z {dim = 2 : i64, offset = 0 : i64} : (tensor<?x256xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @slice_other_dims(%x: tensor<?x28x28xf32>) -> tensor<?x2x27xf32> {
  // expected-error @+1 {{'kiln.slice' op expects the dimensions other than dim 1 to agree, got 'tensor<?x28x28xf32>' and 'tensor<?x2x27xf32>'}}
  %0 = kiln.slice %x {dim = 1 : i64, offset = 0 : i64} : (tensor<?x28x28xf32>) -> tensor<?x2x27xf32>
  return %0 : tensor<?x2x27xf32>
}

// -----

func.func @slice_grad_rank(%g: tensor<?x64xf32>) -> tensor<?x4x4x64xf32> {
  // expected-error @+1 {{'kiln.slice_grad' op expects the slice to have rank 4 or 3, got 'tensor<?x64xf32>'}}
  %0 = kiln.slice_grad %g {dim = 1 : i64, offset = 0 : i64} : (tensor<?x64xf32>) -> tensor<?x4x4x64xf32>
  return %0 : tensor<?x4x4x64xf32>
}

// -----

func.func @concat_extent(%a: tensor<?x1x64xf32>, %b: tensor<?x1x64xf32>) -> tensor<?x3x64xf32> {
  // expected-error @+1 {{'kiln.concat' op expects the result's extent along dim 1 to be 2, got 'tensor<?x3x64xf32>'}}
  %0 = kiln.concat %a, %b {dim = 1 : i64} : (tensor<?x1x64xf32>, tensor<?x1x64xf32>) -> tensor<?x3x64xf32>
  return %0 : tensor<?x3x64xf32>
}

// -----

func.func @concat_other_dims(%a: tensor<?x1x64xf32>, %b: tensor<?x1x32xf32>) -> tensor<?x2x64xf32> {
  // expected-error @+1 {{'kiln.concat' op expects the dimensions other than dim 1 to agree with the result, got 'tensor<?x1x32xf32>' and 'tensor<?x2x64xf32>'}}
  %0 = kiln.concat %a, %b {dim = 1 : i64} : (tensor<?x1x64xf32>, tensor<?x1x32xf32>) -> tensor<?x2x64xf32>
  return %0 : tensor<?x2x64xf32>
}

// -----

func.func @sqrt_integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'kiln.sqrt' op operand #0 must be ranked tensor of 32-bit float values}}
  %0 = kiln.sqrt %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @sqrt_grad_types(%dy: tensor<?x2xf32>, %y: tensor<?x1xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{'kiln.sqrt_grad' op requires the same type for all operands and results}}
  %0 = "kiln.sqrt_grad"(%dy, %y) : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
