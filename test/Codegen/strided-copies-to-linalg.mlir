// RUN: kiln-opt %s -kiln-strided-copies-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @strided
func.func @strided(%src: memref<?x1x16xf32>, %dst: memref<?x1x16xf32, strided<[16, 16, 1]>>, %a: memref<4xf32>, %b: memref<4xf32>) {
  // CHECK: linalg.copy ins(%{{.*}} : memref<?x1x16xf32>) outs(%{{.*}} : memref<?x1x16xf32, strided<[16, 16, 1]>>)
  memref.copy %src, %dst : memref<?x1x16xf32> to memref<?x1x16xf32, strided<[16, 16, 1]>>
  // CHECK-NEXT: memref.copy %{{.*}}, %{{.*}} : memref<4xf32> to memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  return
}
