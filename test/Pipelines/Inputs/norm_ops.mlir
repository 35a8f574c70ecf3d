// The batch normalization ops, each as one function (inputs, then the
// results), for norm-numerics.test.

func.func @bn(%x: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  %y = kiln.batch_norm %x {epsilon = 1.0e-03 : f32} : tensor<?x3x4xf32>
  return %y : tensor<?x3x4xf32>
}
func.func @bn_grad(%dy: tensor<?x3x4xf32>, %x: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  %dx = kiln.batch_norm_grad %dy, %x {epsilon = 1.0e-03 : f32} : tensor<?x3x4xf32>
  return %dx : tensor<?x3x4xf32>
}
func.func @moments(%x: tensor<?x3x4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %mean, %var = kiln.moments %x : (tensor<?x3x4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %mean, %var : tensor<4xf32>, tensor<4xf32>
}
func.func @bn_inference(%x: tensor<?x4xf32>, %mean: tensor<4xf32>, %var: tensor<4xf32>) -> tensor<?x4xf32> {
  %y = kiln.batch_norm_inference %x, %mean, %var {epsilon = 1.0e-03 : f32} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
