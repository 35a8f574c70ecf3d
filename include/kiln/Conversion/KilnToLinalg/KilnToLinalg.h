//===- KilnToLinalg.h - Kiln to linalg conversion ---------------*- C++ -*-===//

#ifndef KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
#define KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::kiln {

/// Adds the patterns rewriting every kiln op into linalg/tensor/arith/math
/// ops on tensors. Types are unchanged, so no type converter is needed.
void populateKilnToLinalgConversionPatterns(RewritePatternSet &patterns);

} // namespace mlir::kiln

#endif // KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
