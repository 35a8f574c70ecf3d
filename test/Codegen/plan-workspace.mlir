// RUN: kiln-opt %s -split-input-file -kiln-plan-workspace | FileCheck %s --check-prefixes=CHECK,RESHAPE

// Buffers whose live ranges do not overlap share a slot; a slot is as large
// as its largest buffer, in bytes per sample (64-byte aligned) plus fixed
// bytes. %a (16 B/sample → 64) and %c (40 B/sample → 64) share slot 0, %b
// (8 B/sample → 64) is live with both: slot 1 at 64·n.
// CHECK: module attributes {kiln.workspace = {step = array<i64: 128, 256>}}
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[X:.*]]: memref<?x4xf32>, %[[OUT:.*]]: memref<?x10xf32>)
// CHECK-DAG: %[[N:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[BYTES:.*]] = arith.index_cast
// CHECK: %[[DATA:.*]] = llvm.call @kiln_workspace(%[[BYTES]]) : (i64) -> !llvm.ptr
// CHECK: %[[WS:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?xi8>
// CHECK: memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x4xf32>
// CHECK: memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x2xf32>
// CHECK: memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x10xf32>
// CHECK: memref.view %[[WS]][%{{.*}}][] : memref<?xi8> to memref<256xi8>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: llvm.func internal @kiln_workspace(%{{.*}}: i64) -> !llvm.ptr
// CHECK: llvm.call @aligned_alloc
func.func @step(%x: memref<?x4xf32>, %out: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  memref.copy %x, %a : memref<?x4xf32> to memref<?x4xf32>
  %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x2xf32>
  %sa = memref.subview %a[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
  memref.copy %sa, %b : memref<?x2xf32, strided<[4, 1]>> to memref<?x2xf32>
  %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?x10xf32>
  %sc = memref.subview %c[0, 0] [%n, 2] [1, 1] : memref<?x10xf32> to memref<?x2xf32, strided<[10, 1]>>
  memref.copy %b, %sc : memref<?x2xf32> to memref<?x2xf32, strided<[10, 1]>>
  %fixed = memref.alloc() : memref<256xi8>
  memref.copy %c, %out : memref<?x10xf32> to memref<?x10xf32>
  memref.dealloc %a : memref<?x4xf32>
  memref.dealloc %b : memref<?x2xf32>
  memref.dealloc %c : memref<?x10xf32>
  memref.dealloc %fixed : memref<256xi8>
  return
}

// -----

// Sizes derived through reshapes: the im2col matrix of a 26×26 image has
// 676·n rows, and the buffer expanded back from it has n; the first and the
// last buffer share a slot (2 × 24384 bytes per sample).
// RESHAPE: kiln.workspace = {im2col = array<i64: 48768, 0>}
// RESHAPE-LABEL: func.func @im2col(
// RESHAPE-NOT: memref.alloc
func.func @im2col(%x: memref<?x26x26x9xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x26x26x9xf32>
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x26x26x9xf32>
  memref.copy %x, %a : memref<?x26x26x9xf32> to memref<?x26x26x9xf32>
  %cols = memref.collapse_shape %a [[0, 1, 2], [3]] : memref<?x26x26x9xf32> into memref<?x9xf32>
  %rows = memref.dim %cols, %c0 : memref<?x9xf32>
  %b = memref.alloc(%rows) {alignment = 64 : i64} : memref<?x9xf32>
  memref.copy %cols, %b : memref<?x9xf32> to memref<?x9xf32>
  %e = memref.expand_shape %b [[0, 1, 2], [3]] output_shape [%n, 26, 26, 9] : memref<?x9xf32> into memref<?x26x26x9xf32>
  %m = memref.dim %e, %c0 : memref<?x26x26x9xf32>
  %c = memref.alloc(%m) {alignment = 64 : i64} : memref<?x26x26x9xf32>
  memref.copy %e, %c : memref<?x26x26x9xf32> to memref<?x26x26x9xf32>
  return
}
