//===- KModel.cpp - Trained models as .kmodel files -----------------------===//
//
// The description is unpacked with the FlatBuffers object API, given its
// weights and packed again (a finished FlatBuffer cannot grow). Runtime and
// compiler are built from the same schema/model.fbs, so unpacking keeps
// every field the compiler wrote.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/KModel.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/model_generated.h"

#include <cmath>
#include <memory>

namespace kiln {
namespace runtime {

std::string buildKModel(const uint8_t *description, size_t size,
                        const std::vector<NamedTensor> &weights) {
  if (!description || size == 0)
    fail("this executable embeds no model description (it was compiled "
         "without one); export --format kmodel needs it, use --format npz");
  // The verifier checks alignment: copy into storage new[] aligned.
  std::vector<uint8_t> bytes(description, description + size);
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::ModelBufferHasIdentifier(bytes.data()) ||
      !fb::VerifyModelBuffer(verifier))
    fail("model descriptor: the embedded model description (%zu bytes) is "
         "corrupt",
         size);
  std::unique_ptr<fb::ModelT> model(fb::GetModel(bytes.data())->UnPack());
  model->weights.clear();
  for (const NamedTensor &tensor : weights) {
    auto weight = std::make_unique<fb::WeightT>();
    weight->name = tensor.name;
    weight->shape = tensor.shape;
    size_t count = 1;
    for (int64_t extent : tensor.shape)
      count *= static_cast<size_t>(extent);
    for (size_t i = 0; i < count; ++i)
      if (!std::isfinite(tensor.data[i]))
        fail("parameter '%s': element %zu is not finite; refusing to export "
             "it",
             tensor.name.c_str(), i);
    weight->data.assign(tensor.data, tensor.data + count);
    model->weights.push_back(std::move(weight));
  }
  flatbuffers::FlatBufferBuilder builder;
  fb::FinishModelBuffer(builder, fb::Model::Pack(builder, model.get()));
  return std::string(reinterpret_cast<const char *>(builder.GetBufferPointer()),
                     builder.GetSize());
}

void writeKModel(const std::string &path, const uint8_t *description,
                 size_t size, const std::vector<NamedTensor> &weights) {
  std::string bytes = buildKModel(description, size, weights);
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

} // namespace runtime
} // namespace kiln
