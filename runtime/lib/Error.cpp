//===- Error.cpp - Runtime error reporting --------------------------------===//

#include "kiln/runtime/Error.h"

#include <cstdarg>
#include <cstdio>

namespace kiln {
namespace runtime {

static std::string formatList(const char *fmt, va_list args) {
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (length <= 0)
    return std::string();
  std::string result(static_cast<size_t>(length), '\0');
  // C++17 guarantees contiguous, writable storage with a trailing NUL.
  std::vsnprintf(&result[0], result.size() + 1, fmt, args);
  return result;
}

std::string formatString(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string result = formatList(fmt, args);
  va_end(args);
  return result;
}

void fail(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string message = formatList(fmt, args);
  va_end(args);
  throw Error(message);
}

} // namespace runtime
} // namespace kiln
