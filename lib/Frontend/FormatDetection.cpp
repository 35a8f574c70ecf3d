//===- FormatDetection.cpp - Recognize a model file's format --------------===//
//
// The JSON forms are told apart by the keys of the top-level object, which a
// small scanner collects without building a tree: it skips strings, comments
// (the schema's JSON form allows them) and nested values by counting
// brackets, so it works on malformed text too and never recurses.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/FormatDetection.h"
#include "kiln/Frontend/ModelDescription.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"

using namespace llvm;
using namespace kiln;

namespace {
/// What a top-level key says about the format.
enum class KeyHint { None, Keras, Schema };

KeyHint classifyKey(StringRef key) {
  return StringSwitch<KeyHint>(key)
      .Cases({"class_name", "config", "module", "keras_version", "backend",
              "compile_config", "modelTopology", "model_config",
              "training_config", "registered_name", "build_config"},
             KeyHint::Keras)
      .Cases({"inputs", "layers", "training", "gan"}, KeyHint::Schema)
      .Default(KeyHint::None);
}

/// Collects the keys of the top-level JSON object of `text`, stopping at its
/// end, at the first key that decides the format, or at text that cannot be
/// part of JSON.
class TopLevelKeyScanner {
public:
  explicit TopLevelKeyScanner(StringRef text) : text(text) {}

  /// Returns the format the keys point to, or Unknown.
  ModelFormat scan();

private:
  /// Skips a string starting at `pos` (on the opening quote); returns its
  /// raw contents (escapes not decoded).
  StringRef skipString();
  /// Skips a `//` or `/* */` comment starting at `pos`.
  void skipComment();

  StringRef text;
  size_t pos = 0;
};
} // namespace

StringRef TopLevelKeyScanner::skipString() {
  size_t begin = ++pos;
  while (pos < text.size() && text[pos] != '"')
    pos += text[pos] == '\\' ? 2 : 1;
  StringRef contents = text.slice(begin, std::min(pos, text.size()));
  ++pos;
  return contents;
}

void TopLevelKeyScanner::skipComment() {
  if (text.substr(pos).starts_with("//")) {
    size_t end = text.find('\n', pos);
    pos = end == StringRef::npos ? text.size() : end + 1;
    return;
  }
  size_t end = text.find("*/", pos + 2);
  pos = end == StringRef::npos ? text.size() : end + 2;
}

ModelFormat TopLevelKeyScanner::scan() {
  bool sawSchemaKey = false;
  bool sawName = false;
  unsigned depth = 0;
  bool expectKey = false;
  auto noteKey = [&](StringRef key) -> std::optional<ModelFormat> {
    expectKey = false;
    switch (classifyKey(key)) {
    case KeyHint::Keras:
      return ModelFormat::KerasJson;
    case KeyHint::Schema:
      sawSchemaKey = true;
      break;
    case KeyHint::None:
      sawName |= key == "name";
      break;
    }
    return std::nullopt;
  };

  while (pos < text.size()) {
    char c = text[pos];
    if (c == '"') {
      StringRef contents = skipString();
      if (depth == 1 && expectKey)
        if (auto format = noteKey(contents))
          return *format;
      continue;
    }
    if (c == '/' && pos + 1 < text.size() &&
        (text[pos + 1] == '/' || text[pos + 1] == '*')) {
      skipComment();
      continue;
    }
    if (depth == 1 && expectKey && (isAlpha(c) || c == '_')) {
      size_t begin = pos;
      while (pos < text.size() && (isAlnum(text[pos]) || text[pos] == '_'))
        ++pos;
      if (auto format = noteKey(text.slice(begin, pos)))
        return *format;
      continue;
    }
    ++pos;
    switch (c) {
    case '{':
    case '[':
      ++depth;
      expectKey = depth == 1 && c == '{';
      break;
    case '}':
    case ']':
      if (depth <= 1)
        pos = text.size(); // End of the top-level object.
      else
        --depth;
      break;
    case ',':
      expectKey = depth == 1;
      break;
    case ':':
      expectKey = false;
      break;
    default:
      break;
    }
  }
  if (sawSchemaKey || sawName)
    return ModelFormat::ModelJson;
  return ModelFormat::Unknown;
}

StringRef kiln::skipJsonPreamble(StringRef text) {
  text.consume_front("\xEF\xBB\xBF"); // UTF-8 byte order mark.
  text = text.ltrim(" \t\r\n");
  // Comments may precede the object in the schema's JSON form.
  while (text.starts_with("//") || text.starts_with("/*")) {
    bool line = text.starts_with("//");
    size_t end = line ? text.find('\n') : text.find("*/", 2);
    text = end == StringRef::npos ? StringRef()
                                  : text.drop_front(end + (line ? 1 : 2));
    text = text.ltrim(" \t\r\n");
  }
  return text;
}

ModelFormat kiln::detectModelFormat(StringRef contents) {
  if (hasKModelIdentifier(contents))
    return ModelFormat::KModel;
  StringRef text = skipJsonPreamble(contents);
  if (!text.starts_with("{"))
    return ModelFormat::Unknown;
  return TopLevelKeyScanner(text).scan();
}

StringRef kiln::getModelFormatName(ModelFormat format) {
  switch (format) {
  case ModelFormat::KModel:
    return "binary Kiln model (.kmodel)";
  case ModelFormat::ModelJson:
    return "Kiln schema JSON";
  case ModelFormat::KerasJson:
    return "Keras JSON";
  case ModelFormat::Unknown:
    return "unknown";
  }
  llvm_unreachable("unknown model format");
}
