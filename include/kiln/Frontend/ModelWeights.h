//===- ModelWeights.h - Parameter values carried by a model file -*- C++
//-*-===//
//
// A model description may carry the values of its parameters (`weights` in
// schema/model.fbs, written by `./model export --format kmodel`). kilnc
// matches them against the compiled parameters by name and shape and makes
// them the parameters' initial values; it embeds the description without
// them, for the executable to export again.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_MODELWEIGHTS_H
#define KILN_FRONTEND_MODELWEIGHTS_H

#include "kiln/Frontend/ModelDescription.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln {

/// A parameter of the compiled model, as the weights must match it.
struct ParamSignature {
  llvm::StringRef name;
  llvm::ArrayRef<int64_t> shape;
};

/// Returns, for each of `params`, the values `model.weights` gives it, or
/// an empty vector when it gives none. Fails, naming `file` and the weight,
/// when a weight has no name, names no parameter or one already given, has
/// another shape than its parameter, or holds another number of elements
/// than its shape or a non-finite one.
llvm::Expected<std::vector<std::vector<float>>>
matchModelWeights(const fb::ModelT &model,
                  llvm::ArrayRef<ParamSignature> params, llvm::StringRef file);

/// Returns the binary .kmodel of `model` without its weights (the form the
/// compiled executable embeds).
std::string writeKModelWithoutWeights(fb::ModelT &model);

} // namespace kiln

#endif // KILN_FRONTEND_MODELWEIGHTS_H
