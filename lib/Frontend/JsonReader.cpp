//===- JsonReader.cpp - Typed access to JSON with paths for messages ------===//

#include "JsonReader.h"

#include "kiln/Frontend/Errors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;
using namespace kiln;

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

/// Finds the first place where arrays and objects nest deeper than
/// `maxJsonNesting`, skipping string contents. Returns its byte offset.
static std::optional<size_t> findExcessiveNesting(StringRef text) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxJsonNesting)
        return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

/// Returns the 1-based line and column of byte `offset` in `text`.
static std::pair<unsigned, unsigned> lineAndColumn(StringRef text,
                                                   size_t offset) {
  StringRef before = text.take_front(offset);
  unsigned line = 1 + before.count('\n');
  size_t lineStart = before.rfind('\n');
  unsigned column =
      offset - (lineStart == StringRef::npos ? 0 : lineStart + 1) + 1;
  return {line, column};
}

Expected<json::Value> kiln::parseJsonDocument(StringRef contents,
                                              StringRef file) {
  contents.consume_front("\xEF\xBB\xBF"); // A UTF-8 byte order mark.
  if (std::optional<size_t> offset = findExcessiveNesting(contents)) {
    auto [line, column] = lineAndColumn(contents, *offset);
    return makeFrontendError(file, textPlace(line, column),
                             "JSON nested deeper than " +
                                 Twine(maxJsonNesting) + " levels");
  }
  Expected<json::Value> value = json::parse(contents);
  if (value)
    return value;
  // llvm::json logs `[L:C, byte=B]: message`; recover the parts so that
  // the message has the same shape as every other frontend error.
  std::string log = toString(value.takeError());
  StringRef rest(log);
  unsigned line = 0, column = 0;
  if (rest.consume_front("[") && !rest.consumeInteger(10, line) &&
      rest.consume_front(":") && !rest.consumeInteger(10, column)) {
    size_t end = rest.find("]: ");
    if (end != StringRef::npos)
      return makeFrontendError(file, textPlace(line, column),
                               "invalid JSON: " + rest.drop_front(end + 3));
  }
  return makeFrontendError(file, "JSON", "invalid JSON: " + log);
}

//===----------------------------------------------------------------------===//
// JsonNode
//===----------------------------------------------------------------------===//

bool JsonNode::isAbsentOrNull() const { return !value || value->getAsNull(); }

/// Appends `key` to a JSON path: `.key` for identifiers, `["key"]` otherwise.
static std::string appendKey(const std::string &path, StringRef key) {
  bool identifier = !key.empty() &&
                    (isAlpha(key.front()) || key.front() == '_') &&
                    all_of(key, [](char c) { return isAlnum(c) || c == '_'; });
  if (identifier)
    return path + "." + key.str();
  std::string text = path + "[";
  raw_string_ostream os(text);
  os << json::Value(key.str()) << "]";
  return text;
}

JsonNode JsonNode::operator[](StringRef key) const {
  const json::Object *object = value ? value->getAsObject() : nullptr;
  return JsonNode(object ? object->get(key) : nullptr, appendKey(path, key));
}

JsonNode JsonNode::at(size_t index) const {
  const json::Array *array = value ? value->getAsArray() : nullptr;
  const json::Value *element =
      array && index < array->size() ? &(*array)[index] : nullptr;
  return JsonNode(element, path + "[" + std::to_string(index) + "]");
}

//===----------------------------------------------------------------------===//
// JsonReader
//===----------------------------------------------------------------------===//

std::string kiln::describeJson(const json::Value &value) {
  switch (value.kind()) {
  case json::Value::Null:
    return "null";
  case json::Value::Boolean:
    return *value.getAsBoolean() ? "true" : "false";
  case json::Value::Number:
    if (std::optional<int64_t> integer = value.getAsInteger())
      return std::to_string(*integer);
    return formatShortest(*value.getAsNumber());
  case json::Value::String: {
    std::string text;
    raw_string_ostream os(text);
    os << value;
    if (text.size() > 40)
      text = text.substr(0, 37) + "...";
    return text;
  }
  case json::Value::Array:
    return "an array";
  case json::Value::Object:
    return "an object";
  }
  return "a value";
}

