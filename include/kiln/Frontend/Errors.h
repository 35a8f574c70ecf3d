//===- Errors.h - Frontend error messages -----------------------*- C++ -*-===//
//
// Every frontend error is one line of the form `FILE: PLACE: message`, where
// PLACE is a JSON path (`$.config.layers[1].config.units`), a layer
// (`layers[2] (dense_1)`), a field of the description (`training.loss`) or a
// position in the text (`line 3, column 5`). These helpers build them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ERRORS_H
#define KILN_FRONTEND_ERRORS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <string>

namespace kiln {

/// Returns an error whose message is `file: place: message`.
llvm::Error makeFrontendError(llvm::StringRef file, const llvm::Twine &place,
                              const llvm::Twine &message);

/// Returns the place naming layer `index` of a model, `layers[2] (dense_1)`,
/// or `layers[2]` when the layer has no name.
std::string layerPlace(size_t index, llvm::StringRef name);

/// Returns the place naming a position in a text file, `line 3, column 5`.
std::string textPlace(unsigned line, unsigned column);

/// Prints a number with the fewest significant digits that read back as the
/// same double (or float): `0.9`, `1e-07`, `-1`.
std::string formatShortest(double value);
std::string formatShortest(float value);

} // namespace kiln

#endif // KILN_FRONTEND_ERRORS_H
