//===- KModel.h - Trained models as .kmodel files ---------------*- C++ -*-===//
//
// `export --format kmodel`: the model description the compiler embedded in
// the executable (KilnModelDesc::description, a schema/model.fbs
// FlatBuffer without weights) written back with a checkpoint's parameters
// as its `weights`. Compiling that file gives an executable that starts
// from those parameters (KILN_INIT_DATA).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_KMODEL_H
#define KILN_RUNTIME_KMODEL_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// One parameter to store: its name, shape and row-major float32 elements.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  const float *data = nullptr;
};

/// Returns the bytes of a .kmodel: the model description `description`
/// (`size` bytes; verified, an Error if corrupt) with `weights` as its
/// weights, replacing any it had.
std::string buildKModel(const uint8_t *description, size_t size,
                        const std::vector<NamedTensor> &weights);

/// Writes buildKModel's result to `path` atomically (AtomicFile).
void writeKModel(const std::string &path, const uint8_t *description,
                 size_t size, const std::vector<NamedTensor> &weights);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_KMODEL_H
