//===- ModelDescription.h - Kiln's canonical model description -*- C++ -*-===//
//
// The model description is the FlatBuffers schema `schema/model.fbs`; its
// object API (`kiln::fb::ModelT`, generated into the build tree) is what the
// importers produce and what the IR builder reads. This header reads and
// writes the schema's two serialized forms: the binary `.kmodel` and the
// JSON text form.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_MODELDESCRIPTION_H
#define KILN_FRONTEND_MODELDESCRIPTION_H

#include "kiln/Frontend/model_generated.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace kiln {

/// Returns true if `contents` starts like a binary model description: at
/// least 8 bytes with the identifier "KILN" at offset 4. The buffer may still
/// be corrupt; `readKModel` verifies it.
bool hasKModelIdentifier(llvm::StringRef contents);

/// Verifies and unpacks a binary `.kmodel`. `file` is used in messages.
llvm::Expected<std::unique_ptr<fb::ModelT>> readKModel(llvm::StringRef contents,
                                                       llvm::StringRef file);

/// Parses the schema's JSON text form (as `flatc --json` writes it; field
/// names may be unquoted). Syntax and schema errors carry line and column.
llvm::Expected<std::unique_ptr<fb::ModelT>>
parseModelJson(llvm::StringRef contents, llvm::StringRef file);

/// Writes `model` as a binary `.kmodel` (with the "KILN" identifier).
void writeKModel(const fb::ModelT &model, llvm::raw_ostream &os);

/// Writes `model` in the schema's JSON text form (strict JSON: quoted field
/// names), which `parseModelJson` reads back.
llvm::Error writeModelJson(const fb::ModelT &model, llvm::raw_ostream &os);

/// Returns the text of `schema/model.fbs` built into the compiler.
llvm::StringRef getModelSchemaText();

} // namespace kiln

#endif // KILN_FRONTEND_MODELDESCRIPTION_H
