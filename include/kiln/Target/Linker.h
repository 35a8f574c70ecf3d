//===- Linker.h - Linking generated objects with the runtime ----*- C++ -*-===//

#ifndef KILN_TARGET_LINKER_H
#define KILN_TARGET_LINKER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/LogicalResult.h"

#include <string>
#include <vector>

namespace kiln {

struct LinkOptions {
  /// The C++ compiler driver used as the linker.
  std::string driver;
  /// libkiln_runtime.a, for executables.
  std::string runtimeLibrary;
  /// A shared library exposing the C ABI instead of an executable.
  bool shared = false;
  /// Further arguments of an executable's link after the runtime's own
  /// libraries: MPI's when the runtime was built with it.
  std::vector<std::string> runtimeDependencies;
};

/// The defaults recorded when Kiln was configured, overridable through the
/// environment (KILN_CXX, KILN_RUNTIME_LIBRARY).
LinkOptions getDefaultLinkOptions();

/// Links `object` into `output`. The result appears under its name only
/// when linking succeeded (it is linked to a temporary name first).
llvm::LogicalResult linkExecutable(llvm::StringRef object,
                                   llvm::StringRef output,
                                   const LinkOptions &options,
                                   std::string &error);

} // namespace kiln

#endif // KILN_TARGET_LINKER_H
