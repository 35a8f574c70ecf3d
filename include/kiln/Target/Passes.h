//===- Passes.h - Passes preparing modules for the runtime ------*- C++ -*-===//

#ifndef KILN_TARGET_PASSES_H
#define KILN_TARGET_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kiln {

#define GEN_PASS_DECL
#include "kiln/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Target/Passes.h.inc"

} // namespace mlir::kiln

#endif // KILN_TARGET_PASSES_H
