//===- GanToKiln.cpp - Build the kiln module of a GAN ---------------------===//
//
// A GAN is two networks in one module. Parameters are the generator's, then
// the discriminator's (named `generator/...` and `discriminator/...`), and
// every function takes all of them:
//
//   @forward(params, %latent [, %class])              the generator in
//       -> images                                     inference mode
//   @discriminator_loss(params, %images, %latent [, %classes, %fake_classes],
//                       %rng_g, %rng_real, %rng_fake)
//       -> (loss, real_accuracy, fake_accuracy, discriminator states...)
//   @generator_loss(params, %latent [, %fake_classes], %rng_g, %rng_d)
//       -> (loss, generator and discriminator states...)
//
// Each loss marks the other network's parameters frozen, so kiln-autodiff
// differentiates the discriminator's loss with respect to the discriminator
// only (the generated images are constants to it) and the generator's loss
// with respect to the generator, through the discriminator. Both networks
// run in training mode in both losses; each call of a network with random
// layers draws from its own random state, so the discriminator's masks on
// real and generated images differ. BatchNormalization's moving averages
// follow the calls: the discriminator's step updates the discriminator's
// (real images, then generated ones), the generator's step both networks'.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/Errors.h"
#include "kiln/Frontend/GanAnalysis.h"
#include "kiln/Frontend/ModelToKiln.h"

#include "KilnModuleBuilder.h"

#include "kiln/Dialect/Kiln/IR/KilnDialect.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Differentiation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

using namespace ::kiln;
using kiln::detail::KilnModuleBuilder;
using llvm::SmallVector;
using llvm::StringRef;
using mlir::Attribute;
using mlir::DictionaryAttr;
using mlir::Location;
using mlir::ModuleOp;
using mlir::NamedAttribute;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::Type;
using mlir::Value;
namespace func = mlir::func;
namespace kd = mlir::kiln;

namespace {

/// The role of a GAN function's argument after the parameters.
struct GanArgument {
  StringRef name;
  Type type;
  /// `kiln.rng` rather than `kiln.input`.
  bool rng = false;
};

class GanModuleBuilder {
public:
  GanModuleBuilder(const fb::ModelT &model, const GanAnalysis &gan,
                   mlir::MLIRContext &context, StringRef file)
      : model(model), gan(gan), context(context), file(file),
        generator(*model.gan->generator, gan.generator, context, file),
        discriminator(*model.gan->discriminator, gan.discriminator, context,
                      file),
        b(generator.getBuilder()),
        loc(mlir::FileLineColLoc::get(&context, file, 0, 0)) {}

  llvm::Expected<mlir::OwningOpRef<ModuleOp>> build();

private:
  size_t numGeneratorParams() const { return generator.getParams().size(); }
  size_t numParams() const {
    return numGeneratorParams() + discriminator.getParams().size();
  }
  /// Adds function `name` taking every parameter (those of the network
  /// `frozen` names, if any, marked frozen) and `extra`.
  func::FuncOp createFunction(ModuleOp module, StringRef name,
                              llvm::ArrayRef<GanArgument> extra,
                              llvm::ArrayRef<Type> results, StringRef frozen);
  /// Positions both builders at the end of `func`'s body.
  void atEnd(func::FuncOp func);
  /// Runs a network on its main input (latent vector or image) and, for a
  /// conditional GAN, the class indices.
  Value runGenerator(func::FuncOp func, Value latent, Value classes, Value rng,
                     bool training);
  Value runDiscriminator(func::FuncOp func, Value images, Value classes,
                         Value rng);
  mlir::ValueRange generatorParams(func::FuncOp func) {
    return func.getArguments().take_front(numGeneratorParams());
  }
  mlir::ValueRange discriminatorParams(func::FuncOp func) {
    return func.getArguments().slice(numGeneratorParams(),
                                     discriminator.getParams().size());
  }
  /// `value` with every element replaced by `constant` (a target for a
  /// loss op; the zero scale makes it independent of `value`'s gradient).
  Value filled(Value value, float constant);
  Value scalarAdd(Value a, Value b);
  /// The mean of `scores`, times `factor`.
  Value mean(Value scores, float factor = 1.0f);
  /// mean(relu(1 + sign · scores)): the hinge loss of scores on the side
  /// `sign` (-1 for real images, +1 for generated ones).
  Value hinge(Value scores, float sign);
  /// Returns `values`, appending the new value of every state parameter
  /// of the listed networks and tagging those results.
  void appendStates(func::FuncOp func, SmallVector<Value> &values,
                    bool ofGenerator, bool ofDiscriminator);

