//===- PlanWorkspace.cpp - Step buffers carved from one workspace ---------===//
//
// After bufferization every intermediate of a step is a `memref.alloc`
// sized by the batch, freed at the end: a malloc and a free per buffer and
// step, and page faults whenever the allocator returns large blocks to the
// system. This pass plans them at compile time instead. Buffers whose live
// ranges do not overlap share a slot; each slot is as large as its largest
// buffer, as an affine function `perSample · n + fixed` of the batch size n,
// so one plan serves every batch size. At run time the function asks once
// for a workspace of the planned size (kiln_workspace, defined here: a
// thread-local buffer that grows and is then reused) and every buffer
// becomes a `memref.view` into it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::kiln {
#define GEN_PASS_DEF_KILNPLANWORKSPACEPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace mlir::kiln

using namespace mlir;

namespace {

constexpr StringLiteral kWorkspaceFn = "kiln_workspace";
constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

/// Size of a buffer as perSample · n + fixed bytes.
struct Extent {
  int64_t perSample = 0;
  int64_t fixed = 0;
};

struct PlannedBuffer {
  memref::AllocOp alloc;
  Extent extent;
  unsigned start = 0; // Position of the alloc in the entry block.
  unsigned end = 0;   // Position of the last op that uses it.
  unsigned slot = 0;
};

/// When `size` is `k · n` for the batch size n, returns k. The batch size is
/// any dynamic extent of a function argument (the ABI makes them all n);
/// bufferization derives other sizes from it through reshapes (an im2col
/// matrix has n·H·W rows) and through the sizes of earlier buffers.
std::optional<int64_t> batchMultiple(Value size) {
  // Tracked as size = n · numerator / denominator; iterative, since the
  // chain of buffers is as long as the model is deep.
  int64_t numerator = 1, denominator = 1;
  for (;;) {
    auto dim = size.getDefiningOp<memref::DimOp>();
    if (!dim || !dim.getConstantIndex())
      return std::nullopt;
    Value source = dim.getSource();
    int64_t index = *dim.getConstantIndex();
    for (;;) {
      auto type = dyn_cast<MemRefType>(source.getType());
      if (!type || !type.isDynamicDim(index))
        return std::nullopt;
      Operation *def = source.getDefiningOp();
      // The other extents of the reshaped group must be static.
      auto staticProduct = [](MemRefType t, ArrayRef<int64_t> dims,
                              int64_t skip) -> std::optional<int64_t> {
        int64_t product = 1;
        for (int64_t d : dims) {
          if (d == skip)
            continue;
          if (t.isDynamicDim(d))
            return std::nullopt;
          product *= t.getDimSize(d);
        }
        return product;
      };
      if (auto collapse = dyn_cast_or_null<memref::CollapseShapeOp>(def)) {
        // Result extent = product of the source extents of its group.
        auto srcType = collapse.getSrcType();
        SmallVector<ReassociationIndices> groups =
            collapse.getReassociationIndices();
        ArrayRef<int64_t> group = groups[index];
        std::optional<int64_t> dynamicDim;
        for (int64_t d : group)
          if (srcType.isDynamicDim(d))
            dynamicDim = d;
        if (!dynamicDim)
          return std::nullopt;
        auto others = staticProduct(srcType, group, *dynamicDim);
        if (!others)
          return std::nullopt;
        numerator *= *others;
        source = collapse.getSrc();
        index = *dynamicDim;
        continue;
      }
      if (auto expand = dyn_cast_or_null<memref::ExpandShapeOp>(def)) {
        // Source extent = product of the result extents of its group.
        int64_t srcDim = 0;
        ArrayRef<int64_t> group;
        SmallVector<ReassociationIndices> groups =
            expand.getReassociationIndices();
        for (auto [i, g] : llvm::enumerate(groups))
          if (llvm::is_contained(g, index)) {
            srcDim = i;
            group = g;
          }
        auto others = staticProduct(type, group, index);
        if (!others)
          return std::nullopt;
        denominator *= *others;
        source = expand.getSrc();
        index = srcDim;
        continue;
      }
      if (isa<BlockArgument>(source)) {
        if (numerator % denominator != 0)
          return std::nullopt;
        return numerator / denominator;
      }
      ValueRange sizes;
      if (auto alloc = dyn_cast_or_null<memref::AllocOp>(def))
        sizes = alloc.getDynamicSizes();
      else if (auto view = dyn_cast_or_null<memref::ViewOp>(def))
        sizes = view.getSizes();
      else
        return std::nullopt;
      if (sizes.size() != 1)
        return std::nullopt;
      size = sizes[0];
      break;
    }
  }
}

/// The buffer's size, when it is static or has one dynamic extent that is a
/// dimension of a function argument (which the ABI makes the batch size).
std::optional<Extent> extentOf(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.getLayout().isIdentity() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t bytes = (type.getElementTypeBitWidth() + 7) / 8;
  for (int64_t extent : type.getShape())
    if (!ShapedType::isDynamic(extent))
      bytes *= extent;
  ValueRange dynamic = alloc.getDynamicSizes();
  if (dynamic.size() > 1)
    return std::nullopt;
  if (dynamic.empty())
    return Extent{0, alignUp(bytes)};
  std::optional<int64_t> multiple = batchMultiple(dynamic[0]);
  if (!multiple)
    return std::nullopt;
  return Extent{alignUp(bytes * *multiple), 0};
}

/// The last op of `block` that uses `root`, following view-like ops (a
/// subview keeps the buffer alive as long as the subview is used). Returns
/// false when the buffer escapes in a way the plan cannot follow.
bool findLastUse(Value root, Block &block,
                 const DenseMap<Operation *, unsigned> &position,
                 unsigned &last) {
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (isa<memref::DeallocOp>(user))
        continue;
      if (isa<func::ReturnOp, func::CallOp>(user))
        return false;
      Operation *ancestor = block.findAncestorOpInBlock(*user);
      if (!ancestor)
        return false;
      last = std::max(last, position.lookup(ancestor));
      if (isa<ViewLikeOpInterface>(user) ||
          isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(user))
        for (Value result : user->getResults())
          worklist.push_back(result);
    }
  }
  return true;
}

