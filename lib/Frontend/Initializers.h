//===- Initializers.h - Initializer arguments -------------------*- C++ -*-===//
//
// Internal to the frontend: the arguments Keras's initializers take, their
// defaults and checks, shared by the analysis (which makes them explicit)
// and the IR builder (which attaches them to `kiln.param`).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_INITIALIZERS_H
#define KILN_LIB_FRONTEND_INITIALIZERS_H

#include "kiln/Frontend/ModelAnalysis.h"

#include "mlir/IR/Builders.h"

#include <string>

namespace kiln {

/// Whether the initializer takes arguments (and so always has an
/// `initializer_args` entry once analyzed).
bool takesInitializerArgs(InitializerKind kind);

/// The entry of `layer.initializer_args` for `option`
/// ("kernel_initializer", ...), or null.
fb::InitializerArgsT *findInitializerArgs(const fb::LayerT &layer,
                                          llvm::StringRef option);

/// Checks the arguments of the initializer `kind` named by `option` of
/// `layer` and fills in Keras's defaults, adding the entry if the
/// initializer takes arguments. Returns an error message, or an empty
/// string on success.
std::string resolveInitializerArgs(fb::LayerT &layer, llvm::StringRef option,
                                   InitializerKind kind);

/// The `initializer_args` dictionary of a `kiln.param` attribute for the
/// initializer named by `option` of `layer`, or null when it has none.
mlir::DictionaryAttr buildInitializerArgsAttr(mlir::Builder &builder,
                                              const fb::LayerT &layer,
                                              llvm::StringRef option);

/// The same for the parameter named `.../<weight>` owned by `layer`, whose
/// initializer is the layer's option `<weight>_initializer` (as
/// `dense/kernel` is initialized by `kernel_initializer`),
/// `recurrent_initializer` for `recurrent_kernel`.
mlir::DictionaryAttr buildParamInitializerArgsAttr(mlir::Builder &builder,
                                                   const fb::LayerT &layer,
                                                   llvm::StringRef paramName);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_INITIALIZERS_H
