//===- StridedCopiesToLinalg.cpp - Strided copies as loops ----------------===//
//
// Generated code links only the Kiln runtime (or nothing, as a shared
// library), so memref copies must not lower to MLIR's support-library call.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNSTRIDEDCOPIESTOLINALGPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

/// What the LLVM lowering turns into a memcpy without further analysis.
bool hasIdentityLayout(Value buffer) {
  return cast<MemRefType>(buffer.getType()).getLayout().isIdentity();
}

struct KilnStridedCopiesToLinalgPass
    : public kiln::impl::KilnStridedCopiesToLinalgPassBase<
          KilnStridedCopiesToLinalgPass> {
  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      if (hasIdentityLayout(copy.getSource()) &&
          hasIdentityLayout(copy.getTarget()))
        return;
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
