//===- ModelWeights.cpp - Parameter values carried by a model file --------===//

#include "kiln/Frontend/ModelWeights.h"
#include "kiln/Frontend/Errors.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;
using namespace kiln;

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

static std::string weightPlace(size_t index, StringRef name) {
  std::string place = "weights[" + std::to_string(index) + "]";
  if (!name.empty())
    place += " (" + name.str() + ")";
  return place;
}

Expected<std::vector<std::vector<float>>>
kiln::matchModelWeights(const fb::ModelT &model,
                        ArrayRef<ParamSignature> params, StringRef file) {
  std::vector<std::vector<float>> values(params.size());
  StringMap<size_t> byName;
  for (size_t i = 0; i < params.size(); ++i)
    byName[params[i].name] = i;
  std::vector<bool> given(params.size(), false);
  for (size_t w = 0; w < model.weights.size(); ++w) {
    const fb::WeightT *weight = model.weights[w].get();
    std::string place = weightPlace(w, weight ? weight->name : "");
    if (!weight || weight->name.empty())
      return makeFrontendError(file, place, "the weight has no name");
    auto it = byName.find(weight->name);
    if (it == byName.end())
      return makeFrontendError(file, place,
                               "the model has no parameter of that name");
    size_t p = it->second;
    if (given[p])
      return makeFrontendError(file, place,
                               "a second weight for the same parameter");
    given[p] = true;
    ArrayRef<int64_t> shape = params[p].shape;
    if (ArrayRef<int64_t>(weight->shape) != shape)
      return makeFrontendError(file, place,
                               "shape " + formatShape(weight->shape) +
                                   " does not match the parameter's shape " +
                                   formatShape(shape));
    uint64_t count = 1;
    for (int64_t extent : shape)
      count *= static_cast<uint64_t>(extent);
    if (weight->data.size() != count)
      return makeFrontendError(
          file, place,
          Twine(weight->data.size()) + " values, but its shape " +
              formatShape(shape) + " holds " + Twine(count));
    for (size_t i = 0; i < weight->data.size(); ++i)
      if (!std::isfinite(weight->data[i]))
        return makeFrontendError(file, place,
                                 "element " + Twine(i) + " is not finite");
    values[p] = weight->data;
  }
  return values;
}

std::string kiln::writeKModelWithoutWeights(fb::ModelT &model) {
  std::vector<std::unique_ptr<fb::WeightT>> weights = std::move(model.weights);
  model.weights.clear();
  std::string bytes;
  raw_string_ostream os(bytes);
  writeKModel(model, os);
  os.flush();
  model.weights = std::move(weights);
  return bytes;
}
