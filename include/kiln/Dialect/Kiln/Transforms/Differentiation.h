//===- Differentiation.h - Reverse sweep over kiln ops ---------*- C++ -*-===//
//
// The reverse sweep of kiln-autodiff as a function: other passes and
// frontends call it to differentiate part of a function inside that
// function, e.g. the gradient of a critic with respect to its input inside
// a gradient penalty, which kiln-autodiff then differentiates again.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_DIFFERENTIATION_H
#define KILN_DIALECT_KILN_TRANSFORMS_DIFFERENTIATION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::kiln {
/// Emits at `builder`'s insertion point the vector-Jacobian product of
/// `outputs` (f32 tensors) seeded with `seeds` (one per output, same types)
/// with respect to each value of `wrt`, by reverse-mode differentiation of the
/// ops between them (all in one block, before the insertion point). Returns one
/// gradient per `wrt` value, of its type (a zero tensor when the outputs do not
/// depend on it; for a dynamic shape build the zeros from the value itself,
/// e.g. kiln.scale by 0). Fails with an error on the op that has no rule.
FailureOr<SmallVector<Value>>
emitVectorJacobianProduct(OpBuilder &builder, Location loc, ValueRange outputs,
                          ValueRange seeds, ValueRange wrt);
} // namespace mlir::kiln

#endif // KILN_DIALECT_KILN_TRANSFORMS_DIFFERENTIATION_H
