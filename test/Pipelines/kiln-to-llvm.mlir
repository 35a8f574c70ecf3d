// RUN: kiln-opt %S/Inputs/seed_loss.mlir -kiln-autodiff -kiln-fuse --kiln-to-llvm -o %t.tuned.mlir
// RUN: FileCheck %s --check-prefixes=CHECK,TUNED < %t.tuned.mlir
// RUN: FileCheck %s --check-prefix=LLVM < %t.tuned.mlir
// RUN: kiln-opt %S/Inputs/seed_loss.mlir -kiln-autodiff -kiln-fuse --kiln-to-llvm="codegen=naive opt-level=0" -o %t.naive.mlir
// RUN: FileCheck %s < %t.naive.mlir
// RUN: FileCheck %s --check-prefix=LLVM < %t.naive.mlir
// RUN: kiln-opt %s --kiln-bufferized-to-llvm | FileCheck %s --check-prefix=ABI

// Only the LLVM dialect is left; each memref argument is expanded into
// (allocated, aligned, offset, sizes..., strides...) and no C-interface
// wrapper is emitted.
// LLVM-NOT: {{ (func|memref|vector|scf|linalg|arith|math|affine|cf|tensor|ub|bufferization)\.}}
// LLVM-NOT: unrealized_conversion_cast
// LLVM-NOT: emit_c_interface
// LLVM-NOT: _mlir_ciface
// CHECK-LABEL: llvm.func @train_step(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64,
// The tuned matmuls are 16-wide FMAs.
// TUNED: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>

// What kiln-emit-abi-wrappers inserts between the two pipelines: a C-ABI
// entry point building memref descriptors from raw pointers and calling the
// bufferized function. The casts and the call convert cleanly.
// ABI-LABEL: llvm.func @step(
// ABI-SAME: %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64)
// ABI-LABEL: llvm.func @kiln_step(
// ABI-SAME: %[[N:.*]]: i64, %[[BUFFERS:.*]]: !llvm.ptr)
// ABI: %[[P0:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// ABI: %[[P1:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// ABI: llvm.call @step(%[[P0]], %[[P0]], %{{.*}}, %[[N]], %{{.*}}, %{{.*}}, %{{.*}}, %[[P1]], %[[P1]], %{{.*}})
// ABI-NOT: unrealized_conversion_cast
func.func @step(%x: memref<?x4xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0, %c0] : memref<?x4xf32>
  memref.store %v, %out[] : memref<f32>
  return
}

llvm.func @kiln_step(%n: i64, %buffers: !llvm.ptr) {
  %c0 = llvm.mlir.constant(0 : i64) : i64
  %c1 = llvm.mlir.constant(1 : i64) : i64
  %c4 = llvm.mlir.constant(4 : i64) : i64
  %a0 = llvm.getelementptr %buffers[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
  %p0 = llvm.load %a0 : !llvm.ptr -> !llvm.ptr
  %a1 = llvm.getelementptr %buffers[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
  %p1 = llvm.load %a1 : !llvm.ptr -> !llvm.ptr
  %u0 = llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d0 = llvm.insertvalue %p0, %u0[0] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d1 = llvm.insertvalue %p0, %d0[1] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d2 = llvm.insertvalue %c0, %d1[2] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d3 = llvm.insertvalue %n, %d2[3, 0] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d4 = llvm.insertvalue %c4, %d3[3, 1] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d5 = llvm.insertvalue %c4, %d4[4, 0] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %d6 = llvm.insertvalue %c1, %d5[4, 1] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
  %u1 = llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64)>
  %e0 = llvm.insertvalue %p1, %u1[0] : !llvm.struct<(ptr, ptr, i64)>
  %e1 = llvm.insertvalue %p1, %e0[1] : !llvm.struct<(ptr, ptr, i64)>
  %e2 = llvm.insertvalue %c0, %e1[2] : !llvm.struct<(ptr, ptr, i64)>
  %m0 = builtin.unrealized_conversion_cast %d6 : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x4xf32>
  %m1 = builtin.unrealized_conversion_cast %e2 : !llvm.struct<(ptr, ptr, i64)> to memref<f32>
  func.call @step(%m0, %m1) : (memref<?x4xf32>, memref<f32>) -> ()
  llvm.return
}
