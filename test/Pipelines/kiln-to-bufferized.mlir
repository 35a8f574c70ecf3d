// RUN: kiln-opt %S/Inputs/seed_loss.mlir -kiln-autodiff -kiln-fuse --kiln-to-bufferized="codegen=tuned" | FileCheck %s --check-prefixes=CHECK,TUNED
// RUN: kiln-opt %S/Inputs/seed_loss.mlir -kiln-autodiff -kiln-fuse --kiln-to-bufferized="codegen=naive" | FileCheck %s --check-prefixes=CHECK,NAIVE
// RUN: kiln-opt %s --kiln-to-bufferized | FileCheck %s --check-prefix=RESULTS

// Every public function takes its inputs, then one identity-layout memref
// per result, and returns nothing; the dynamic batch stays dynamic.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W1:[^:]*]]: memref<784x128xf32> {kiln.param ={{[^%]*}}%{{[^:]*}}: memref<128xf32>{{[^%]*}}%{{[^:]*}}: memref<128x10xf32>{{[^%]*}}%{{[^:]*}}: memref<10xf32>{{[^%]*}}
// CHECK-SAME: %[[X:[^:]*]]: memref<?x28x28xf32> {kiln.input = "x"}, %[[Y:[^:]*]]: memref<?xi32> {kiln.label = "y"},
// CHECK-SAME: %[[LOSS:[^:]*]]: memref<f32>, %[[ACC:[^:]*]]: memref<f32>, %[[DW1:[^:]*]]: memref<784x128xf32>, %[[DB1:[^:]*]]: memref<128xf32>, %[[DW2:[^:]*]]: memref<128x10xf32>, %[[DB2:[^:]*]]: memref<10xf32>) {
// CHECK-NOT: tensor<
// Intermediates come from the planned workspace, not from the allocator.
// CHECK: llvm.call @kiln_workspace(
// CHECK-NOT: memref.alloc(
// CHECK: memref.view
// The weight gradient is accumulated directly in the caller's buffer.
// TUNED: memref.subview %[[DW1]]
// TUNED: vector.transfer_write
// NAIVE: linalg.matmul {{.*}} outs(%[[DW1]] : memref<784x128xf32>)
// CHECK-NOT: memref.copy {{.*}}, %[[DW1]]
// CHECK-NOT: memref.dealloc
// CHECK: return{{$}}
// CHECK-NEXT: }

// A value returned twice gets two buffers; each result is computed in its
// out-param.
// RESULTS-LABEL: func.func @twice(
// RESULTS-SAME: %[[X:[^:]*]]: memref<4xf32>, %[[R0:[^:]*]]: memref<4xf32>, %[[R1:[^:]*]]: memref<4xf32>) {
// RESULTS: vector.transfer_write %{{.*}}, %[[R0]][
// RESULTS: memref.copy %[[R0]], %[[R1]]
// RESULTS-NEXT: return{{$}}
func.func @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r = kiln.relu %x : tensor<4xf32>
  return %r, %r : tensor<4xf32>, tensor<4xf32>
}

// RESULTS-LABEL: func.func @twice_dynamic(
// RESULTS-SAME: %[[X:[^:]*]]: memref<?x4xf32>, %[[R0:[^:]*]]: memref<?x4xf32>, %[[R1:[^:]*]]: memref<?x4xf32>) {
// RESULTS-NOT: memref.alloc
// RESULTS: vector.transfer_write %{{.*}}, %[[R0]][
// RESULTS: memref.copy %[[R0]], %[[R1]]
// RESULTS-NEXT: return{{$}}
func.func @twice_dynamic(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %r = kiln.relu %x : tensor<?x4xf32>
  return %r, %r : tensor<?x4xf32>, tensor<?x4xf32>
}

// Returning arguments copies them into the out-params.
// RESULTS-LABEL: func.func @arguments(
// RESULTS-SAME: %[[X:[^:]*]]: memref<?x4xf32>, %[[W:[^:]*]]: memref<4x4xf32>, %[[R0:[^:]*]]: memref<?x4xf32>, %[[R1:[^:]*]]: memref<4x4xf32>) {
// RESULTS-NEXT: memref.copy %[[X]], %[[R0]]
// RESULTS-NEXT: memref.copy %[[W]], %[[R1]]
// RESULTS-NEXT: return{{$}}
func.func @arguments(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> (tensor<?x4xf32>, tensor<4x4xf32>) {
  return %x, %w : tensor<?x4xf32>, tensor<4x4xf32>
}
