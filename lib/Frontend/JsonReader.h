//===- JsonReader.h - Typed access to JSON with paths for messages -*- C++ -*-//
//
// Internal to the frontend. The Keras importer reads llvm::json trees
// through these helpers so that every type error names the JSON path of the
// offending value (`$.config.layers[1].config.units`) and what was expected.
// Nothing here recurses over the tree: callers walk the fixed structure of
// the format they read.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_JSONREADER_H
#define KILN_LIB_FRONTEND_JSONREADER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>

namespace kiln {

/// Deepest nesting of arrays and objects accepted in a JSON model file.
/// llvm::json parses recursively; the limit is checked before it runs.
constexpr unsigned maxJsonNesting = 128;

/// Parses a JSON document. Refuses nesting deeper than `maxJsonNesting`.
/// Errors read `file: line L, column C: message`.
llvm::Expected<llvm::json::Value> parseJsonDocument(llvm::StringRef contents,
                                                    llvm::StringRef file);

/// A possibly absent JSON value with its path from the document root.
class JsonNode {
public:
  JsonNode(const llvm::json::Value *value, std::string path)
      : value(value), path(std::move(path)) {}

  /// The value, or null when the key or index is absent.
  const llvm::json::Value *get() const { return value; }
  const std::string &getPath() const { return path; }

  /// True when the key is absent.
  bool isAbsent() const { return !value; }
  /// True when the key is absent or its value is `null`.
  bool isAbsentOrNull() const;

  /// Member `key` of an object (absent if this is not an object or has no
  /// such key).
  JsonNode operator[](llvm::StringRef key) const;
  /// Element `index` of an array (absent if out of range or not an array).
  JsonNode at(size_t index) const;

private:
  const llvm::json::Value *value;
  std::string path;
};

/// Reads typed values out of JsonNodes of one file, turning mismatches into
/// `file: path: expected ..., got ...` errors.
class JsonReader {
public:
  explicit JsonReader(llvm::StringRef file) : file(file) {}

  llvm::StringRef getFile() const { return file; }

  /// Returns `file: node-path: message`.
  llvm::Error error(const JsonNode &node, const llvm::Twine &message) const;
  /// Returns `file: node-path: expected <what>, got <value>`.
  llvm::Error expected(const JsonNode &node, const llvm::Twine &what) const;

  llvm::Expected<const llvm::json::Object *>
  getObject(const JsonNode &node) const;
  llvm::Expected<const llvm::json::Array *>
  getArray(const JsonNode &node) const;
  llvm::Expected<llvm::StringRef> getString(const JsonNode &node) const;
  llvm::Expected<bool> getBool(const JsonNode &node) const;
  /// A finite number.
  llvm::Expected<double> getNumber(const JsonNode &node) const;
  /// An integer in [1, max].
  llvm::Expected<int64_t> getPositiveInt(const JsonNode &node,
                                         int64_t max) const;

  /// Like the getters above, but an absent or null value yields `fallback`.
  llvm::Expected<llvm::StringRef> getStringOr(const JsonNode &node,
                                              llvm::StringRef fallback) const;
  llvm::Expected<bool> getBoolOr(const JsonNode &node, bool fallback) const;
  llvm::Expected<std::optional<double>>
  getOptionalNumber(const JsonNode &node) const;

  /// Checks the members of the object at `node` that the caller does not
  /// read (those not in `handled`): Kiln does not implement them, so each
  /// must hold a value meaning "off" (null, false or 0). `owner` names what
  /// the options belong to in the message, e.g. "Dense".
  llvm::Error checkInertOptions(const JsonNode &node,
                                llvm::ArrayRef<llvm::StringRef> handled,
                                llvm::StringRef owner) const;

private:
  std::string file;
};

/// Returns a short description of a JSON value for messages: `null`,
/// `true`, `3.5`, `"text"` (shortened), `an array`, `an object`.
std::string describeJson(const llvm::json::Value &value);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_JSONREADER_H
