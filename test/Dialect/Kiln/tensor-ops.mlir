// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// The building blocks of unrolled recurrent layers round trip.

// CHECK-LABEL: func.func @mul
func.func @mul(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>, %v: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  // CHECK: kiln.mul %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %0 = kiln.mul %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  // CHECK-NEXT: kiln.mul %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %1 = kiln.mul %a, %v : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %0, %1 : tensor<?x64xf32>, tensor<?x64xf32>
}

// CHECK-LABEL: func.func @slices
func.func @slices(%x: tensor<?x28x28xf32>, %z: tensor<?x256xf32>, %b: tensor<2x192xf32>) -> (tensor<?x28xf32>, tensor<?x64xf32>, tensor<192xf32>, tensor<?x256xf32>) {
  // CHECK: kiln.slice %{{.*}} {dim = 1 : i64, offset = 3 : i64} : (tensor<?x28x28xf32>) -> tensor<?x28xf32>
  %0 = kiln.slice %x {dim = 1 : i64, offset = 3 : i64} : (tensor<?x28x28xf32>) -> tensor<?x28xf32>
  // CHECK-NEXT: kiln.slice %{{.*}} {dim = 1 : i64, offset = 64 : i64} : (tensor<?x256xf32>) -> tensor<?x64xf32>
  %1 = kiln.slice %z {dim = 1 : i64, offset = 64 : i64} : (tensor<?x256xf32>) -> tensor<?x64xf32>
  // CHECK-NEXT: kiln.slice %{{.*}} {dim = 0 : i64, offset = 1 : i64} : (tensor<2x192xf32>) -> tensor<192xf32>
  %2 = kiln.slice %b {dim = 0 : i64, offset = 1 : i64} : (tensor<2x192xf32>) -> tensor<192xf32>
  // CHECK-NEXT: kiln.slice_grad %{{.*}} {dim = 1 : i64, offset = 64 : i64} : (tensor<?x64xf32>) -> tensor<?x256xf32>
  %3 = kiln.slice_grad %1 {dim = 1 : i64, offset = 64 : i64} : (tensor<?x64xf32>) -> tensor<?x256xf32>
  return %0, %1, %2, %3 : tensor<?x28xf32>, tensor<?x64xf32>, tensor<192xf32>, tensor<?x256xf32>
}

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<?x1x64xf32>, %b: tensor<?x2x64xf32>) -> tensor<?x3x64xf32> {
  // CHECK: kiln.concat %{{.*}}, %{{.*}} {dim = 1 : i64} : (tensor<?x1x64xf32>, tensor<?x2x64xf32>) -> tensor<?x3x64xf32>
  %0 = kiln.concat %a, %b {dim = 1 : i64} : (tensor<?x1x64xf32>, tensor<?x2x64xf32>) -> tensor<?x3x64xf32>
  return %0 : tensor<?x3x64xf32>
}

// CHECK-LABEL: func.func @sqrt
func.func @sqrt(%x: tensor<?x1xf32>, %dy: tensor<?x1xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  // CHECK: %[[Y:.*]] = kiln.sqrt %{{.*}} : tensor<?x1xf32>
  %0 = kiln.sqrt %x : tensor<?x1xf32>
  // CHECK-NEXT: kiln.sqrt_grad %{{.*}}, %[[Y]] : tensor<?x1xf32>
  %1 = kiln.sqrt_grad %dy, %0 : tensor<?x1xf32>
  return %0, %1 : tensor<?x1xf32>, tensor<?x1xf32>
}
