//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// model file -> kiln IR -> train step (autodiff) -> fused -> linalg ->
// bufferized -> LLVM dialect -> LLVM IR -> object -> executable.
// `--emit` stops at any stage and prints or writes what it has there. The
// pipelines are the ones kiln-opt registers, so the tool and the driver run
// the very same passes.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"
#include "kiln/Frontend/Import.h"
#include "kiln/Frontend/ModelDescription.h"
#include "kiln/Frontend/ModelLoader.h"
#include "kiln/Frontend/ModelToKiln.h"
#include "kiln/Frontend/ModelWeights.h"
#include "kiln/InitAll.h"
#include "kiln/Pipelines/Pipelines.h"
#include "kiln/Target/Linker.h"
#include "kiln/Target/ModelInfo.h"
#include "kiln/Target/ObjectEmitter.h"
#include "kiln/Target/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Target/TargetMachine.h"

using namespace llvm;

namespace {

enum class Emit {
  KModel,
  ModelJson,
  Kiln,
  Train,
  Fused,
  Linalg,
  LLVMMLIR,
  LLVMIR,
  Obj,
  Exe,
  Shared
};

cl::OptionCategory kilncCategory("kilnc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model file>"),
                               cl::Required, cl::cat(kilncCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::cat(kilncCategory));
cl::opt<Emit> emitKind(
    "emit", cl::desc("What to produce"), cl::init(Emit::Exe),
    cl::values(
        clEnumValN(Emit::KModel, "kmodel",
                   "the model description as a binary .kmodel"),
        clEnumValN(Emit::ModelJson, "model-json",
                   "the model description in the schema's JSON form"),
        clEnumValN(Emit::Kiln, "kiln",
                   "the imported model in the kiln dialect"),
        clEnumValN(Emit::Train, "train", "after kiln-autodiff (@train_step)"),
        clEnumValN(Emit::Fused, "fused", "after kiln-fuse"),
        clEnumValN(Emit::Linalg, "linalg", "after convert-kiln-to-linalg"),
        clEnumValN(Emit::LLVMMLIR, "llvm-mlir", "the LLVM dialect"),
        clEnumValN(Emit::LLVMIR, "llvm", "LLVM IR (optimized)"),
        clEnumValN(Emit::Obj, "obj", "a native object file"),
        clEnumValN(Emit::Exe, "exe", "a training executable (default)"),
        clEnumValN(Emit::Shared, "shared",
                   "a shared library exposing the C ABI of abi.h")),
    cl::cat(kilncCategory));
cl::opt<char> optLevel("O", cl::desc("Optimization level: -O0 to -O3"),
                       cl::Prefix, cl::init('3'), cl::cat(kilncCategory));
cl::opt<std::string> targetCPU("target-cpu",
                               cl::desc("CPU to generate code for ('host')"),
                               cl::init("host"), cl::cat(kilncCategory));
cl::opt<std::string> lossOverride(
    "loss",
    cl::desc("Loss to train with instead of the model file's (a Keras name "
             "such as sparse_categorical_crossentropy or mse)"),
    cl::value_desc("name"), cl::cat(kilncCategory));
cl::opt<std::string> metricsOverride(
    "metrics",
    cl::desc("Comma-separated metrics instead of the model file's "
             "(--metrics= for none)"),
    cl::value_desc("names"), cl::cat(kilncCategory));
cl::opt<bool> noFuse("no-fuse",
                     cl::desc("Skip kiln-fuse (to test or debug the "
                              "unfused ops; slower)"),
                     cl::cat(kilncCategory));
cl::opt<std::string> codegen("codegen",
                             cl::desc("Matmul code generation: tuned|naive"),
                             cl::init("tuned"), cl::cat(kilncCategory));

/// The loss and metrics given on the command line, if any.
kiln::TrainingOverrides trainingOverrides() {
  kiln::TrainingOverrides overrides;
  if (lossOverride.getNumOccurrences())
    overrides.loss = lossOverride;
  if (metricsOverride.getNumOccurrences()) {
    std::vector<std::string> names;
    SmallVector<StringRef> parts;
    StringRef(metricsOverride).split(parts, ',', -1, /*KeepEmpty=*/false);
    for (StringRef part : parts)
      names.push_back(part.trim().str());
    overrides.metrics = std::move(names);
  }
  return overrides;
}

int fail(const Twine &message) {
  WithColor::error(errs(), "kilnc") << message << "\n";
  return 1;
}

/// Output name when -o is absent: text goes to stdout, binaries next to the
/// working directory, named after the model file.
std::string defaultOutput() {
  std::string stem = sys::path::stem(inputFile).str();
  if (emitKind == Emit::KModel)
    return stem + ".kmodel";
  if (emitKind != Emit::Obj && emitKind != Emit::Exe &&
      emitKind != Emit::Shared)
    return "-";
  if (emitKind == Emit::Obj)
    return stem + ".o";
  if (emitKind == Emit::Shared)
    return "lib" + stem + ".so";
  return stem;
}

/// Writes `print`'s text to `path` atomically (ToolOutputFile deletes the
/// file unless keep() is reached).
template <typename Fn> LogicalResult writeText(StringRef path, Fn print) {
  std::error_code ec;
  ToolOutputFile out(path, ec, sys::fs::OF_Text);
  if (ec) {
    fail("cannot write '" + path + "': " + ec.message());
    return failure();
  }
  print(out.os());
  out.keep();
  return success();
}

LogicalResult runPasses(mlir::ModuleOp module,
                        function_ref<void(mlir::PassManager &)> build) {
  mlir::PassManager pm(module->getContext());
  if (failed(mlir::applyPassManagerCLOptions(pm)))
    return failure();
  mlir::applyDefaultTimingPassManagerCLOptions(pm);
  build(pm);
  return pm.run(module);
}

/// True when `path` holds kiln-dialect MLIR (what --emit=kiln writes) rather
/// than a model description: by the extension `.mlir`, or by text that
/// starts (after comments) like a module. Model files start with `{` (JSON)
/// or are binary FlatBuffers.
bool isMlirInput(StringRef path) {
  if (sys::path::extension(path) == ".mlir")
    return true;
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return false; // The model loader reports the missing file.
  StringRef text = (*buffer)->getBuffer();
  while (true) {
    text = text.ltrim();
    if (!text.starts_with("//"))
      break;
    text = text.drop_until([](char c) { return c == '\n'; });
  }
  return text.starts_with("module") || text.starts_with("#") ||
         text.starts_with("func.func");
}

/// Prints errors about kiln IR read from a file as one line each, naming
/// the file and the position (`kilnc: error: m.mlir:3:5: ...`); notes and
/// remarks attached to them are dropped.
mlir::LogicalResult printIRError(mlir::Diagnostic &diag) {
  if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
    return mlir::success();
  std::string where = inputFile;
  if (auto loc = dyn_cast<mlir::FileLineColLoc>(diag.getLocation()))
    where = (loc.getFilename().strref() + ":" + Twine(loc.getLine()) + ":" +
             Twine(loc.getColumn()))
                .str();
  std::string message = diag.str();
  std::replace(message.begin(), message.end(), '\n', ' ');
  fail(where + ": " + message);
  return mlir::success();
}

/// Parses a kiln-dialect module (a parse or verifier error has been
/// printed when it returns null).
mlir::OwningOpRef<mlir::ModuleOp> parseKilnModule(mlir::MLIRContext &context) {
  mlir::ParserConfig config(&context);
  return mlir::parseSourceFile<mlir::ModuleOp>(inputFile, config);
}

/// --emit=kmodel|model-json: the description itself, converted.
int writeDescription(StringRef output) {
  Expected<kiln::LoadedModel> model =
      kiln::loadModelFile(inputFile, trainingOverrides());
  if (!model)
    return fail(toString(model.takeError()));
  std::error_code ec;
  ToolOutputFile out(output, ec,
                     emitKind == Emit::KModel ? sys::fs::OF_None
                                              : sys::fs::OF_Text);
  if (ec)
    return fail("cannot write '" + output + "': " + ec.message());
  if (emitKind == Emit::KModel) {
    kiln::writeKModel(*model->description, out.os());
  } else if (Error err = kiln::writeModelJson(*model->description, out.os())) {
    return fail(inputFile + ": " + toString(std::move(err)));
  }
  out.keep();
  return 0;
}

/// Gives the parameters the values the model file carries (checked against
/// their names and shapes) and embeds the description without them.
Error attachWeights(kiln::ModelInfo &info, kiln::fb::ModelT &description) {
  SmallVector<kiln::ParamSignature> signatures;
  for (const kiln::ModelParam &p : info.params)
    signatures.push_back({p.name, p.shape});
  Expected<std::vector<std::vector<float>>> values =
      kiln::matchModelWeights(description, signatures, inputFile);
  if (!values)
    return values.takeError();
  for (auto [param, data] : llvm::zip_equal(info.params, *values))
    param.initData = std::move(data);
  info.description = kiln::writeKModelWithoutWeights(description);
  return Error::success();
}

int compile() {
  // Kiln IR (from --emit=kiln, or written by hand or by a tool) skips the
  // frontend: it is the module the frontend would have built.
  bool mlirInput = isMlirInput(inputFile);
  if (mlirInput && (emitKind == Emit::KModel || emitKind == Emit::ModelJson))
    return fail(inputFile + ": kiln IR carries no model description for "
                            "--emit=kmodel or --emit=model-json");
  if (mlirInput &&
      (lossOverride.getNumOccurrences() || metricsOverride.getNumOccurrences()))
    return fail(inputFile + ": --loss and --metrics apply to model files, "
                            "not to kiln IR");
  if (emitKind == Emit::KModel || emitKind == Emit::ModelJson)
    return writeDescription(outputFile.empty() ? defaultOutput()
                                               : std::string(outputFile));

  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  // The description outlives the import: its weights and its .kmodel form
  // go into the model descriptor.
  std::optional<kiln::LoadedModel> loaded;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  // Positions in hand-written or generated IR are what the user can act
  // on; errors about IR the frontend built keep MLIR's default form.
  std::optional<mlir::ScopedDiagnosticHandler> irErrors;
  if (mlirInput) {
    irErrors.emplace(&context, printIRError);
    module = parseKilnModule(context);
    if (!module)
      return 1;
  } else {
    Expected<kiln::LoadedModel> model =
        kiln::loadModelFile(inputFile, trainingOverrides());
    if (!model)
      return fail(toString(model.takeError()));
    loaded.emplace(std::move(*model));
    Expected<mlir::OwningOpRef<mlir::ModuleOp>> built =
        loaded->gan
            ? kiln::buildGanModule(*loaded->description, *loaded->gan,
                                   context, inputFile)
            : kiln::buildKilnModule(*loaded->description, loaded->analysis,
                                    context, inputFile);
    if (!built)
      return fail(toString(built.takeError()));
    module = std::move(*built);
  }
  std::string output = outputFile.empty() ? defaultOutput() : outputFile;
  auto printModule = [&](raw_ostream &os) { module->print(os); };
  // Fail before the work, not after it, when the output cannot be written.
  StringRef outputDir = sys::path::parent_path(output);
  if (output != "-" && !outputDir.empty() && !sys::fs::is_directory(outputDir))
    return fail("cannot write '" + output + "': no directory '" + outputDir +
                "'");

  if (emitKind == Emit::Kiln)
    return failed(writeText(output, printModule));

  FailureOr<kiln::ModelInfo> info = kiln::extractModelInfo(*module);
  if (failed(info))
    return 1;
  // Kiln IR has neither weights nor a description to embed: its parameters
  // take their initializers, and `export --format kmodel` is unavailable.
  if (loaded)
    if (Error err = attachWeights(*info, *loaded->description))
      return fail(toString(std::move(err)));

  // A GAN has two steps: each differentiates its loss with respect to its
  // own network (the other one's parameters are frozen in that loss).
  // (Kiln IR of a GAN says so by its functions.)
  bool isGan = static_cast<bool>(
      module->lookupSymbol<mlir::func::FuncOp>("discriminator_loss"));
  if (failed(runPasses(*module, [&](mlir::PassManager &pm) {
        if (!isGan) {
          pm.addPass(mlir::kiln::createKilnAutodiffPass());
          return;
        }
        for (auto [loss, step] :
             {std::pair<StringRef, StringRef>{"discriminator_loss",
                                              "discriminator_step"},
              {"generator_loss", "generator_step"}}) {
          mlir::kiln::KilnAutodiffPassOptions options;
          options.lossFunction = loss.str();
          options.trainFunction = step.str();
          pm.addPass(mlir::kiln::createKilnAutodiffPass(options));
        }
      })))
    return 1;
  if (emitKind == Emit::Train)
    return failed(writeText(output, printModule));

  if (!noFuse && failed(runPasses(*module, [](mlir::PassManager &pm) {
        pm.addNestedPass<mlir::func::FuncOp>(mlir::kiln::createKilnFusePass());
      })))
    return 1;
  if (emitKind == Emit::Fused)
    return failed(writeText(output, printModule));

  // @loss served kiln-autodiff; the executable evaluates with @evaluate.
  // Not compiling it again saves a third of the lowering.
  for (StringRef name : {"loss", "discriminator_loss", "generator_loss"})
    if (auto loss = module->lookupSymbol<mlir::func::FuncOp>(name))
      loss.erase();

  if (emitKind == Emit::Linalg) {
    if (failed(runPasses(*module, [](mlir::PassManager &pm) {
          pm.addPass(mlir::kiln::createConvertKilnToLinalgPass());
        })))
      return 1;
    return failed(writeText(output, printModule));
  }

  if (optLevel < '0' || optLevel > '3')
    return fail("invalid optimization level -O" + Twine(optLevel));
  std::optional<mlir::kiln::MatmulCodegen> matmulCodegen =
      mlir::kiln::parseMatmulCodegen(codegen);
  if (!matmulCodegen)
    return fail("--codegen must be 'tuned' or 'naive', got '" + codegen + "'");
  mlir::kiln::LoweringOptions lowering;
  lowering.matmulCodegen = *matmulCodegen;
  lowering.optLevel = optLevel == '0' ? 0 : 2;
  if (failed(runPasses(*module, [&](mlir::PassManager &pm) {
        mlir::kiln::buildKilnToBufferizedPipeline(pm, lowering);
        pm.addPass(mlir::kiln::createKilnEmitAbiWrappersPass());
        mlir::kiln::buildBufferizedToLLVMPipeline(pm, lowering);
      })))
    return 1;
  if (emitKind == Emit::LLVMMLIR)
    return failed(writeText(output, printModule));
  kiln::readWorkspacePlan(*module, *info);

  kiln::CodegenOptions codegenOptions;
  codegenOptions.optLevel = optLevel - '0';
  codegenOptions.targetCPU = targetCPU;
  codegenOptions.pic = true;
  auto machine = kiln::createTargetMachine(codegenOptions, error);
  if (failed(machine))
    return fail(error);
  LLVMContext llvmContext;
  std::unique_ptr<Module> llvmModule =
      kiln::translateToLLVMIR(*module, llvmContext, **machine);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  if (failed(kiln::emitModelDescriptor(*llvmModule, *info)))
    return fail("the lowered module lacks the ABI entry points");
  kiln::optimizeModule(*llvmModule, **machine, codegenOptions.optLevel);
  if (emitKind == Emit::LLVMIR)
    return failed(writeText(
        output, [&](raw_ostream &os) { llvmModule->print(os, nullptr); }));

  // The object goes to its final name, or to a temporary one to be linked.
  std::string objectPath = output;
  if (emitKind != Emit::Obj) {
    SmallString<128> tmp;
    if (std::error_code ec = sys::fs::createTemporaryFile("kiln", "o", tmp))
      return fail("cannot create a temporary file: " + ec.message());
    objectPath = tmp.str().str();
  }
  {
    std::error_code ec;
    ToolOutputFile out(objectPath, ec, sys::fs::OF_None);
    if (ec)
      return fail("cannot write '" + objectPath + "': " + ec.message());
    if (failed(kiln::emitObject(*llvmModule, **machine, out.os(), error)))
      return fail(error);
    out.keep();
  }
  if (emitKind == Emit::Obj)
    return 0;

  kiln::LinkOptions link = kiln::getDefaultLinkOptions();
  link.shared = emitKind == Emit::Shared;
  LogicalResult linked = kiln::linkExecutable(objectPath, output, link, error);
  sys::fs::remove(objectPath);
  if (failed(linked))
    return fail(error);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  // --help lists kilnc's own options; LLVM's and MLIR's (--mlir-timing,
  // --mlir-print-ir-after-all, ...) still work and --help-hidden lists them.
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    bool shown = llvm::any_of(option->Categories, [](auto *category) {
      return category == &kilncCategory ||
             category->getName() == "Generic Options"; // --help, --version
    });
    if (!shown && option->getOptionHiddenFlag() == cl::NotHidden)
      option->setHiddenFlag(cl::Hidden);
  }
  cl::ParseCommandLineOptions(
      argc, argv,
      "kilnc: compiles a model description into a training executable\n");
  return compile();
}
