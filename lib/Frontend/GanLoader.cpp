//===- GanLoader.cpp - Completing and checking a GAN description ----------===//
//
// Each network is read (inline or from its own file, in any format) and
// analyzed as an ordinary model. Its `training` is replaced by a placeholder
// that the analysis accepts for any output (the GAN's losses are not the
// networks' own) and that carries the network's optimizer, so that the
// optimizer's defaults and checks are the ones every model gets.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/FormatDetection.h"
#include "kiln/Frontend/GanAnalysis.h"
#include "kiln/Frontend/ModelLoader.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace llvm;
using namespace kiln;

StringRef kiln::getGanLossName(GanLoss loss) {
  switch (loss) {
  case GanLoss::NonSaturating:
    return "non_saturating";
  case GanLoss::Hinge:
    return "hinge";
  case GanLoss::WassersteinGP:
    return "wasserstein_gp";
  }
  llvm_unreachable("unknown GAN loss");
}

namespace {

/// Adam(2e-4, beta_1 0.5): the optimizer GAN papers and tutorials use.
std::unique_ptr<fb::OptimizerT> defaultGanOptimizer() {
  auto optimizer = std::make_unique<fb::OptimizerT>();
  optimizer->name = "adam";
  optimizer->learning_rate = 2e-4f;
  optimizer->beta_1 = 0.5f;
  return optimizer;
}

/// Reads the network of `field` (`generator` or `discriminator`): inline
/// or from `path`, relative to the GAN file's directory.
Expected<std::unique_ptr<fb::ModelT>>
readNetwork(std::unique_ptr<fb::ModelT> &inlineModel, const std::string &path,
            StringRef file, StringRef field, std::string &source) {
  source = file.str();
  std::string place = ("gan." + field).str();
  if (inlineModel && !path.empty())
    return makeFrontendError(file, place,
                             "give the network inline or as '" + field +
                                 "_file', not both");
  if (inlineModel)
    return std::move(inlineModel);
  if (path.empty())
    return makeFrontendError(file, place,
                             "missing: the GAN needs a " + field +
                                 " (inline, or '" + field + "_file')");
  SmallString<256> resolved(path);
  if (sys::path::is_relative(resolved)) {
    resolved = sys::path::parent_path(file);
    sys::path::append(resolved, path);
  }
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(resolved, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError())
    return makeFrontendError(file, place + "_file",
                             "cannot read '" + resolved + "': " + ec.message());
  StringRef contents = (*buffer)->getBuffer();
  source = resolved.str().str();
  return readModelDescription(contents, resolved, detectModelFormat(contents));
}

/// Analyzes one network with its optimizer; `file` names the network's
/// file in the analysis's errors.
Expected<ModelAnalysis> analyzeNetwork(fb::ModelT &network,
                                       std::unique_ptr<fb::OptimizerT> &slot,
                                       StringRef file, StringRef field) {
  if (network.gan)
    return makeFrontendError(file, "gan." + field,
                             "a network of a GAN cannot be a GAN itself");
  if (network.outputs.size() > 1)
    return makeFrontendError(file, "gan." + field,
                             "the network has " +
                                 Twine(network.outputs.size()) +
                                 " outputs; a GAN's networks have one");
  auto training = std::make_unique<fb::TrainingT>();
  training->loss = "mean_squared_error";
  training->optimizer = slot ? std::move(slot) : defaultGanOptimizer();
  network.training = std::move(training);
  Expected<ModelAnalysis> analysis = analyzeModel(network, file);
  if (!analysis)
    return analysis.takeError();
  slot = std::make_unique<fb::OptimizerT>(*network.training->optimizer);
  return analysis;
}

bool isClassInput(const fb::InputT &input, ArrayRef<int64_t> shape) {
  return input.dtype == fb::DType_int32 && shape.size() == 1 && shape[0] == 1;
}

/// Finds the positions of the conditioning class index and the other input
/// (latent vector or image) among a network's inputs.
Error assignInputs(const fb::ModelT &network, const ModelAnalysis &analysis,
                   bool conditional, int &main, int &label, StringRef file,
                   StringRef field, StringRef what) {
  size_t expected = conditional ? 2 : 1;
  if (analysis.inputShapes.size() != expected)
    return makeFrontendError(
        file, "gan." + field,
        "the " + field + " has " + Twine(analysis.inputShapes.size()) +
            " inputs; expected " +
            (conditional ? what + " and a class index (an int32 input of "
                                  "shape [1]), since num_classes is set"
                         : what));
  main = 0;
  label = -1;
  if (!conditional)
    return Error::success();
  bool first = isClassInput(*network.inputs[0], analysis.inputShapes[0]);
  bool second = isClassInput(*network.inputs[1], analysis.inputShapes[1]);
  if (first == second)
    return makeFrontendError(file, "gan." + field,
                             "a conditional " + field +
                                 " reads exactly one class index: an int32 "
                                 "input of shape [1], beside " +
                                 what);
  label = first ? 0 : 1;
  main = first ? 1 : 0;
  return Error::success();
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, extent] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(extent);
  return text + "]";
}

} // namespace

