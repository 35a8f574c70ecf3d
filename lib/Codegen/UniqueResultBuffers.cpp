//===- UniqueResultBuffers.cpp - One buffer per returned memref -----------===//
//
// `buffer-results-to-out-params` with `hoist-static-allocs` replaces the
// allocation of each returned memref by the matching out-param; a buffer
// returned twice would be replaced twice. Copying every repetition into a
// buffer of its own first makes the results distinct.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNUNIQUERESULTBUFFERSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

struct KilnUniqueResultBuffersPass
    : public kiln::impl::KilnUniqueResultBuffersPassBase<
          KilnUniqueResultBuffersPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      Location loc = ret.getLoc();
      llvm::SmallDenseSet<Value> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        Value value = operand.get();
        auto type = dyn_cast<MemRefType>(value.getType());
        if (!type || !type.getLayout().isIdentity() ||
            seen.insert(value).second)
          continue;
        SmallVector<Value> dynamicSizes;
        for (int64_t i = 0; i < type.getRank(); ++i)
          if (type.isDynamicDim(i))
            dynamicSizes.push_back(memref::DimOp::create(b, loc, value, i));
        Value copy = memref::AllocOp::create(b, loc, type, dynamicSizes);
        memref::CopyOp::create(b, loc, value, copy);
        operand.set(copy);
      }
    });
  }
};

} // namespace
