// RUN: kiln-opt %s -convert-kiln-to-linalg -split-input-file | FileCheck %s

// The square root of a gradient penalty's norm and its derivative
// dy / (2 · y), each one elementwise generic.
// CHECK-LABEL: func.func @sqrt(
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.sqrt %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sqrt(%x: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %y = kiln.sqrt %x : tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqrt_grad(
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT: %[[D:.*]] = arith.mulf %[[Y]], %[[TWO]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[DY]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sqrt_grad(%dy: tensor<?x1xf32>, %y: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %dx = kiln.sqrt_grad %dy, %y : tensor<?x1xf32>
  return %dx : tensor<?x1xf32>
}