/// Declares (once) the runtime-independent workspace allocator and defines
/// it in the LLVM dialect: a thread-local pointer and capacity, grown with
/// aligned_alloc when a call asks for more.
void defineWorkspaceFunction(ModuleOp module) {
  if (module.lookupSymbol(kWorkspaceFn))
    return;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();

  auto global = [&](StringRef name, Type type, Attribute init) {
    return LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/false,
                                  LLVM::Linkage::Internal, name, init,
                                  /*alignment=*/0, /*addrSpace=*/0,
                                  /*dsoLocal=*/false, /*thread_local_=*/true);
  };
  auto ptrGlobal = global("kiln_workspace_data", ptrTy, Attribute());
  {
    // A null initializer for the pointer needs a region.
    Block *init = b.createBlock(&ptrGlobal.getInitializerRegion());
    b.setInsertionPointToStart(init);
    LLVM::ReturnOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptrTy));
    b.setInsertionPointToEnd(module.getBody());
  }
  global("kiln_workspace_capacity", i64, b.getI64IntegerAttr(0));

  auto declare = [&](StringRef name, Type result, ArrayRef<Type> args) {
    if (module.lookupSymbol(name))
      return;
    LLVM::LLVMFuncOp::create(b, loc, name,
                             LLVM::LLVMFunctionType::get(result, args));
  };
  declare("aligned_alloc", ptrTy, {i64, i64});
  declare("free", LLVM::LLVMVoidType::get(ctx), {ptrTy});

  auto fn = LLVM::LLVMFuncOp::create(b, loc, kWorkspaceFn,
                                     LLVM::LLVMFunctionType::get(ptrTy, {i64}));
  fn.setLinkage(LLVM::Linkage::Internal);
  Block *entry = fn.addEntryBlock(b);
  Block *grow = b.createBlock(&fn.getBody());
  Block *done = b.createBlock(&fn.getBody());

  b.setInsertionPointToStart(entry);
  Value bytes = entry->getArgument(0);
  Value capAddr =
      LLVM::AddressOfOp::create(b, loc, ptrTy, "kiln_workspace_capacity");
  Value dataAddr =
      LLVM::AddressOfOp::create(b, loc, ptrTy, "kiln_workspace_data");
  Value capacity = LLVM::LoadOp::create(b, loc, i64, capAddr);
  Value tooSmall =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ugt, bytes, capacity);
  LLVM::CondBrOp::create(b, loc, tooSmall, grow, done);

  b.setInsertionPointToStart(grow);
  Value old = LLVM::LoadOp::create(b, loc, ptrTy, dataAddr);
  LLVM::CallOp::create(b, loc, TypeRange{}, "free", ValueRange{old});
  // aligned_alloc wants a multiple of the alignment.
  Value mask = LLVM::ConstantOp::create(b, loc, i64, kAlignment - 1);
  Value rounded = LLVM::AndOp::create(
      b, loc, LLVM::AddOp::create(b, loc, bytes, mask),
      LLVM::XOrOp::create(b, loc, mask,
                          LLVM::ConstantOp::create(b, loc, i64, -1)));
  Value align = LLVM::ConstantOp::create(b, loc, i64, kAlignment);
  Value fresh = LLVM::CallOp::create(b, loc, TypeRange{ptrTy}, "aligned_alloc",
                                     ValueRange{align, rounded})
                    .getResult();
  LLVM::StoreOp::create(b, loc, fresh, dataAddr);
  LLVM::StoreOp::create(b, loc, rounded, capAddr);
  LLVM::BrOp::create(b, loc, done);

  b.setInsertionPointToStart(done);
  Value data = LLVM::LoadOp::create(b, loc, ptrTy, dataAddr);
  LLVM::ReturnOp::create(b, loc, data);
}

