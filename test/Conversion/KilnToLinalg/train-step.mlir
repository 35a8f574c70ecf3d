// RUN: kiln-opt %S/../../Pipelines/Inputs/seed_loss.mlir -kiln-autodiff -kiln-fuse -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %S/../../Pipelines/Inputs/seed_loss.mlir -kiln-autodiff -convert-kiln-to-linalg | FileCheck %s

// Every op of the seed MLP's training step (fused or not) is lowered; the
// three contractions of each dense layer are linalg.matmul.
// CHECK-LABEL: func.func @train_step(
// CHECK-NOT: = kiln.
// CHECK-COUNT-2: linalg.matmul ins
// CHECK-NOT: = kiln.
// CHECK-COUNT-3: linalg.matmul indexing_maps
// CHECK-NOT: = kiln.
// CHECK: return
