//===- AbiWrappers.cpp - C entry points of the runtime ABI ----------------===//
//
// The runtime calls every compiled function the same way, with the batch
// size and an array of raw buffer pointers (abi.h). This pass builds the
// memref descriptors those functions expect from that array, so neither
// side needs to know the other's calling convention for memrefs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Target/ModelInfo.h"
#include "kiln/Target/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNEMITABIWRAPPERSPASS
#include "kiln/Target/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

/// Builds the LLVM memref descriptor of `type` over `data`, whose dynamic
/// extents are all `n`, and casts it to the memref type. The cast folds away
/// when the memref is lowered to the very same descriptor struct.
Value buildMemRef(OpBuilder &b, Location loc, MemRefType type, Value data,
                  Value n) {
  MLIRContext *ctx = b.getContext();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {ptrTy, ptrTy, i64};
  if (rank > 0) {
    auto arrayTy = LLVM::LLVMArrayType::get(i64, rank);
    fields.append({arrayTy, arrayTy});
  }
  auto descTy = LLVM::LLVMStructType::getLiteral(ctx, fields);
  auto constant = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };

  Value desc = LLVM::PoisonOp::create(b, loc, descTy);
  desc = LLVM::InsertValueOp::create(b, loc, desc, data, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, data, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(0),
                                     ArrayRef<int64_t>{2});
  Value stride = constant(1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    int64_t extent = type.getDimSize(d);
    Value size = ShapedType::isDynamic(extent) ? n : constant(extent);
    desc = LLVM::InsertValueOp::create(b, loc, desc, size,
                                       ArrayRef<int64_t>{3, d});
    desc = LLVM::InsertValueOp::create(b, loc, desc, stride,
                                       ArrayRef<int64_t>{4, d});
    stride = LLVM::MulOp::create(b, loc, stride, size);
  }
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

struct KilnEmitAbiWrappersPass
    : public mlir::kiln::impl::KilnEmitAbiWrappersPassBase<KilnEmitAbiWrappersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (const ::kiln::EntryPoint &entry : ::kiln::getEntryPoints()) {
      auto callee = module.lookupSymbol<func::FuncOp>(entry.function);
      if (!callee)
        continue;
      if (failed(emitWrapper(module, callee, entry.symbol)))
        return signalPassFailure();
    }
  }

  LogicalResult emitWrapper(ModuleOp module, func::FuncOp callee,
                            StringRef symbol) {
    if (callee.getNumResults() != 0)
      return callee.emitError("expected results passed as out-parameters");
    Location loc = callee.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
    auto wrapper = func::FuncOp::create(
        b, loc, symbol, b.getFunctionType({b.getI64Type(), ptrTy}, {}));
    Block *entry = wrapper.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value n = entry->getArgument(0);
    Value buffers = entry->getArgument(1);

    SmallVector<Value> args;
    for (auto [i, type] : llvm::enumerate(callee.getArgumentTypes())) {
      auto memref = dyn_cast<MemRefType>(type);
      if (!memref || !memref.getLayout().isIdentity())
        return callee.emitError("argument #")
               << i << " is not an identity-layout memref: " << type;
      Value slot = LLVM::GEPOp::create(
          b, loc, ptrTy, ptrTy, buffers,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      Value data = LLVM::LoadOp::create(b, loc, ptrTy, slot);
      args.push_back(buildMemRef(b, loc, memref, data, n));
    }
    func::CallOp::create(b, loc, callee, args);
    func::ReturnOp::create(b, loc);
    callee.setPrivate();
    return success();
  }
};

} // namespace
