//===- Pipelines.h - Kiln's lowering pipelines ------------------*- C++ -*-===//
//
// The lowering from the kiln dialect to the LLVM dialect, written once as
// pipeline builders: kiln-opt registers them as named pipelines and kilnc
// calls them, so the tool and the driver cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PIPELINES_PIPELINES_H
#define KILN_PIPELINES_PIPELINES_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::kiln {

/// How matmuls are turned into loops.
enum class MatmulCodegen {
  /// linalg → scalar loops. Slow but simple; the reference for the tuned
  /// path.
  Naive,
  /// Register tiling, packing and vectorization (kiln-matmul-codegen and
  /// kiln-lower-vectors).
  Tuned,
};

/// Parses `naive` or `tuned`.
std::optional<MatmulCodegen> parseMatmulCodegen(llvm::StringRef name);

/// Options shared by the lowering pipelines.
struct LoweringOptions {
  /// 0 skips the optional cleanups and fusions (for debugging); 1 and above
  /// enable them and the polynomial approximation of exp, log and tanh.
  unsigned optLevel = 2;
  MatmulCodegen matmulCodegen = MatmulCodegen::Tuned;
};

/// kiln dialect on tensors → linalg → (tiled, vectorized) → bufferized
/// functions with identity-layout memref arguments: every public function
/// takes its inputs, then its outputs, and returns nothing.
void buildKilnToBufferizedPipeline(OpPassManager &pm,
                                   const LoweringOptions &options);

/// Bufferized functions (plus whatever C-ABI wrappers were added in
/// between, calling them through `func.call` and
/// `builtin.unrealized_conversion_cast`) → LLVM dialect.
void buildBufferizedToLLVMPipeline(OpPassManager &pm,
                                   const LoweringOptions &options);

/// Both of the above in sequence.
void buildKilnLoweringPipeline(OpPassManager &pm,
                               const LoweringOptions &options);

/// Registers `kiln-to-bufferized`, `kiln-bufferized-to-llvm` and
/// `kiln-to-llvm`, each taking `opt-level=N` and `codegen=naive|tuned`.
void registerKilnPipelines();

} // namespace mlir::kiln

#endif // KILN_PIPELINES_PIPELINES_H
