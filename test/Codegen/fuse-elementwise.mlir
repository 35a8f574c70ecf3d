// RUN: kiln-opt %s -kiln-fuse-elementwise | FileCheck %s

// The convolution's matmul keeps its name and its reshapes (upstream's
// fusion would turn it into a 7-d linalg.generic that kiln-matmul-codegen
// does not tile), while the elementwise chain after it fuses into one
// generic.
// CHECK-LABEL: func.func @conv_bias_relu(
// CHECK: tensor.collapse_shape
// CHECK: linalg.matmul
// CHECK: tensor.expand_shape
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @conv_bias_relu(%cols: tensor<?x26x26x9xf32>, %k: tensor<9x32xf32>, %b: tensor<32xf32>) -> tensor<?x26x26x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %cols, %c0 : tensor<?x26x26x9xf32>
  %lhs = tensor.collapse_shape %cols [[0, 1, 2], [3]] : tensor<?x26x26x9xf32> into tensor<?x9xf32>
  %m = tensor.dim %lhs, %c0 : tensor<?x9xf32>
  %e = tensor.empty(%m) : tensor<?x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %mm = linalg.matmul ins(%lhs, %k : tensor<?x9xf32>, tensor<9x32xf32>) outs(%f : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = tensor.expand_shape %mm [[0, 1, 2], [3]] output_shape [%n, 26, 26, 32] : tensor<?x32xf32> into tensor<?x26x26x32xf32>
  %e2 = tensor.empty(%n) : tensor<?x26x26x32xf32>
  %add = linalg.generic {indexing_maps = [#id4, #bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %b : tensor<?x26x26x32xf32>, tensor<32xf32>) outs(%e2 : tensor<?x26x26x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x26x26x32xf32>
  %relu = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%add : tensor<?x26x26x32xf32>) outs(%e2 : tensor<?x26x26x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x26x26x32xf32>
  return %relu : tensor<?x26x26x32xf32>
}
