//===- ObjectEmitter.h - LLVM dialect to native code ------------*- C++ -*-===//

#ifndef KILN_TARGET_OBJECTEMITTER_H
#define KILN_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace kiln {

struct CodegenOptions {
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
  /// "host" for the machine compiling, or an LLVM CPU name.
  std::string targetCPU = "host";
  /// Position-independent code, needed for shared libraries.
  bool pic = true;
};

/// Creates the target machine for the host triple and the chosen CPU, with
/// its features (AVX2, FMA, AVX-512... as the CPU has them).
llvm::FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodegenOptions &options, std::string &error);

/// Translates an LLVM-dialect module to LLVM IR for `machine`. Returns null
/// after emitting a diagnostic on failure.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &machine);

/// Runs LLVM's optimization pipeline of level `optLevel` (0 to 3).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                    unsigned optLevel);

/// Writes `module` as a native object file.
llvm::LogicalResult emitObject(llvm::Module &module,
                               llvm::TargetMachine &machine,
                               llvm::raw_pwrite_stream &os, std::string &error);

} // namespace kiln

#endif // KILN_TARGET_OBJECTEMITTER_H