Expected<GanAnalysis> kiln::loadGan(fb::ModelT &model, StringRef file) {
  fb::GanT &gan = *model.gan;
  GanAnalysis result;
  if (!model.layers.empty() || !model.inputs.empty())
    return makeFrontendError(file, "gan",
                             "a GAN declares its layers and inputs in its "
                             "generator and discriminator, not at the top "
                             "level");

  std::optional<GanLoss> loss =
      StringSwitch<std::optional<GanLoss>>(gan.loss.empty() ? "non_saturating"
                                                            : gan.loss)
          .Case("non_saturating", GanLoss::NonSaturating)
          .Case("hinge", GanLoss::Hinge)
          .Case("wasserstein_gp", GanLoss::WassersteinGP)
          .Default(std::nullopt);
  if (!loss)
    return makeFrontendError(file, "gan.loss",
                             "unknown GAN loss '" + gan.loss +
                                 "'; expected non_saturating, hinge or "
                                 "wasserstein_gp");
  result.loss = *loss;
  gan.loss = getGanLossName(*loss).str();
  if (gan.latent_distribution.empty())
    gan.latent_distribution = "normal";
  if (gan.latent_distribution != "normal" &&
      gan.latent_distribution != "uniform")
    return makeFrontendError(file, "gan.latent_distribution",
                             "unknown distribution '" +
                                 gan.latent_distribution +
                                 "'; expected normal or uniform");
  if (gan.discriminator_steps < 1)
    return makeFrontendError(file, "gan.discriminator_steps",
                             "must be at least 1, got " +
                                 Twine(gan.discriminator_steps));
  if (!(gan.label_smoothing >= 0.0f && gan.label_smoothing < 1.0f))
    return makeFrontendError(file, "gan.label_smoothing",
                             "must be in [0, 1), got " +
                                 std::to_string(gan.label_smoothing));
  if (gan.label_smoothing > 0.0f && *loss != GanLoss::NonSaturating)
    return makeFrontendError(file, "gan.label_smoothing",
                             "applies to the non_saturating loss only, not "
                             "to " +
                                 gan.loss);
  if (!(gan.gradient_penalty_weight > 0.0f) ||
      !std::isfinite(gan.gradient_penalty_weight))
    return makeFrontendError(file, "gan.gradient_penalty_weight",
                             "must be a positive number");
  if (gan.num_classes < 0)
    return makeFrontendError(file, "gan.num_classes",
                             "must be 0 (not conditional) or the number of "
                             "classes, got " +
                                 Twine(gan.num_classes));
  if (!std::isfinite(gan.image_scale) || gan.image_scale == 0.0f ||
      !std::isfinite(gan.image_offset))
    return makeFrontendError(file, "gan.image_scale",
                             "image_scale must be finite and non-zero, "
                             "image_offset finite");
  bool conditional = gan.num_classes > 0;

  for (StringRef field : {"generator", "discriminator"}) {
    bool isGenerator = field == "generator";
    std::unique_ptr<fb::ModelT> &slot =
        isGenerator ? gan.generator : gan.discriminator;
    std::string source;
    Expected<std::unique_ptr<fb::ModelT>> network = readNetwork(
        slot, isGenerator ? gan.generator_file : gan.discriminator_file, file,
        field, source);
    if (!network)
      return network.takeError();
    slot = std::move(*network);
    Expected<ModelAnalysis> analysis = analyzeNetwork(
        *slot,
        isGenerator ? gan.generator_optimizer : gan.discriminator_optimizer,
        source, field);
    if (!analysis)
      return analysis.takeError();
    (isGenerator ? result.generator : result.discriminator) =
        std::move(*analysis);
  }
  // The files are read: the description is now self-contained.
  gan.generator_file.clear();
  gan.discriminator_file.clear();

  if (Error err =
          assignInputs(*gan.generator, result.generator, conditional,
                       result.generatorLatentInput, result.generatorLabelInput,
                       file, "generator", "a latent vector"))
    return std::move(err);
  if (Error err = assignInputs(*gan.discriminator, result.discriminator,
                               conditional, result.discriminatorImageInput,
                               result.discriminatorLabelInput, file,
                               "discriminator", "an image"))
    return std::move(err);

  ArrayRef<int64_t> latent =
      result.generator.inputShapes[result.generatorLatentInput];
  if (latent.size() != 1 ||
      gan.generator->inputs[result.generatorLatentInput]->dtype !=
          fb::DType_float32)
    return makeFrontendError(file, "gan.generator",
                             "the latent input must be a float32 vector, "
                             "got shape " +
                                 formatShape(latent));
  if (gan.latent_dim != 0 && gan.latent_dim != latent[0])
    return makeFrontendError(file, "gan.latent_dim",
                             Twine(gan.latent_dim) +
                                 " disagrees with the generator's input "
                                 "size " +
                                 Twine(latent[0]));
  gan.latent_dim = static_cast<int32_t>(latent[0]);
  result.latentDim = latent[0];

  ArrayRef<int64_t> image =
      result.discriminator.inputShapes[result.discriminatorImageInput];
  ArrayRef<int64_t> generated = result.generator.outputShapes.front();
  if (image != generated)
    return makeFrontendError(
        file, "gan",
        "the generator produces images of shape " + formatShape(generated) +
            " but the discriminator reads " + formatShape(image));
  result.imageShape.assign(image.begin(), image.end());
  // The gradient penalty differentiates the critic's input gradient again;
  // normalization layers have no second-order rules (and batch statistics
  // would make one sample's penalty depend on the others).
  if (*loss == GanLoss::WassersteinGP)
    for (const auto &layer : gan.discriminator->layers)
      if (layer->class_name == "BatchNormalization" ||
          layer->class_name == "LayerNormalization")
        return makeFrontendError(
            file, "gan.discriminator",
            "layer '" + layer->name + "' (" + layer->class_name +
                "): the gradient penalty of wasserstein_gp is not defined "
                "through normalization layers; leave them out of the critic");
  ArrayRef<int64_t> score = result.discriminator.outputShapes.front();
  if (score.size() != 1 || score[0] != 1)
    return makeFrontendError(file, "gan.discriminator",
                             "the discriminator must output one score per "
                             "image (shape [1]), got " +
                                 formatShape(score));
  return result;
}
