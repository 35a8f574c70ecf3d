//===- Errors.cpp - Frontend error messages -------------------------------===//

#include "kiln/Frontend/Errors.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace llvm;

Error kiln::makeFrontendError(StringRef file, const Twine &place,
                              const Twine &message) {
  std::string text;
  raw_string_ostream os(text);
  os << file << ": " << place << ": " << message;
  // Keep the message on one line whatever the input put into it.
  for (char &c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return createStringError(inconvertibleErrorCode(), text);
}

std::string kiln::layerPlace(size_t index, StringRef name) {
  std::string text = ("layers[" + Twine(index) + "]").str();
  if (!name.empty())
    text += (" (" + name + ")").str();
  return text;
}

std::string kiln::textPlace(unsigned line, unsigned column) {
  return ("line " + Twine(line) + ", column " + Twine(column)).str();
}

/// Prints `value` with "%.*g", using the fewest digits for which `readBack`
/// returns `value` again.
template <typename T, typename ReadBack>
static std::string formatWithFewestDigits(T value, int maxDigits,
                                          ReadBack readBack) {
  std::string text;
  for (int digits = 1; digits <= maxDigits; ++digits) {
    text.clear();
    raw_string_ostream(text) << format("%.*g", digits, double(value));
    if (readBack(text.c_str()) == value)
      break;
  }
  return text;
}

std::string kiln::formatShortest(double value) {
  return formatWithFewestDigits(
      value, 17, [](const char *text) { return std::strtod(text, nullptr); });
}

std::string kiln::formatShortest(float value) {
  return formatWithFewestDigits(
      value, 9, [](const char *text) { return std::strtof(text, nullptr); });
}