  void buildForward(ModuleOp module);
  mlir::LogicalResult buildDiscriminatorLoss(ModuleOp module);
  /// λ · mean((‖∂D(x̂)/∂x̂‖ - 1)²) on the interpolates x̂ = fake + ε (real -
  /// fake): the critic's input gradient, built by the reverse sweep inside
  /// the loss so that kiln-autodiff differentiates it again.
  mlir::FailureOr<Value> emitGradientPenalty(func::FuncOp func, Value real,
                                             Value fake, Value interpolation,
                                             Value classes, Value rng);
  void buildGeneratorLoss(ModuleOp module);
  DictionaryAttr buildModelAttr();

  const fb::ModelT &model;
  const GanAnalysis &gan;
  mlir::MLIRContext &context;
  StringRef file;
  KilnModuleBuilder generator, discriminator;
  OpBuilder &b;
  Location loc;
};

func::FuncOp GanModuleBuilder::createFunction(ModuleOp module, StringRef name,
                                              llvm::ArrayRef<GanArgument> extra,
                                              llvm::ArrayRef<Type> results,
                                              StringRef frozen) {
  SmallVector<Type> inputs;
  for (const auto &param : generator.getParams())
    inputs.push_back(param.type);
  for (const auto &param : discriminator.getParams())
    inputs.push_back(param.type);
  for (const GanArgument &arg : extra)
    inputs.push_back(arg.type);
  b.setInsertionPointToEnd(module.getBody());
  auto func =
      func::FuncOp::create(b, loc, name, b.getFunctionType(inputs, results));
  size_t g = numGeneratorParams();
  for (size_t i = 0; i < g; ++i)
    func.setArgAttr(i, "kiln.param",
                    generator.buildParamAttr(i, frozen == "generator"));
  for (size_t i = 0, e = discriminator.getParams().size(); i < e; ++i)
    func.setArgAttr(g + i, "kiln.param",
                    discriminator.buildParamAttr(i, frozen == "discriminator"));
  for (auto [k, arg] : llvm::enumerate(extra))
    func.setArgAttr(numParams() + k, arg.rng ? "kiln.rng" : "kiln.input",
                    arg.rng ? Attribute(b.getUnitAttr())
                            : Attribute(b.getStringAttr(arg.name)));
  func.addEntryBlock();
  return func;
}

void GanModuleBuilder::atEnd(func::FuncOp func) {
  generator.getBuilder().setInsertionPointToEnd(&func.getBody().front());
  discriminator.getBuilder().setInsertionPointToEnd(&func.getBody().front());
}

Value GanModuleBuilder::runGenerator(func::FuncOp func, Value latent,
                                     Value classes, Value rng, bool training) {
  SmallVector<Value, 2> inputs(gan.isConditional() ? 2 : 1);
  inputs[gan.generatorLatentInput] = latent;
  if (gan.isConditional())
    inputs[gan.generatorLabelInput] = classes;
  atEnd(func);
  return generator.emitLayers(generatorParams(func), inputs, rng, training)
      .front();
}

Value GanModuleBuilder::runDiscriminator(func::FuncOp func, Value images,
                                         Value classes, Value rng) {
  SmallVector<Value, 2> inputs(gan.isConditional() ? 2 : 1);
  inputs[gan.discriminatorImageInput] = images;
  if (gan.isConditional())
    inputs[gan.discriminatorLabelInput] = classes;
  atEnd(func);
  return discriminator
      .emitLayers(discriminatorParams(func), inputs, rng, /*training=*/true)
      .front();
}

Value GanModuleBuilder::filled(Value value, float constant) {
  return kd::ScaleOp::create(b, loc, value, b.getF32FloatAttr(0.0f),
                             b.getF32FloatAttr(constant));
}

Value GanModuleBuilder::scalarAdd(Value lhs, Value rhs) {
  return kd::AddOp::create(b, loc, lhs.getType(), lhs, rhs);
}

Value GanModuleBuilder::mean(Value scores, float factor) {
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  Value value = kd::MeanDifferenceOp::create(b, loc, scalar, scores,
                                             filled(scores, 0.0f));
  if (factor == 1.0f)
    return value;
  return kd::ScaleOp::create(b, loc, value, b.getF32FloatAttr(factor),
                             b.getF32FloatAttr(0.0f));
}

Value GanModuleBuilder::hinge(Value scores, float sign) {
  Value margin = kd::ScaleOp::create(b, loc, scores, b.getF32FloatAttr(sign),
                                     b.getF32FloatAttr(1.0f));
  return mean(kd::ReluOp::create(b, loc, margin));
}

void GanModuleBuilder::appendStates(func::FuncOp func,
                                    SmallVector<Value> &values,
                                    bool ofGenerator, bool ofDiscriminator) {
  auto append = [&](KilnModuleBuilder &network, size_t offset) {
    for (auto [i, param] : llvm::enumerate(network.getParams())) {
      if (!param.state)
        continue;
      func.setResultAttr(values.size(), "kiln.state_update",
                         b.getI64IntegerAttr(offset + i));
      values.push_back(network.getStateUpdate(i));
    }
  };
  if (ofGenerator)
    append(generator, 0);
  if (ofDiscriminator)
    append(discriminator, numGeneratorParams());
}

void GanModuleBuilder::buildForward(ModuleOp module) {
  Type images = generator.batchType(gan.imageShape);
  SmallVector<GanArgument> extra = {
      {"latent", generator.batchType({gan.latentDim})}};
  if (gan.isConditional())
    extra.push_back({"class", generator.batchType({1})});
  func::FuncOp func = createFunction(module, "forward", extra, {images}, "");
  Value classes =
      gan.isConditional() ? func.getArgument(numParams() + 1) : Value();
  Value generated = runGenerator(func, func.getArgument(numParams()), classes,
                                 Value(), /*training=*/false);
  func::ReturnOp::create(b, loc, generated);
}

/// Types of a step's results: the scalars, then one per state parameter of
/// the networks whose states it updates.
static SmallVector<Type>
resultTypes(unsigned scalars, mlir::MLIRContext &context,
            std::initializer_list<const KilnModuleBuilder *> networks) {
  SmallVector<Type> types(
      scalars, RankedTensorType::get({}, mlir::Float32Type::get(&context)));
  for (const KilnModuleBuilder *network : networks)
    for (const auto &param : network->getParams())
      if (param.state)
        types.push_back(param.type);
  return types;
}

mlir::LogicalResult GanModuleBuilder::buildDiscriminatorLoss(ModuleOp module) {
  Type rngType = RankedTensorType::get({2}, b.getI64Type());
  SmallVector<GanArgument> extra = {
      {"images", generator.batchType(gan.imageShape)},
      {"latent", generator.batchType({gan.latentDim})}};
  if (gan.isConditional()) {
    extra.push_back({"classes", generator.batchType({1})});
    extra.push_back({"fake_classes", generator.batchType({1})});
  }
  bool penalty = gan.loss == GanLoss::WassersteinGP;
  // The interpolation weights of the gradient penalty: one uniform draw per
  // sample, repeated over the sample's elements (the runtime draws them).
  if (penalty)
    extra.push_back({"interpolation", generator.batchType(gan.imageShape)});
  for (StringRef name : {"rng_generator", "rng_real", "rng_fake"})
    extra.push_back({name, rngType, /*rng=*/true});
  if (penalty)
    extra.push_back({"rng_penalty", rngType, /*rng=*/true});
  func::FuncOp func =
      createFunction(module, "discriminator_loss", extra,
                     resultTypes(3, context, {&discriminator}), "generator");
  unsigned arg = numParams();
  Value images = func.getArgument(arg++);
  Value latent = func.getArgument(arg++);
  Value classes, fakeClasses;
  if (gan.isConditional()) {
    classes = func.getArgument(arg++);
    fakeClasses = func.getArgument(arg++);
  }
  Value interpolation = penalty ? func.getArgument(arg++) : Value();
  Value rngGenerator = func.getArgument(arg++);
  Value rngReal = func.getArgument(arg++);
  Value rngFake = func.getArgument(arg++);
  Value rngPenalty = penalty ? func.getArgument(arg++) : Value();

  const fb::GanT &config = *model.gan;
  atEnd(func);
  Value real =
      kd::ScaleOp::create(b, loc, images, b.getF32FloatAttr(config.image_scale),
                          b.getF32FloatAttr(config.image_offset));
  Value fake =
      runGenerator(func, latent, fakeClasses, rngGenerator, /*training=*/true);
  // The generator's moving averages move in its own step only.
  generator.clearStateUpdates();
  discriminator.clearStateUpdates();
  Value realScore = runDiscriminator(func, real, classes, rngReal);
  Value fakeScore = runDiscriminator(func, fake, fakeClasses, rngFake);
  atEnd(func);
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  Value loss;
  switch (gan.loss) {
  case GanLoss::NonSaturating: {
    // The discriminator classifies real (target 1, less the one-sided
    // smoothing) against generated (target 0), on its logits.
    Value realLoss = kd::SigmoidBinaryCrossEntropyOp::create(
        b, loc, scalar, realScore,
        filled(realScore, 1.0f - config.label_smoothing));
    Value fakeLoss = kd::SigmoidBinaryCrossEntropyOp::create(
        b, loc, scalar, fakeScore, filled(fakeScore, 0.0f));
    loss = scalarAdd(realLoss, fakeLoss);
    break;
  }
  case GanLoss::Hinge:
    // max(0, 1 - D(x)) on real images, max(0, 1 + D(G(z))) on generated.
    loss = scalarAdd(hinge(realScore, -1.0f), hinge(fakeScore, 1.0f));
    break;
  case GanLoss::WassersteinGP:
    // The critic's estimate of the Wasserstein distance, negated: it
    // raises its scores of real images and lowers those of generated ones.
    loss = scalarAdd(mean(fakeScore), mean(realScore, -1.0f));
    break;
  }
  if (penalty) {
    mlir::FailureOr<Value> term = emitGradientPenalty(
        func, real, fake, interpolation, classes, rngPenalty);
    if (mlir::failed(term))
      return mlir::failure();
    loss = scalarAdd(loss, *term);
  }
  loss = discriminator.addRegularization(loss);
  // Accuracy on the logits: a real image is recognized when its logit is
  // positive, a generated one when it is not.
  SmallVector<Value> values = {
      loss,
      kd::BinaryAccuracyOp::create(b, loc, scalar, realScore,
                                   filled(realScore, 1.0f),
                                   b.getF32FloatAttr(0.0f)),
      kd::BinaryAccuracyOp::create(b, loc, scalar, fakeScore,
                                   filled(fakeScore, 0.0f),
                                   b.getF32FloatAttr(0.0f))};
  appendStates(func, values, /*ofGenerator=*/false, /*ofDiscriminator=*/true);
  func::ReturnOp::create(b, loc, values);
  return mlir::success();
}

mlir::FailureOr<Value>
GanModuleBuilder::emitGradientPenalty(func::FuncOp func, Value real, Value fake,
                                      Value interpolation, Value classes,
                                      Value rng) {
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  atEnd(func);
  Value difference = kd::AddOp::create(
      b, loc, real.getType(), real,
      kd::ScaleOp::create(b, loc, fake, b.getF32FloatAttr(-1.0f),
                          b.getF32FloatAttr(0.0f)));
  Value mixed = kd::AddOp::create(
      b, loc, fake.getType(), fake,
      kd::MulOp::create(b, loc, fake.getType(), difference, interpolation));
  // The class of a real image and of its generated partner differ; the
  // interpolate is scored with the real one's, as conditional WGAN-GP does.
  Value score = runDiscriminator(func, mixed, classes, rng);
  atEnd(func);
  // The seed, ones of the score's shape, is built from the data (the
  // interpolation weights) rather than from the score, so that the outer
  // sweep has nothing to differentiate in it.
  int64_t elements = 1;
  for (int64_t extent : gan.imageShape)
    elements *= extent;
  auto flatType = generator.batchType({elements});
  Value seed =
      filled(kd::SliceOp::create(
                 b, loc, generator.batchType({1}),
                 kd::ReshapeOp::create(b, loc, flatType, interpolation),
                 b.getI64IntegerAttr(1), b.getI64IntegerAttr(0)),
             1.0f);
  mlir::FailureOr<SmallVector<Value>> gradient =
      kd::emitVectorJacobianProduct(b, loc, score, seed, mixed);
  if (failed(gradient))
    return mlir::failure();
  // Per-sample squared norms: the flattened gradient squared, times a
  // column of ones.
  Value flat = kd::ReshapeOp::create(b, loc, flatType, gradient->front());
  Value squares = kd::MulOp::create(b, loc, flatType, flat, flat);
  auto onesType = RankedTensorType::get({elements, 1}, b.getF32Type());
  Value ones = mlir::arith::ConstantOp::create(
      b, loc, onesType,
      mlir::DenseElementsAttr::get(onesType, b.getF32FloatAttr(1.0f)));
  Value sums =
      kd::MatmulOp::create(b, loc, generator.batchType({1}), squares, ones);
  // A tiny offset keeps sqrt's derivative finite where the gradient
  // vanishes.
  Value norms = kd::SqrtOp::create(
      b, loc,
      kd::ScaleOp::create(b, loc, sums, b.getF32FloatAttr(1.0f),
                          b.getF32FloatAttr(1e-12f)));
  Value penalty = kd::MeanSquaredErrorOp::create(b, loc, scalar, norms,
                                                 filled(norms, 1.0f));
  return Value(kd::ScaleOp::create(
      b, loc, penalty, b.getF32FloatAttr(model.gan->gradient_penalty_weight),
      b.getF32FloatAttr(0.0f)));
}

void GanModuleBuilder::buildGeneratorLoss(ModuleOp module) {
  Type rngType = RankedTensorType::get({2}, b.getI64Type());
  SmallVector<GanArgument> extra = {
      {"latent", generator.batchType({gan.latentDim})}};
  if (gan.isConditional())
    extra.push_back({"fake_classes", generator.batchType({1})});
  for (StringRef name : {"rng_generator", "rng_discriminator"})
    extra.push_back({name, rngType, /*rng=*/true});
  func::FuncOp func = createFunction(
      module, "generator_loss", extra,
      resultTypes(1, context, {&generator, &discriminator}), "discriminator");
  unsigned arg = numParams();
  Value latent = func.getArgument(arg++);
  Value fakeClasses = gan.isConditional() ? func.getArgument(arg++) : Value();
  Value rngGenerator = func.getArgument(arg++);
  Value rngDiscriminator = func.getArgument(arg++);

  generator.clearStateUpdates();
  discriminator.clearStateUpdates();
  Value fake =
      runGenerator(func, latent, fakeClasses, rngGenerator, /*training=*/true);
  Value loss;
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  Value score = runDiscriminator(func, fake, fakeClasses, rngDiscriminator);
  atEnd(func);
  switch (gan.loss) {
  case GanLoss::NonSaturating:
    // -log D(G(z)): the generator wants its images classified as real.
    loss = kd::SigmoidBinaryCrossEntropyOp::create(b, loc, scalar, score,
                                                   filled(score, 1.0f));
    break;
  case GanLoss::Hinge:
  case GanLoss::WassersteinGP:
    // Both raise the critic's mean score of the generated images.
    loss = mean(score, -1.0f);
    break;
  }
  // The generator's own regularizers; runGenerator was its last call.
  atEnd(func);
  loss = generator.addRegularization(loss);
  SmallVector<Value> values = {loss};
  appendStates(func, values, /*ofGenerator=*/true, /*ofDiscriminator=*/true);
  func::ReturnOp::create(b, loc, values);
}

DictionaryAttr GanModuleBuilder::buildModelAttr() {
  const fb::GanT &config = *model.gan;
  auto named = [&](StringRef name, Attribute value) {
    return b.getNamedAttr(name, value);
  };
  SmallVector<Attribute> layers;
  for (Attribute layer : generator.buildLayersAttr("generator/"))
    layers.push_back(layer);
  for (Attribute layer : discriminator.buildLayersAttr("discriminator/"))
    layers.push_back(layer);
  SmallVector<NamedAttribute> ganFields = {
      named("loss", b.getStringAttr(config.loss)),
      named("latent_dim", b.getI64IntegerAttr(gan.latentDim)),
      named("latent_distribution", b.getStringAttr(config.latent_distribution)),
      named("discriminator_steps",
            b.getI64IntegerAttr(config.discriminator_steps)),
      named("label_smoothing", b.getF32FloatAttr(config.label_smoothing)),
      named("gradient_penalty_weight",
            b.getF32FloatAttr(config.gradient_penalty_weight)),
      named("num_classes", b.getI64IntegerAttr(config.num_classes)),
      named("image_scale", b.getF32FloatAttr(config.image_scale)),
      named("image_offset", b.getF32FloatAttr(config.image_offset)),
      named("num_generator_params",
            b.getI64IntegerAttr(static_cast<int64_t>(numGeneratorParams()))),
      named("generator_optimizer",
            generator.buildOptimizerAttr(*config.generator_optimizer)),
      named("discriminator_optimizer",
            discriminator.buildOptimizerAttr(*config.discriminator_optimizer))};
  SmallVector<Attribute> inputs = {b.getStringAttr("latent")};
  if (gan.isConditional())
    inputs.push_back(b.getStringAttr("class"));
  SmallVector<NamedAttribute> fields = {
      named("name", b.getStringAttr(model.name)),
      named("loss", b.getStringAttr("gan_" + config.loss)),
      named("metrics", b.getArrayAttr({b.getStringAttr("real_accuracy"),
                                       b.getStringAttr("fake_accuracy")})),
      named("epochs", b.getI64IntegerAttr(model.training->epochs)),
      named("batch_size", b.getI64IntegerAttr(model.training->batch_size)),
      named("optimizer",
            discriminator.buildOptimizerAttr(*config.discriminator_optimizer)),
      named("layers", b.getArrayAttr(layers)),
      named("inputs", b.getArrayAttr(inputs)),
      named("gan", b.getDictionaryAttr(ganFields))};
  return b.getDictionaryAttr(fields);
}

llvm::Expected<mlir::OwningOpRef<ModuleOp>> GanModuleBuilder::build() {
  context.getOrLoadDialect<kd::KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  context.getOrLoadDialect<mlir::arith::ArithDialect>();

  generator.collectParams("generator/");
  discriminator.collectParams("discriminator/");
  mlir::OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  (*module)->setAttr("kiln.model", buildModelAttr());
  buildForward(*module);
  if (mlir::failed(buildDiscriminatorLoss(*module)))
    return makeFrontendError(file, "gan.loss",
                             "internal error: the gradient penalty's "
                             "input gradient could not be derived");
  buildGeneratorLoss(*module);

  std::string message;
  {
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return mlir::success();
    });
    if (mlir::succeeded(mlir::verify(*module)))
      return std::move(module);
  }
  return makeFrontendError(file, "kiln module",
                           "internal error: the module built for the GAN "
                           "does not verify: " +
                               message);
}

} // namespace

llvm::Expected<mlir::OwningOpRef<ModuleOp>>
kiln::buildGanModule(const fb::ModelT &model, const GanAnalysis &gan,
                     mlir::MLIRContext &context, StringRef file) {
  return GanModuleBuilder(model, gan, context, file).build();
}
