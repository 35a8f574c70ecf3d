// RUN: kiln-opt %s -kiln-unique-result-buffers | FileCheck %s

// A buffer returned twice: the second result gets its own copy.
// CHECK-LABEL: func.func @twice(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x4xf32>, %[[Y:[^:]*]]: memref<4xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = memref.dim %[[X]], %[[C0]] : memref<?x4xf32>
// CHECK: %[[COPY:.*]] = memref.alloc(%[[N]]) : memref<?x4xf32>
// CHECK: memref.copy %[[X]], %[[COPY]] : memref<?x4xf32> to memref<?x4xf32>
// CHECK: return %[[X]], %[[COPY]], %[[Y]] : memref<?x4xf32>, memref<?x4xf32>, memref<4xf32>
func.func @twice(%x: memref<?x4xf32>, %y: memref<4xf32>) -> (memref<?x4xf32>, memref<?x4xf32>, memref<4xf32>) {
  return %x, %x, %y : memref<?x4xf32>, memref<?x4xf32>, memref<4xf32>
}
