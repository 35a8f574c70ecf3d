// Matmul variants the tuned code generation distinguishes, each as one
// function (inputs, then the result), for matmul-numerics.test.

// Forward dense layers of the seed MLP.
func.func @fwd1(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %h = kiln.linear %x, %w, %b {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}
func.func @fwd2(%x: tensor<?x128xf32>, %w: tensor<128x10xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %h = kiln.linear %x, %w, %b : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %h : tensor<?x10xf32>
}
// Data gradients (packed transposed rhs).
func.func @dx1(%dy: tensor<?x128xf32>, %w: tensor<784x128xf32>) -> tensor<?x784xf32> {
  %r = kiln.matmul %dy, %w {transpose_rhs} : (tensor<?x128xf32>, tensor<784x128xf32>) -> tensor<?x784xf32>
  return %r : tensor<?x784xf32>
}
func.func @dx2(%dy: tensor<?x10xf32>, %w: tensor<128x10xf32>) -> tensor<?x128xf32> {
  %r = kiln.matmul %dy, %w {transpose_rhs} : (tensor<?x10xf32>, tensor<128x10xf32>) -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}
// Weight gradients (contraction over the batch).
func.func @dw1(%x: tensor<?x784xf32>, %dy: tensor<?x128xf32>) -> tensor<784x128xf32> {
  %r = kiln.matmul %x, %dy {transpose_lhs} : (tensor<?x784xf32>, tensor<?x128xf32>) -> tensor<784x128xf32>
  return %r : tensor<784x128xf32>
}
func.func @dw2(%x: tensor<?x128xf32>, %dy: tensor<?x10xf32>) -> tensor<128x10xf32> {
  %r = kiln.matmul %x, %dy {transpose_lhs} : (tensor<?x128xf32>, tensor<?x10xf32>) -> tensor<128x10xf32>
  return %r : tensor<128x10xf32>
}
// Remainders everywhere: K = 12 (tiles of 6), N = 20 (16 + 4), tanh.
func.func @odd_tanh(%x: tensor<?x12xf32>, %w: tensor<12x20xf32>, %b: tensor<20xf32>) -> tensor<?x20xf32> {
  %h = kiln.linear %x, %w, %b {activation = #kiln.activation<tanh>} : (tensor<?x12xf32>, tensor<12x20xf32>, tensor<20xf32>) -> tensor<?x20xf32>
  return %h : tensor<?x20xf32>
}
// A transposed rhs whose N (40) is not a multiple of 16: read transposed
// without packing; sigmoid, no bias.
func.func @odd_sigmoid(%x: tensor<?x30xf32>, %w: tensor<40x30xf32>) -> tensor<?x40xf32> {
  %h = kiln.linear %x, %w {activation = #kiln.activation<sigmoid>, transpose_rhs} : (tensor<?x30xf32>, tensor<40x30xf32>) -> tensor<?x40xf32>
  return %h : tensor<?x40xf32>
}