/// memref<?xi8> over `data` with `bytes` elements, built as the LLVM memref
/// descriptor and cast; the cast folds away in the LLVM lowering.
Value workspaceMemRef(OpBuilder &b, Location loc, Value data, Value bytes) {
  MLIRContext *ctx = b.getContext();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  auto arrayTy = LLVM::LLVMArrayType::get(i64, 1);
  auto descTy = LLVM::LLVMStructType::getLiteral(
      ctx, {ptrTy, ptrTy, i64, arrayTy, arrayTy});
  Value desc = LLVM::PoisonOp::create(b, loc, descTy);
  desc = LLVM::InsertValueOp::create(b, loc, desc, data, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, data, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b, loc, desc,
                                     LLVM::ConstantOp::create(b, loc, i64, 0),
                                     ArrayRef<int64_t>{2});
  desc =
      LLVM::InsertValueOp::create(b, loc, desc, bytes, ArrayRef<int64_t>{3, 0});
  desc = LLVM::InsertValueOp::create(b, loc, desc,
                                     LLVM::ConstantOp::create(b, loc, i64, 1),
                                     ArrayRef<int64_t>{4, 0});
  auto type = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

struct KilnPlanWorkspacePass
    : public kiln::impl::KilnPlanWorkspacePassBase<KilnPlanWorkspacePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<NamedAttribute> plans;
    bool any = false;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      std::optional<Extent> total = planFunction(fn);
      if (!total)
        continue;
      any = true;
      OpBuilder b(module.getContext());
      plans.push_back(b.getNamedAttr(
          fn.getSymName(),
          b.getDenseI64ArrayAttr({total->perSample, total->fixed})));
    }
    if (!any)
      return;
    defineWorkspaceFunction(module);
    // What the descriptor and `summary` report: bytes per sample and fixed
    // bytes of each function's workspace.
    module->setAttr("kiln.workspace",
                    DictionaryAttr::get(module.getContext(), plans));
  }

  /// Plans the top-level allocations of `fn`; returns the workspace size, or
  /// nothing when there was nothing to plan.
  std::optional<Extent> planFunction(func::FuncOp fn) {
    Block &block = fn.getBody().front();
    DenseMap<Operation *, unsigned> position;
    unsigned index = 0;
    for (Operation &op : block)
      position[&op] = index++;

    SmallVector<PlannedBuffer> buffers;
    for (auto alloc : block.getOps<memref::AllocOp>()) {
      std::optional<Extent> extent = extentOf(alloc);
      if (!extent)
        continue;
      PlannedBuffer buffer{alloc, *extent, position[alloc], position[alloc]};
      if (!findLastUse(alloc.getResult(), block, position, buffer.end))
        continue;
      buffers.push_back(buffer);
    }
    if (buffers.empty())
      return std::nullopt;

    // Greedy slot assignment in program order: a buffer takes the first slot
    // whose previous occupant is dead by its start.
    SmallVector<unsigned> slotFreeAfter;
    SmallVector<Extent> slotExtent;
    for (PlannedBuffer &buffer : buffers) {
      unsigned slot = 0;
      while (slot < slotFreeAfter.size() && slotFreeAfter[slot] >= buffer.start)
        ++slot;
      if (slot == slotFreeAfter.size()) {
        slotFreeAfter.push_back(0);
        slotExtent.push_back({});
      }
      slotFreeAfter[slot] = buffer.end;
      slotExtent[slot].perSample =
          std::max(slotExtent[slot].perSample, buffer.extent.perSample);
      slotExtent[slot].fixed =
          std::max(slotExtent[slot].fixed, buffer.extent.fixed);
      buffer.slot = slot;
    }
    SmallVector<Extent> slotOffset(slotExtent.size());
    Extent total;
    for (auto [offset, extent] : llvm::zip(slotOffset, slotExtent)) {
      offset = total;
      total.perSample += extent.perSample;
      total.fixed += extent.fixed;
    }

    // At entry: n from any dynamic argument dimension, the workspace, and
    // then one view per buffer at its slot's offset.
    OpBuilder b = OpBuilder::atBlockBegin(&block);
    Location loc = fn.getLoc();
    Value n;
    for (BlockArgument arg : fn.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      for (int64_t d = 0; d < type.getRank() && !n; ++d)
        if (type.isDynamicDim(d))
          n = memref::DimOp::create(b, loc, arg, d);
      if (n)
        break;
    }
    if (!n && total.perSample != 0)
      return std::nullopt;
    Type i64 = b.getI64Type();
    auto bytesAt = [&](Extent e) -> Value {
      Value fixed = arith::ConstantIndexOp::create(b, loc, e.fixed);
      if (e.perSample == 0)
        return fixed;
      Value scaled = arith::MulIOp::create(
          b, loc, n, arith::ConstantIndexOp::create(b, loc, e.perSample));
      return arith::AddIOp::create(b, loc, scaled, fixed);
    };
    Value totalBytes = bytesAt(total);
    Value totalI64 = arith::IndexCastOp::create(b, loc, i64, totalBytes);
    auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
    Value data = LLVM::CallOp::create(b, loc, TypeRange{ptrTy}, kWorkspaceFn,
                                      ValueRange{totalI64})
                     .getResult();
    Value workspace = workspaceMemRef(b, loc, data, totalI64);

    for (PlannedBuffer &buffer : buffers) {
      memref::AllocOp alloc = buffer.alloc;
      OpBuilder at(alloc);
      Value offset = [&] {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(alloc);
        return bytesAt(slotOffset[buffer.slot]);
      }();
      auto view =
          memref::ViewOp::create(at, alloc.getLoc(), alloc.getType(), workspace,
                                 offset, alloc.getDynamicSizes());
      for (Operation *user :
           llvm::make_early_inc_range(alloc.getResult().getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.getResult().replaceAllUsesWith(view.getResult());
      alloc.erase();
    }
    return total;
  }
};

} // namespace
