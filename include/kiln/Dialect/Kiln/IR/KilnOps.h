//===- KilnOps.h - Kiln ops -------------------------------------*- C++ -*-===//

#ifndef KILN_DIALECT_KILN_IR_KILNOPS_H
#define KILN_DIALECT_KILN_IR_KILNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kiln/Dialect/Kiln/IR/KilnDialect.h"
#include "kiln/Dialect/Kiln/IR/KilnInterfaces.h"

#include "kiln/Dialect/Kiln/IR/KilnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnAttrs.h.inc"

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.h.inc"

namespace mlir::kiln {

/// Where one spatial dimension of a window op (convolution, pooling) reads
/// its input: `output` positions, the input padded by `padBefore` and
/// `padAfter` elements.
struct WindowDim {
  int64_t output;
  int64_t padBefore;
  int64_t padAfter;
};

/// Keras's (TensorFlow's) output extent and padding of one spatial
/// dimension: `valid` reads whole windows only; `same` gives
/// ceil(input / stride) positions and puts the odd element of the padding
/// after the data. Fails when the window does not fit (output < 1) or an
/// option is not positive.
std::optional<WindowDim> computeWindowDim(int64_t input, int64_t window,
                                          int64_t stride, int64_t dilation,
                                          Padding padding);

/// One spatial dimension of a transposed convolution whose input has
/// `input` positions: `output` is the result extent and `padBefore` the
/// offset `pt` (input position i, tap a writes result position
/// i·stride + a·dilation - pt); `padAfter` is how far the writes reach past
/// the result's end (the padding the transposed convolution's input
/// gradient reads there). Keras 3's rule (JAX's and TensorFlow's), with the
/// `outputPadding` already resolved. Fails when an option is out of range.
std::optional<WindowDim>
computeTransposeWindowDim(int64_t input, int64_t window, int64_t stride,
                          int64_t dilation, Padding padding,
                          int64_t outputPadding);

/// Keras's `output_padding` when the layer leaves it unset (None).
int64_t defaultTransposeOutputPadding(int64_t window, int64_t stride,
                                      int64_t dilation, Padding padding);

} // namespace mlir::kiln

#endif // KILN_DIALECT_KILN_IR_KILNOPS_H
