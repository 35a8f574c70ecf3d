// RUN: kiln-opt %s --one-shot-bufferize=bufferize-function-boundaries --cse --canonicalize --split-input-file | FileCheck %s

// Kiln's slice models (lib/Codegen/TensorSubsetModels.cpp) stand in for the
// tensor dialect's: a tile read and written back through the same offsets
// and sizes (a boundary tile of dynamic size here) bufferizes in place, a
// subview of the function's own buffer, with no allocation and no copy
// (bufferization copies the tile onto itself, which canonicalization drops).
// CHECK-LABEL: func @tile_in_place
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: scf.for
// CHECK: memref.subview %arg0
// CHECK-NOT: memref.copy
// CHECK: return
#size = affine_map<(d0)[s0] -> (-d0 + s0, 6)>
func.func @tile_in_place(%t: tensor<?x16xf32>, %n: index) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %c6 = arith.constant 6 : index
  %one = arith.constant 1.0 : f32
  %r = scf.for %i = %c0 to %n step %c6 iter_args(%acc = %t) -> (tensor<?x16xf32>) {
    %m = affine.min #size(%i)[%n]
    %tile = tensor.extract_slice %acc[%i, 0] [%m, 16] [1, 1] : tensor<?x16xf32> to tensor<?x16xf32>
    %filled = linalg.fill ins(%one : f32) outs(%tile : tensor<?x16xf32>) -> tensor<?x16xf32>
    %back = tensor.insert_slice %filled into %acc[%i, 0] [%m, 16] [1, 1] : tensor<?x16xf32> into tensor<?x16xf32>
    scf.yield %back : tensor<?x16xf32>
  }
  return %r : tensor<?x16xf32>
}

// -----

// A tile written back at another offset than it was read from is a real
// read-after-write conflict: the read tile is copied first.
// CHECK-LABEL: func @tile_elsewhere
// CHECK: memref.alloc
// CHECK: memref.copy
func.func @tile_elsewhere(%t: tensor<16x16xf32>, %i: index, %j: index) -> (tensor<16x16xf32>, tensor<4x16xf32>) {
  %one = arith.constant 1.0 : f32
  %tile = tensor.extract_slice %t[%i, 0] [4, 16] [1, 1] : tensor<16x16xf32> to tensor<4x16xf32>
  %filled = linalg.fill ins(%one : f32) outs(%tile : tensor<4x16xf32>) -> tensor<4x16xf32>
  %back = tensor.insert_slice %filled into %t[%j, 0] [4, 16] [1, 1] : tensor<4x16xf32> into tensor<16x16xf32>
  return %back, %tile : tensor<16x16xf32>, tensor<4x16xf32>
}
