//===- Pipelines.cpp - Kiln's lowering pipelines --------------------------===//
//
// kiln (tensors) ──convert-kiln-to-linalg──► linalg on tensors
//   ──fusion, cleanup──► ──kiln-matmul-codegen (tuned)──► tiled vector code
//   ──one-shot-bufferize──► memrefs ──buffer-results-to-out-params──►
//   functions taking (inputs..., outputs...) ──deallocation──►
//   [C-ABI wrappers are added here by kiln-emit-abi-wrappers]
//   ──kiln-lower-vectors (tuned)──► 1-D vectors ──…-to-llvm──► LLVM dialect
//
//===----------------------------------------------------------------------===//

#include "kiln/Pipelines/Pipelines.h"

#include "kiln/Codegen/Passes.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::kiln;

std::optional<MatmulCodegen> mlir::kiln::parseMatmulCodegen(StringRef name) {
  if (name == "naive")
    return MatmulCodegen::Naive;
  if (name == "tuned")
    return MatmulCodegen::Tuned;
  return std::nullopt;
}

/// Canonicalization and CSE on every function.
static void addCleanup(OpPassManager &pm) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(createCanonicalizerPass());
  funcPm.addPass(createCSEPass());
}

void mlir::kiln::buildKilnToBufferizedPipeline(OpPassManager &pm,
                                               const LoweringOptions &options) {
  pm.addPass(createConvertKilnToLinalgPass());
  addCleanup(pm);
  // Before fusion and tiling, while every contraction is one op.
  pm.addPass(createKilnCountFlopsPass());
  if (options.optLevel > 0) {
    // Chains of elementwise generics become one loop nest. The matmul and
    // its in-place epilogue are left alone: that pair is fused by tiling;
    // reshapes around matmuls (im2col convolutions) stay outside them.
    pm.nest<func::FuncOp>().addPass(createKilnFuseElementwisePass());
    addCleanup(pm);
  }
  if (options.matmulCodegen == MatmulCodegen::Tuned) {
    pm.nest<func::FuncOp>().addPass(createKilnMatmulCodegenPass());
    addCleanup(pm);
  }

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  addCleanup(pm);

  // Results become trailing out-params; a result that is an allocation is
  // computed directly in the caller's buffer (each result in its own: a
  // value returned twice is copied first).
  pm.nest<func::FuncOp>().addPass(createKilnUniqueResultBuffersPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.hoistDynamicAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));

  // Small fixed-size temporaries (register-tile packs, per-row statistics of
  // a static batch) live on the stack; the rest is freed where it dies.
  bufferization::PromoteBuffersToStackPassOptions stack;
  stack.maxAllocSizeInBytes = 16 * 1024;
  // Never a stack buffer whose size the caller (the batch) controls.
  stack.maxRankOfAllocatedMemRef = 0;
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(bufferization::createBufferLoopHoistingPass());
  funcPm.addPass(bufferization::createPromoteBuffersToStackPass(stack));
  bufferization::buildBufferDeallocationPipeline(pm);
  addCleanup(pm);
  // What is left allocated per step comes from one planned workspace.
  pm.addPass(createKilnPlanWorkspacePass());
  addCleanup(pm);
}

void mlir::kiln::buildBufferizedToLLVMPipeline(OpPassManager &pm,
                                               const LoweringOptions &options) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  if (options.matmulCodegen == MatmulCodegen::Tuned) {
    funcPm.addPass(createKilnLowerVectorsPass());
    funcPm.addPass(createCanonicalizerPass());
  }
  funcPm.addPass(createKilnStridedCopiesToLinalgPass());
  funcPm.addPass(createConvertLinalgToLoopsPass());
  if (options.optLevel > 0)
    funcPm.addPass(createKilnApproximateMathPass());
  funcPm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  addCleanup(pm);

  pm.nest<func::FuncOp>().addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  // Whatever has no LLVM intrinsic becomes a libm call.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::kiln::buildKilnLoweringPipeline(OpPassManager &pm,
                                           const LoweringOptions &options) {
  buildKilnToBufferizedPipeline(pm, options);
  buildBufferizedToLLVMPipeline(pm, options);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

namespace {

/// `opt-level=N codegen=naive|tuned` on the command line.
struct LoweringPipelineOptions
    : public PassPipelineOptions<LoweringPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("Optimization level (0-3)"),
                            llvm::cl::init(2)};
  Option<MatmulCodegen> codegen{
      *this, "codegen", llvm::cl::desc("Matmul code generation"),
      llvm::cl::init(MatmulCodegen::Tuned),
      llvm::cl::values(
          clEnumValN(MatmulCodegen::Naive, "naive", "linalg to scalar loops"),
          clEnumValN(MatmulCodegen::Tuned, "tuned",
                     "register tiling, packing and vectorization"))};

  LoweringOptions toLoweringOptions() const {
    LoweringOptions options;
    options.optLevel = optLevel;
    options.matmulCodegen = codegen;
    return options;
  }
};

} // namespace

void mlir::kiln::registerKilnPipelines() {
  PassPipelineRegistration<LoweringPipelineOptions>(
      "kiln-to-bufferized",
      "Lower kiln ops to bufferized, vectorized functions with out-params",
      [](OpPassManager &pm, const LoweringPipelineOptions &options) {
        buildKilnToBufferizedPipeline(pm, options.toLoweringOptions());
      });
  PassPipelineRegistration<LoweringPipelineOptions>(
      "kiln-bufferized-to-llvm",
      "Lower bufferized functions (and C-ABI wrappers) to the LLVM dialect",
      [](OpPassManager &pm, const LoweringPipelineOptions &options) {
        buildBufferizedToLLVMPipeline(pm, options.toLoweringOptions());
      });
  PassPipelineRegistration<LoweringPipelineOptions>(
      "kiln-to-llvm", "Lower kiln ops all the way to the LLVM dialect",
      [](OpPassManager &pm, const LoweringPipelineOptions &options) {
        buildKilnLoweringPipeline(pm, options.toLoweringOptions());
      });
}
