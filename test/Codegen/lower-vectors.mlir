// RUN: kiln-opt %s -kiln-lower-vectors | FileCheck %s

// A register tile on buffers: the accumulator's read/write pair leaves the K
// loop (it becomes an iter_arg) and the contraction becomes broadcast-FMA
// outer products on 1-D vectors.
// CHECK-LABEL: func.func @tile(
// CHECK-SAME: %[[A:.*]]: memref<6x64xf32>, %[[B:.*]]: memref<64x16xf32>, %[[C:.*]]: memref<6x16xf32>
// CHECK: vector.load %[[C]]
// CHECK: %[[ACC:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<6x16xf32>)
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.transfer_
// CHECK: vector.load %[[A]]{{.*}} : memref<6x64xf32>, vector<8xf32>
// CHECK: vector.load %[[B]]{{.*}} : memref<64x16xf32>, vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: scf.yield {{.*}} : vector<6x16xf32>
// CHECK: vector.store %{{.*}}, %[[C]]{{.*}} : memref<6x16xf32>, vector<16xf32>
func.func @tile(%a: memref<6x64xf32>, %b: memref<64x16xf32>, %c: memref<6x16xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %p = ub.poison : f32
  scf.for %k = %c0 to %c64 step %c8 {
    %acc = vector.transfer_read %c[%c0, %c0], %p {in_bounds = [true, true]} : memref<6x16xf32>, vector<6x16xf32>
    %va = vector.transfer_read %a[%c0, %k], %p {in_bounds = [true, true]} : memref<6x64xf32>, vector<6x8xf32>
    %vb = vector.transfer_read %b[%k, %c0], %p {in_bounds = [true, true]} : memref<64x16xf32>, vector<8x16xf32>
    %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %acc : vector<6x8xf32>, vector<8x16xf32> into vector<6x16xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<6x16xf32>, memref<6x16xf32>
  }
  return
}
