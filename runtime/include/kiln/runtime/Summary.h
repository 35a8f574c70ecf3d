//===- Summary.h - `model summary` ------------------------------*- C++ -*-===//
//
// A Keras-like `model.summary()` table built from the descriptor's layers,
// followed by the parameter counts and the memory the runtime allocates for
// training: parameters, gradients, optimizer state and batch buffers.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_SUMMARY_H
#define KILN_RUNTIME_SUMMARY_H

#include <cstdint>
#include <string>

namespace kiln {
namespace runtime {

class ModelInfo;

/// Formats `value` with thousands separators: 101770 -> "101,770".
std::string formatWithCommas(int64_t value);

/// The complete summary text, ending in a newline.
std::string formatSummary(const ModelInfo &model);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_SUMMARY_H
