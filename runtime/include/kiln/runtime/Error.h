//===- Error.h - Runtime error reporting ------------------------*- C++ -*-===//
//
// Every user-facing failure of the runtime (bad flag, corrupt file, shape
// mismatch, non-finite loss) is raised as a kiln::runtime::Error carrying the
// complete one-line message. The driver catches it and prints `error: <msg>`;
// nothing else in the runtime prints errors, so the output format lives in
// one place.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ERROR_H
#define KILN_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>

namespace kiln {
namespace runtime {

/// A failure to report to the user as `error: <what()>`.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

/// Formats like printf into a std::string.
std::string formatString(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/// Throws an Error whose message is formatted like printf.
[[noreturn]] void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_ERROR_H