Error JsonReader::error(const JsonNode &node, const Twine &message) const {
  return makeFrontendError(file, node.getPath(), message);
}

Error JsonReader::expected(const JsonNode &node, const Twine &what) const {
  if (node.isAbsent())
    return error(node, "expected " + what + ", but the key is missing");
  return error(node, "expected " + what + ", got " + describeJson(*node.get()));
}

Expected<const json::Object *>
JsonReader::getObject(const JsonNode &node) const {
  if (const json::Object *object =
          node.get() ? node.get()->getAsObject() : nullptr)
    return object;
  return expected(node, "an object");
}

Expected<const json::Array *> JsonReader::getArray(const JsonNode &node) const {
  if (const json::Array *array =
          node.get() ? node.get()->getAsArray() : nullptr)
    return array;
  return expected(node, "an array");
}

Expected<StringRef> JsonReader::getString(const JsonNode &node) const {
  if (node.get())
    if (std::optional<StringRef> text = node.get()->getAsString())
      return *text;
  return expected(node, "a string");
}

Expected<bool> JsonReader::getBool(const JsonNode &node) const {
  if (node.get())
    if (std::optional<bool> flag = node.get()->getAsBoolean())
      return *flag;
  return expected(node, "true or false");
}

Expected<double> JsonReader::getNumber(const JsonNode &node) const {
  if (node.get())
    if (std::optional<double> number = node.get()->getAsNumber())
      if (std::isfinite(*number))
        return *number;
  return expected(node, "a finite number");
}

Expected<int64_t> JsonReader::getPositiveInt(const JsonNode &node,
                                             int64_t max) const {
  if (node.get())
    if (std::optional<int64_t> number = node.get()->getAsInteger()) {
      if (*number >= 1 && *number <= max)
        return *number;
      if (*number > max)
        return expected(node, "a positive integer of at most " + Twine(max));
    }
  return expected(node, "a positive integer");
}

Expected<StringRef> JsonReader::getStringOr(const JsonNode &node,
                                            StringRef fallback) const {
  if (node.isAbsentOrNull())
    return fallback;
  return getString(node);
}

Expected<bool> JsonReader::getBoolOr(const JsonNode &node,
                                     bool fallback) const {
  if (node.isAbsentOrNull())
    return fallback;
  return getBool(node);
}

Expected<std::optional<double>>
JsonReader::getOptionalNumber(const JsonNode &node) const {
  if (node.isAbsentOrNull())
    return std::optional<double>();
  Expected<double> number = getNumber(node);
  if (!number)
    return number.takeError();
  return std::optional<double>(*number);
}

/// True for the values that leave an option off: null, false and 0.
static bool isInert(const json::Value &value) {
  if (value.getAsNull())
    return true;
  if (std::optional<bool> flag = value.getAsBoolean())
    return !*flag;
  if (std::optional<double> number = value.getAsNumber())
    return *number == 0;
  return false;
}

Error JsonReader::checkInertOptions(const JsonNode &node,
                                    ArrayRef<StringRef> handled,
                                    StringRef owner) const {
  const json::Object *object = node.get() ? node.get()->getAsObject() : nullptr;
  if (!object)
    return Error::success();
  // Sort the keys so that the first offending option reported does not
  // depend on hashing.
  SmallVector<StringRef> keys;
  for (const auto &member : *object)
    keys.push_back(member.first);
  llvm::sort(keys);
  for (StringRef key : keys) {
    if (is_contained(handled, key) || isInert(*object->get(key)))
      continue;
    return error(node[key], "unsupported " + owner + " option '" + key +
                                "' (got " + describeJson(*object->get(key)) +
                                "); Kiln implements it only when null, false "
                                "or 0");
  }
  return Error::success();
}
