// RUN: kiln-opt %s -kiln-approximate-math | FileCheck %s

// exp, log and tanh become arithmetic (vectorizable); others stay.
// CHECK-LABEL: func.func @transcendental(
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK: math.sqrt
// CHECK: return
func.func @transcendental(%x: vector<8xf32>, %y: f32) -> (vector<8xf32>, f32, vector<8xf32>, f32) {
  %e = math.exp %x : vector<8xf32>
  %l = math.log %y : f32
  %t = math.tanh %x : vector<8xf32>
  %s = math.sqrt %y : f32
  return %e, %l, %t, %s : vector<8xf32>, f32, vector<8xf32>, f32
}
