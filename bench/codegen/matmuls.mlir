// The matmuls of the seed MLP's training step (batch dynamic), one function
// each, for bench/codegen/run.sh.
func.func @fwd1(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %h = kiln.linear %x, %w, %b {activation = #kiln.activation<relu>} : (tensor<?x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}
func.func @fwd2(%x: tensor<?x128xf32>, %w: tensor<128x10xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %h = kiln.linear %x, %w, %b : (tensor<?x128xf32>, tensor<128x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %h : tensor<?x10xf32>
}
func.func @dx2(%dy: tensor<?x10xf32>, %w: tensor<128x10xf32>) -> tensor<?x128xf32> {
  %r = kiln.matmul %dy, %w {transpose_rhs} : (tensor<?x10xf32>, tensor<128x10xf32>) -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}
func.func @dx1(%dy: tensor<?x128xf32>, %w: tensor<784x128xf32>) -> tensor<?x784xf32> {
  %r = kiln.matmul %dy, %w {transpose_rhs} : (tensor<?x128xf32>, tensor<784x128xf32>) -> tensor<?x784xf32>
  return %r : tensor<?x784xf32>
}
func.func @dw1(%x: tensor<?x784xf32>, %dy: tensor<?x128xf32>) -> tensor<784x128xf32> {
  %r = kiln.matmul %x, %dy {transpose_lhs} : (tensor<?x784xf32>, tensor<?x128xf32>) -> tensor<784x128xf32>
  return %r : tensor<784x128xf32>
}
func.func @dw2(%x: tensor<?x128xf32>, %dy: tensor<?x10xf32>) -> tensor<128x10xf32> {
  %r = kiln.matmul %x, %dy {transpose_lhs} : (tensor<?x128xf32>, tensor<?x10xf32>) -> tensor<128x10xf32>
  return %r : tensor<128x10xf32>
}
