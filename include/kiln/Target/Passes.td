//===- Passes.td - Passes preparing modules for the runtime -*- tablegen -*-===//

#ifndef KILN_TARGET_PASSES_TD
#define KILN_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnEmitAbiWrappersPass
    : Pass<"kiln-emit-abi-wrappers", "::mlir::ModuleOp"> {
  let summary = "Add the C entry points of the runtime ABI";
  let description = [{
    Runs on bufferized IR, where @train_step, @loss and @forward take their
    inputs and outputs as identity-layout memrefs. For each it adds the C
    entry point of `runtime/include/kiln/runtime/abi.h`
    (`kiln_train_step`, `kiln_evaluate`, `kiln_predict`), of type
    `void (int64_t n, void **buffers)`: it loads one pointer per memref
    argument, builds the memref descriptor (every dynamic extent is the
    batch size `n`, strides row-major) and calls the function, which becomes
    private so that LLVM may inline it.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // KILN_TARGET_PASSES_TD
