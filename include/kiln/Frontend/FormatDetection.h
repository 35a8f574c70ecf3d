//===- FormatDetection.h - Recognize a model file's format ------*- C++ -*-===//
//
// Model files are recognized by their content, never by their extension:
// a binary `.kmodel` by its FlatBuffers identifier, the JSON forms by the
// keys of their top-level object.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_FORMATDETECTION_H
#define KILN_FRONTEND_FORMATDETECTION_H

#include "llvm/ADT/StringRef.h"

namespace kiln {

enum class ModelFormat {
  /// Binary FlatBuffers description: identifier "KILN" at byte 4.
  KModel,
  /// The schema's JSON text form: a top-level object with `inputs`,
  /// `layers`, `training` or `name`.
  ModelJson,
  /// Keras JSON: `model.to_json()`, a `.keras` archive's `config.json` or a
  /// TensorFlow.js `model.json` (top-level `class_name`, `config`, `module`,
  /// `modelTopology`, ...).
  KerasJson,
  /// None of the above.
  Unknown,
};

/// Returns the format of a model file from its contents. Cheap: it looks at
/// the first bytes and the top-level keys only, so malformed JSON is still
/// attributed to the importer that can explain what is wrong with it.
ModelFormat detectModelFormat(llvm::StringRef contents);

/// Returns `text` without the UTF-8 byte order mark, white space and
/// `//` or `/* */` comments it starts with.
llvm::StringRef skipJsonPreamble(llvm::StringRef text);

/// Returns a human-readable name of `format`, e.g. "Keras JSON".
llvm::StringRef getModelFormatName(ModelFormat format);

} // namespace kiln

#endif // KILN_FRONTEND_FORMATDETECTION_H
