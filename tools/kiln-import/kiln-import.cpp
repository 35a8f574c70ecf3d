//===- kiln-import.cpp - Run the model frontend alone ---------------------===//
//
// Reads a model file in any supported format and prints the kiln module the
// frontend builds for it, or writes the checked model description as a
// binary `.kmodel` or in the schema's JSON form. The frontend's lit tests
// run it; kilnc offers the same through `--emit=kiln` and `--emit=kmodel`.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/ModelLoader.h"
#include "kiln/Frontend/ModelToKiln.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model file>"),
                                      cl::Required);

static cl::opt<std::string>
    kmodelPath("kmodel",
               cl::desc("Write the model as a binary .kmodel to "
                        "<file> instead of printing the module"),
               cl::value_desc("file"));

static cl::opt<std::string> jsonPath(
    "model-json",
    cl::desc("Write the model in the schema's JSON form to <file> instead of "
             "printing the module"),
    cl::value_desc("file"));

/// Reports `message` as kiln-import's one error line; returns the exit code.
static int fail(const Twine &message) {
  WithColor::error(errs(), "kiln-import") << message << "\n";
  return 1;
}

/// Writes the description to `path` with `write`; the file appears only if
/// everything was written.
template <typename WriteFn>
static int writeOutput(StringRef path, WriteFn write) {
  std::error_code ec;
  ToolOutputFile out(path, ec, sys::fs::OF_None);
  if (ec)
    return fail(path + ": file: cannot open for writing: " + ec.message());
  if (Error err = write(out.os()))
    return fail(toString(std::move(err)));
  out.os().flush();
  if (out.os().has_error())
    return fail(path + ": file: write failed");
  out.keep();
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "Kiln model importer: prints the kiln module "
                              "of a model file\n");

  Expected<kiln::LoadedModel> loaded = kiln::loadModelFile(inputPath);
  if (!loaded)
    return fail(toString(loaded.takeError()));
  const kiln::fb::ModelT &model = *loaded->description;

  if (!kmodelPath.empty() || !jsonPath.empty()) {
    if (!kmodelPath.empty())
      if (int rc = writeOutput(kmodelPath, [&](raw_ostream &os) {
            kiln::writeKModel(model, os);
            return Error::success();
          }))
        return rc;
    if (!jsonPath.empty())
      if (int rc = writeOutput(jsonPath, [&](raw_ostream &os) {
            return kiln::writeModelJson(model, os);
          }))
        return rc;
    return 0;
  }

  mlir::MLIRContext context;
  Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      kiln::buildKilnModule(model, loaded->analysis, context, inputPath);
  if (!module)
    return fail(toString(module.takeError()));
  (*module)->print(outs(), mlir::OpPrintingFlags());
  outs() << "\n";
  return 0;
}
