//===- Linker.cpp - Linking generated objects with the runtime ------------===//

#include "kiln/Target/Linker.h"
#include "kiln/Config.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace kiln;

LinkOptions kiln::getDefaultLinkOptions() {
  LinkOptions options;
  const char *driver = std::getenv("KILN_CXX");
  options.driver = driver && *driver ? driver : KILN_CXX_DRIVER;
  const char *runtime = std::getenv("KILN_RUNTIME_LIBRARY");
  options.runtimeLibrary =
      runtime && *runtime ? runtime : KILN_RUNTIME_LIBRARY_PATH;
  // The runtime's MPI data parallelism needs MPI's libraries.
  llvm::SmallVector<llvm::StringRef> mpiArgs;
  llvm::StringRef(KILN_MPI_LINK_ARGS)
      .split(mpiArgs, ';', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (llvm::StringRef arg : mpiArgs)
    options.runtimeDependencies.push_back(arg.str());
  return options;
}

llvm::LogicalResult kiln::linkExecutable(llvm::StringRef object,
                                         llvm::StringRef output,
                                         const LinkOptions &options,
                                         std::string &error) {
  auto driver = llvm::sys::findProgramByName(options.driver);
  if (!driver) {
    error = "cannot find the linker driver '" + options.driver + "'";
    return llvm::failure();
  }
  if (!options.shared && !llvm::sys::fs::exists(options.runtimeLibrary)) {
    error = "cannot find the runtime library '" + options.runtimeLibrary +
            "' (set KILN_RUNTIME_LIBRARY)";
    return llvm::failure();
  }

  std::string temporary = (output + ".tmp-link").str();
  llvm::SmallVector<std::string> args = {*driver};
  if (options.shared) {
    args.append({"-shared", object.str(), "-o", temporary, "-lm"});
  } else {
    args.append({object.str(), options.runtimeLibrary, "-o", temporary, "-lz",
                 "-lm", "-lpthread"});
    args.append(options.runtimeDependencies.begin(),
                options.runtimeDependencies.end());
  }
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, {},
                                         0, 0, &message);
  if (status != 0) {
    llvm::sys::fs::remove(temporary);
    error = "linking failed (" + options.driver + " exited with status " +
            std::to_string(status) + (message.empty() ? "" : ": " + message) +
            ")";
    return llvm::failure();
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, output)) {
    llvm::sys::fs::remove(temporary);
    error = "cannot write '" + output.str() + "': " + ec.message();
    return llvm::failure();
  }
  return llvm::success();
}
