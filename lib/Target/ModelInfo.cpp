//===- ModelInfo.cpp - Model facts and the generated descriptor -----------===//

#include "kiln/Target/ModelInfo.h"

#include "kiln/runtime/abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace kiln;

llvm::ArrayRef<EntryPoint> kiln::getEntryPoints() {
  static const EntryPoint entries[] = {
      {"train_step", "kiln_train_step"},
      {"evaluate", "kiln_evaluate"},
      {"forward", "kiln_predict"},
      {"discriminator_step", "kiln_gan_discriminator_step"},
      {"generator_step", "kiln_gan_generator_step"},
  };
  return entries;
}

//===----------------------------------------------------------------------===//
// Extraction from the kiln module
//===----------------------------------------------------------------------===//

namespace {

template <typename AttrT> AttrT getField(DictionaryAttr dict, StringRef key) {
  return dict ? dyn_cast_or_null<AttrT>(dict.get(key)) : AttrT();
}

SmallVector<int64_t> sampleShape(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return SmallVector<int64_t>(tensor.getShape().drop_front());
}

/// Sets the descriptor's form of `p.initializer` and its arguments
/// (`initializer_args`, absent ones taking Keras's defaults). Glorot, He
/// and Lecun are VarianceScaling with fixed arguments; glorot_uniform
/// keeps its own kind (the runtime's original one).
LogicalResult resolveInitializer(ModelParam &p, DictionaryAttr args) {
  auto number = [&](StringRef key, float fallback) {
    auto attr = getField<FloatAttr>(args, key);
    return attr ? static_cast<float>(attr.getValueAsDouble()) : fallback;
  };
  auto text = [&](StringRef key, StringRef fallback) {
    auto attr = getField<StringAttr>(args, key);
    return attr ? attr.getValue() : fallback;
  };
  auto scaling = [&](float scale, int32_t mode, int32_t distribution) {
    p.initKind = KILN_INIT_VARIANCE_SCALING;
    p.initScale = scale;
    p.initMode = mode;
    p.initDistribution = distribution;
    return success();
  };
  StringRef name = p.initializer;
  if (name.empty() || name == "glorot_uniform")
    p.initKind = KILN_INIT_GLOROT_UNIFORM;
  else if (name == "zeros")
    p.initKind = KILN_INIT_ZEROS;
  else if (name == "ones")
    p.initKind = KILN_INIT_ONES;
  else if (name == "unit_forget_bias")
    p.initKind = KILN_INIT_UNIT_FORGET_BIAS;
  else if (name == "orthogonal" || name == "identity") {
    p.initKind =
        name == "orthogonal" ? KILN_INIT_ORTHOGONAL : KILN_INIT_IDENTITY;
    p.initGain = number("gain", 1.0f);
  } else if (name == "constant") {
    p.initKind = KILN_INIT_CONSTANT;
    p.initValue = number("value", 0.0f);
  } else if (name == "random_uniform") {
    p.initKind = KILN_INIT_RANDOM_UNIFORM;
    p.initMinval = number("minval", -0.05f);
    p.initMaxval = number("maxval", 0.05f);
  } else if (name == "random_normal" || name == "truncated_normal") {
    p.initKind = name == "random_normal" ? KILN_INIT_RANDOM_NORMAL
                                         : KILN_INIT_TRUNCATED_NORMAL;
    p.initMean = number("mean", 0.0f);
    p.initStddev = number("stddev", 0.05f);
  } else if (name == "glorot_normal")
    return scaling(1.0f, KILN_FAN_AVG, KILN_DISTRIBUTION_TRUNCATED_NORMAL);
  else if (name == "he_uniform")
    return scaling(2.0f, KILN_FAN_IN, KILN_DISTRIBUTION_UNIFORM);
  else if (name == "he_normal")
    return scaling(2.0f, KILN_FAN_IN, KILN_DISTRIBUTION_TRUNCATED_NORMAL);
  else if (name == "lecun_uniform")
    return scaling(1.0f, KILN_FAN_IN, KILN_DISTRIBUTION_UNIFORM);
  else if (name == "lecun_normal")
    return scaling(1.0f, KILN_FAN_IN, KILN_DISTRIBUTION_TRUNCATED_NORMAL);
  else if (name == "variance_scaling") {
    int32_t mode = llvm::StringSwitch<int32_t>(text("mode", "fan_in"))
                       .Case("fan_in", KILN_FAN_IN)
                       .Case("fan_out", KILN_FAN_OUT)
                       .Case("fan_avg", KILN_FAN_AVG)
                       .Default(-1);
    int32_t distribution =
        llvm::StringSwitch<int32_t>(text("distribution", "truncated_normal"))
            .Case("truncated_normal", KILN_DISTRIBUTION_TRUNCATED_NORMAL)
            .Case("untruncated_normal", KILN_DISTRIBUTION_UNTRUNCATED_NORMAL)
            .Case("uniform", KILN_DISTRIBUTION_UNIFORM)
            .Default(-1);
    if (mode < 0 || distribution < 0)
      return failure();
    return scaling(number("scale", 1.0f), mode, distribution);
  } else
    return failure();
  return success();
}

/// Sets `out` to the float field `key` of `dict`, if it has one.
void readField(DictionaryAttr dict, StringRef key, float &out) {
  if (auto f = getField<FloatAttr>(dict, key))
    out = static_cast<float>(f.getValueAsDouble());
}

/// Sets `out` to the integer field `key` of `dict`, if it has one.
void readField(DictionaryAttr dict, StringRef key, int64_t &out) {
  if (auto i = getField<IntegerAttr>(dict, key))
    out = i.getInt();
}

/// Reads an optimizer entry of `kiln.model` into `info`.
void readOptimizer(DictionaryAttr opt, OptimizerInfo &info) {
  if (auto name = getField<StringAttr>(opt, "name"))
    info.name = name.str();
  auto readFloat = [&](StringRef key, float &out) { readField(opt, key, out); };
  readFloat("learning_rate", info.learningRate);
  readFloat("beta_1", info.beta1);
  readFloat("beta_2", info.beta2);
  readFloat("epsilon", info.epsilon);
  readFloat("momentum", info.momentum);
  readFloat("rho", info.rho);
  readFloat("initial_accumulator_value", info.initialAccumulatorValue);
  readFloat("weight_decay", info.weightDecay);
  readFloat("clipnorm", info.clipnorm);
  readFloat("clipvalue", info.clipvalue);
  readFloat("global_clipnorm", info.globalClipnorm);
  auto readBool = [](DictionaryAttr dict, StringRef key) {
    auto flag = getField<BoolAttr>(dict, key);
    return flag && flag.getValue();
  };
  info.nesterov = readBool(opt, "nesterov");
  info.amsgrad = readBool(opt, "amsgrad");
  info.centered = readBool(opt, "centered");
  if (auto schedule = getField<DictionaryAttr>(opt, "learning_rate_schedule")) {
    if (auto name = getField<StringAttr>(schedule, "class_name"))
      info.schedule = name.str();
    readField(schedule, "decay_steps", info.decaySteps);
    readField(schedule, "warmup_steps", info.warmupSteps);
    readField(schedule, "decay_rate", info.decayRate);
    readField(schedule, "alpha", info.alpha);
    readField(schedule, "warmup_target", info.warmupTarget);
    info.hasWarmup = static_cast<bool>(schedule.get("warmup_target"));
    info.staircase = readBool(schedule, "staircase");
    if (auto b = getField<DenseI64ArrayAttr>(schedule, "boundaries"))
      info.boundaries.assign(b.asArrayRef().begin(), b.asArrayRef().end());
    if (auto v = getField<DenseF32ArrayAttr>(schedule, "values"))
      info.values.assign(v.asArrayRef().begin(), v.asArrayRef().end());
  }
}

/// Checks that `fn`'s results from `first` on update `states`, in order.
LogicalResult checkStateResults(func::FuncOp fn, unsigned first,
                                ArrayRef<const ModelParam *> states) {
  if (fn.getNumResults() != first + states.size())
    return fn.emitError("expected @")
           << fn.getSymName() << " to return " << first << " scalars and "
           << states.size() << " state updates";
  for (auto [i, p] : llvm::enumerate(states)) {
    unsigned result = first + i;
    auto target =
        fn.getResultAttrOfType<IntegerAttr>(result, "kiln.state_update");
    if (!target || target.getInt() != int64_t(p->argument))
      return fn.emitError("expected @")
             << fn.getSymName() << " result #" << result
             << " to update state parameter '" << p->name << "'";
  }
  return success();
}

/// Reads the `gan` entry of `kiln.model` and checks the GAN's losses: the
/// discriminator's returns its loss, the two accuracies and the
/// discriminator's states; the generator's its loss and every state.
FailureOr<GanInfo> extractGanInfo(ModuleOp module, DictionaryAttr model,
                                  const ModelInfo &info) {
  auto dict = getField<DictionaryAttr>(model, "gan");
  if (!dict)
    return module.emitError("expected a 'gan' entry in 'kiln.model'");
  GanInfo gan;
  if (auto s = getField<StringAttr>(dict, "loss"))
    gan.loss = s.str();
  if (auto s = getField<StringAttr>(dict, "latent_distribution"))
    gan.latentDistribution = s.str();
  readField(dict, "latent_dim", gan.latentDim);
  readField(dict, "discriminator_steps", gan.discriminatorSteps);
  readField(dict, "num_classes", gan.numClasses);
  readField(dict, "num_generator_params", gan.numGeneratorParams);
  readField(dict, "label_smoothing", gan.labelSmoothing);
  readField(dict, "gradient_penalty_weight", gan.gradientPenaltyWeight);
  readField(dict, "image_scale", gan.imageScale);
  readField(dict, "image_offset", gan.imageOffset);
  if (auto opt = getField<DictionaryAttr>(dict, "generator_optimizer"))
    readOptimizer(opt, gan.generatorOptimizer);
  if (auto opt = getField<DictionaryAttr>(dict, "discriminator_optimizer"))
    readOptimizer(opt, gan.discriminatorOptimizer);
  gan.imageShape = info.outputs.front().shape;
  if (gan.numGeneratorParams < 0 ||
      gan.numGeneratorParams > int64_t(info.params.size()))
    return module.emitError("bad num_generator_params in 'kiln.model'");

  SmallVector<const ModelParam *> discriminatorStates, allStates;
  for (auto [i, p] : llvm::enumerate(info.params)) {
    if (!p.state)
      continue;
    allStates.push_back(&p);
    if (int64_t(i) >= gan.numGeneratorParams)
      discriminatorStates.push_back(&p);
  }
  if (failed(checkStateResults(
          module.lookupSymbol<func::FuncOp>("discriminator_loss"), 3,
          discriminatorStates)) ||
      failed(checkStateResults(
          module.lookupSymbol<func::FuncOp>("generator_loss"), 1, allStates)))
    return failure();
  return gan;
}

} // namespace

FailureOr<ModelInfo> kiln::extractModelInfo(ModuleOp module) {
  ModelInfo info;
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  // A GAN's parameters and inputs are those of its generator's @forward,
  // which leaves no parameter frozen that the networks do not freeze.
  bool isGan = static_cast<bool>(
      module.lookupSymbol<func::FuncOp>("discriminator_loss"));
  auto loss = isGan ? forward : module.lookupSymbol<func::FuncOp>("loss");
  if (isGan &&
      (!forward || !module.lookupSymbol<func::FuncOp>("generator_loss")))
    return module.emitError("expected functions @forward, "
                            "@discriminator_loss and @generator_loss");
  if (!isGan &&
      (!loss || !forward || !module.lookupSymbol<func::FuncOp>("evaluate")))
    return module.emitError("expected functions @loss, @evaluate and "
                            "@forward");

  for (unsigned i = 0, e = loss.getNumArguments(); i < e; ++i) {
    Type type = loss.getArgument(i).getType();
    if (auto param = loss.getArgAttrOfType<DictionaryAttr>(i, "kiln.param")) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !tensor.hasStaticShape() ||
          tensor.getRank() > KILN_MAX_RANK)
        return loss.emitError("parameter #")
               << i << " must be a static tensor of rank <= " << KILN_MAX_RANK;
      ModelParam p;
      if (auto name = getField<StringAttr>(param, "name"))
        p.name = name.str();
      if (auto init = getField<StringAttr>(param, "initializer"))
        p.initializer = init.str();
      if (auto trainable = getField<BoolAttr>(param, "trainable"))
        p.frozen = !trainable.getValue();
      p.state = static_cast<bool>(param.get("state"));
      if (p.state && !p.frozen)
        return loss.emitError("state parameter '")
               << p.name << "' must be frozen (trainable = false)";
      p.argument = i;
      p.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
      if (failed(resolveInitializer(
              p, getField<DictionaryAttr>(param, "initializer_args"))))
        return loss.emitError("parameter '")
               << p.name << "': unknown initializer '" << p.initializer
               << "' or bad initializer_args";
      info.params.push_back(std::move(p));
    } else if (auto name = loss.getArgAttrOfType<StringAttr>(i, "kiln.input")) {
      info.inputs.push_back({name.str(), sampleShape(type)});
      if (info.inputs.back().shape.size() > KILN_MAX_RANK)
        return loss.emitError("input rank must be <= ") << KILN_MAX_RANK;
    } else if (loss.getArgAttr(i, "kiln.label")) {
      auto tensor = cast<RankedTensorType>(type);
      ModelOutput output;
      output.floatTargets = tensor.getElementType().isF32();
      output.targetShape = sampleShape(type);
      if (output.targetShape.size() > KILN_MAX_RANK)
        return loss.emitError("target rank must be <= ") << KILN_MAX_RANK;
      info.outputs.push_back(std::move(output));
    } else if (loss.getArgAttr(i, "kiln.rng")) {
      info.usesRng = true;
    }
  }
  if (isGan) {
    // The generated images are the one output; nothing labels them.
    ModelOutput output;
    output.name = "generated";
    output.floatTargets = true;
    output.targetShape = sampleShape(forward.getResultTypes().front());
    info.outputs.push_back(std::move(output));
    info.usesRng = true;
  }
  if (info.inputs.empty() || info.outputs.empty())
    return loss.emitError("expected at least one kiln.input and one "
                          "kiln.label argument");
  if (forward.getNumResults() != info.outputs.size())
    return forward.emitError("expected @forward to return one tensor per "
                             "kiln.label of @loss");
  for (auto [output, type] :
       llvm::zip(info.outputs, forward.getResultTypes())) {
    output.shape = sampleShape(type);
    if (output.shape.size() > KILN_MAX_RANK)
      return forward.emitError("output rank must be <= ") << KILN_MAX_RANK;
  }

  auto model = module->getAttrOfType<DictionaryAttr>("kiln.model");
  if (!model)
    return module.emitError("expected a 'kiln.model' attribute");
  if (auto name = getField<StringAttr>(model, "name"))
    info.name = name.str();
  if (auto lossName = getField<StringAttr>(model, "loss"))
    info.loss = lossName.str();
  info.outputs.front().loss = info.loss;
  // Several outputs: their names, losses and weights.
  if (auto outputs = getField<ArrayAttr>(model, "outputs")) {
    if (outputs.size() != info.outputs.size())
      return module.emitError("expected one kiln.model output per "
                              "kiln.label of @loss");
    for (auto [output, attr] : llvm::zip(info.outputs, outputs)) {
      auto dict = dyn_cast<DictionaryAttr>(attr);
      if (!dict)
        return module.emitError("expected kiln.model outputs to be "
                                "dictionaries");
      if (auto name = getField<StringAttr>(dict, "name"))
        output.name = name.str();
      if (auto lossName = getField<StringAttr>(dict, "loss"))
        output.loss = lossName.str();
      if (auto weight = getField<FloatAttr>(dict, "weight"))
        output.lossWeight = static_cast<float>(weight.getValueAsDouble());
    }
    info.loss = info.outputs.front().loss;
  }
  if (auto metrics = getField<ArrayAttr>(model, "metrics"))
    for (Attribute m : metrics)
      if (auto s = dyn_cast<StringAttr>(m))
        info.metrics.push_back(s.str());
  if (isGan) {
    FailureOr<GanInfo> gan = extractGanInfo(module, model, info);
    if (failed(gan))
      return failure();
    info.gan = std::move(*gan);
  } else {
    // After the loss and metrics, one new value per state parameter, in
    // parameter order: the runtime matches them by position.
    SmallVector<const ModelParam *> states;
    for (const ModelParam &p : info.params)
      if (p.state)
        states.push_back(&p);
    if (failed(checkStateResults(loss, 1 + info.metrics.size(), states)))
      return failure();
  }
  if (auto epochs = getField<IntegerAttr>(model, "epochs"))
    info.epochs = epochs.getInt();
  if (auto batch = getField<IntegerAttr>(model, "batch_size"))
    info.batchSize = batch.getInt();
  if (auto opt = getField<DictionaryAttr>(model, "optimizer"))
    readOptimizer(opt, info.optimizer);
  if (auto layers = getField<ArrayAttr>(model, "layers")) {
    for (Attribute a : layers) {
      auto dict = dyn_cast<DictionaryAttr>(a);
      if (!dict)
        continue;
      ModelLayer layer;
      if (auto s = getField<StringAttr>(dict, "name"))
        layer.name = s.str();
      if (auto s = getField<StringAttr>(dict, "class_name"))
        layer.className = s.str();
      if (auto shape = getField<DenseI64ArrayAttr>(dict, "output_shape"))
        layer.outputShape.assign(shape.asArrayRef().begin(),
                                 shape.asArrayRef().end());
      if (layer.outputShape.size() > KILN_MAX_RANK)
        layer.outputShape.resize(KILN_MAX_RANK);
      if (auto count = getField<IntegerAttr>(dict, "param_count"))
        layer.paramCount = count.getInt();
      if (auto s = getField<StringAttr>(dict, "inbound"))
        layer.inbound = s.str();
      info.layers.push_back(std::move(layer));
    }
  }

  // The fingerprint covers everything that gives parameters and checkpoints
  // their meaning: the whole imported module, printed canonically.
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, OpPrintingFlags().enableDebugInfo(false));
  info.fingerprint = llvm::xxh3_64bits(text);
  return info;
}

void kiln::readWorkspacePlan(ModuleOp module, ModelInfo &info) {
  // A GAN's training step is a discriminator and a generator update.
  if (auto flops = module->getAttrOfType<DictionaryAttr>("kiln.flops"))
    for (StringRef step :
         {"train_step", "discriminator_step", "generator_step"})
      if (auto count = dyn_cast_or_null<IntegerAttr>(flops.get(step)))
        info.trainFlopsPerSample += count.getInt();
  auto plans = module->getAttrOfType<DictionaryAttr>("kiln.workspace");
  if (!plans)
    return;
  // A GAN's two steps share the thread's workspace: it is the larger one.
  for (StringRef step : {"train_step", "discriminator_step", "generator_step"})
    if (auto plan = dyn_cast_or_null<DenseI64ArrayAttr>(plans.get(step)))
      if (plan.size() == 2) {
        info.workspaceBytesPerSample =
            std::max(info.workspaceBytesPerSample, plan[0]);
        info.workspaceBytesFixed = std::max(info.workspaceBytesFixed, plan[1]);
      }
}

//===----------------------------------------------------------------------===//
// Descriptor emission
//===----------------------------------------------------------------------===//

namespace {

/// Builds the constants of abi.h's structs. LLVM lays out non-packed
/// structs with the target's C alignment rules, so these match the header.
class DescriptorBuilder {
public:
  explicit DescriptorBuilder(llvm::Module &module)
      : module(module), ctx(module.getContext()),
        i32(llvm::Type::getInt32Ty(ctx)), i64(llvm::Type::getInt64Ty(ctx)),
        f32(llvm::Type::getFloatTy(ctx)),
        ptr(llvm::PointerType::getUnqual(ctx)),
        shapeTy(llvm::ArrayType::get(i64, KILN_MAX_RANK)) {}

  llvm::Constant *str(StringRef s) {
    auto it = strings.find(s);
    if (it != strings.end())
      return it->second;
    auto *init = llvm::ConstantDataArray::getString(ctx, s);
    auto *gv = new llvm::GlobalVariable(module, init->getType(), true,
                                        llvm::GlobalValue::PrivateLinkage, init,
                                        "kiln.str");
    gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    strings[s] = gv;
    return gv;
  }

  llvm::Constant *shape(ArrayRef<int64_t> dims) {
    SmallVector<llvm::Constant *> elems;
    for (unsigned i = 0; i < KILN_MAX_RANK; ++i)
      elems.push_back(
          llvm::ConstantInt::get(i64, i < dims.size() ? dims[i] : 0));
    return llvm::ConstantArray::get(shapeTy, elems);
  }

  llvm::Constant *int32(int64_t v) { return llvm::ConstantInt::get(i32, v); }
  llvm::Constant *int64(uint64_t v) { return llvm::ConstantInt::get(i64, v); }
  llvm::Constant *float32(float v) { return llvm::ConstantFP::get(f32, v); }

  /// A private constant array of floats, or null when empty.
  llvm::Constant *floats(ArrayRef<float> data, StringRef name) {
    if (data.empty())
      return llvm::ConstantPointerNull::get(ptr);
    auto *init = llvm::ConstantDataArray::get(ctx, data);
    auto *gv =
        new llvm::GlobalVariable(module, init->getType(), true,
                                 llvm::GlobalValue::PrivateLinkage, init, name);
    gv->setAlignment(llvm::Align(64));
    return gv;
  }

  /// A private constant byte array, or null when empty.
  llvm::Constant *bytes(StringRef data, StringRef name) {
    if (data.empty())
      return llvm::ConstantPointerNull::get(ptr);
    auto *init = llvm::ConstantDataArray::getRaw(data, data.size(),
                                                 llvm::Type::getInt8Ty(ctx));
    auto *gv =
        new llvm::GlobalVariable(module, init->getType(), true,
                                 llvm::GlobalValue::PrivateLinkage, init, name);
    gv->setAlignment(llvm::Align(16));
    return gv;
  }

  /// A private constant array of `elemTy`, or null when empty.
  llvm::Constant *array(llvm::Type *elemTy, ArrayRef<llvm::Constant *> elems,
                        StringRef name) {
    if (elems.empty())
      return llvm::ConstantPointerNull::get(ptr);
    auto *arrTy = llvm::ArrayType::get(elemTy, elems.size());
    return new llvm::GlobalVariable(
        module, arrTy, true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(arrTy, elems), name);
  }

  llvm::Module &module;
  llvm::LLVMContext &ctx;
  llvm::Type *i32, *i64, *f32;
  llvm::PointerType *ptr;
  llvm::ArrayType *shapeTy;
  llvm::StringMap<llvm::Constant *> strings;
};

int32_t optimizerKind(StringRef name) {
  return llvm::StringSwitch<int32_t>(name)
      .Case("sgd", KILN_OPTIMIZER_SGD)
      .Case("adamw", KILN_OPTIMIZER_ADAMW)
      .Case("rmsprop", KILN_OPTIMIZER_RMSPROP)
      .Case("adagrad", KILN_OPTIMIZER_ADAGRAD)
      .Case("adadelta", KILN_OPTIMIZER_ADADELTA)
      .Case("adamax", KILN_OPTIMIZER_ADAMAX)
      .Case("nadam", KILN_OPTIMIZER_NADAM)
      .Default(KILN_OPTIMIZER_ADAM);
}

int32_t scheduleKind(StringRef name) {
  return llvm::StringSwitch<int32_t>(name)
      .Case("ExponentialDecay", KILN_SCHEDULE_EXPONENTIAL_DECAY)
      .Case("PiecewiseConstantDecay", KILN_SCHEDULE_PIECEWISE_CONSTANT)
      .Case("CosineDecay", KILN_SCHEDULE_COSINE_DECAY)
      .Default(KILN_SCHEDULE_CONSTANT);
}

} // namespace

LogicalResult kiln::emitModelDescriptor(llvm::Module &module,
                                        const ModelInfo &info) {
  DescriptorBuilder b(module);
  llvm::LLVMContext &ctx = module.getContext();

  // Fields in the order of KilnInitArgs.
  auto *initArgsTy = llvm::StructType::get(
      ctx, {b.f32, b.i32, b.i32, b.f32, b.f32, b.f32, b.f32, b.f32, b.f32});
  auto *paramTy = llvm::StructType::get(
      ctx, {b.ptr, b.i32, b.shapeTy, b.i32, initArgsTy, b.i32, b.i32, b.ptr});
  SmallVector<llvm::Constant *> params;
  for (const ModelParam &p : info.params) {
    // Only the arguments the kind reads are set, as abi.h promises.
    int32_t kind = p.initData.empty() ? p.initKind : KILN_INIT_DATA;
    bool scaling = kind == KILN_INIT_VARIANCE_SCALING;
    bool uniform = kind == KILN_INIT_RANDOM_UNIFORM;
    bool normal =
        kind == KILN_INIT_RANDOM_NORMAL || kind == KILN_INIT_TRUNCATED_NORMAL;
    bool gain = kind == KILN_INIT_ORTHOGONAL || kind == KILN_INIT_IDENTITY;
    auto *args = llvm::ConstantStruct::get(
        initArgsTy, {b.float32(scaling ? p.initScale : 0.0f),
                     b.int32(scaling ? p.initMode : 0),
                     b.int32(scaling ? p.initDistribution : 0),
                     b.float32(uniform ? p.initMinval : 0.0f),
                     b.float32(uniform ? p.initMaxval : 0.0f),
                     b.float32(normal ? p.initMean : 0.0f),
                     b.float32(normal ? p.initStddev : 0.0f),
                     b.float32(kind == KILN_INIT_CONSTANT ? p.initValue : 0.0f),
                     b.float32(gain ? p.initGain : 0.0f)});
    params.push_back(llvm::ConstantStruct::get(
        paramTy, {b.str(p.name), b.int32(p.shape.size()), b.shape(p.shape),
                  b.int32(kind), args, b.int32(p.frozen), b.int32(p.state),
                  b.floats(p.initData, "kiln.init_data")}));
  }

  auto *layerTy = llvm::StructType::get(
      ctx, {b.ptr, b.ptr, b.i32, b.shapeTy, b.i64, b.ptr});
  SmallVector<llvm::Constant *> layers;
  for (const ModelLayer &l : info.layers)
    layers.push_back(llvm::ConstantStruct::get(
        layerTy,
        {b.str(l.name), b.str(l.className), b.int32(l.outputShape.size()),
         b.shape(l.outputShape), b.int64(l.paramCount), b.str(l.inbound)}));

  auto labelDType = [](const ModelOutput &output) {
    return output.floatTargets ? KILN_DTYPE_F32 : KILN_DTYPE_I32;
  };
  auto *inputTy = llvm::StructType::get(ctx, {b.ptr, b.i32, b.shapeTy, b.i32});
  SmallVector<llvm::Constant *> inputs;
  for (const ModelInput &input : info.inputs)
    inputs.push_back(llvm::ConstantStruct::get(
        inputTy, {b.str(input.name), b.int32(input.shape.size()),
                  b.shape(input.shape), b.int32(KILN_DTYPE_F32)}));
  auto *outputTy = llvm::StructType::get(
      ctx, {b.ptr, b.i32, b.shapeTy, b.i32, b.i32, b.shapeTy, b.ptr, b.f32});
  SmallVector<llvm::Constant *> outputs;
  for (const ModelOutput &output : info.outputs)
    outputs.push_back(llvm::ConstantStruct::get(
        outputTy,
        {b.str(output.name), b.int32(output.shape.size()),
         b.shape(output.shape), b.int32(labelDType(output)),
         b.int32(output.targetShape.size()), b.shape(output.targetShape),
         b.str(output.loss), b.float32(output.lossWeight)}));

  SmallVector<llvm::Constant *> metricNames;
  for (const std::string &m : info.metrics)
    metricNames.push_back(b.str(m));

  // Fields in the order of KilnOptimizerDesc.
  auto *optimizerTy = llvm::StructType::get(
      ctx, {b.i32, b.f32, b.f32, b.f32, b.f32,          // kind .. epsilon
            b.f32, b.i32, b.i32, b.f32, b.i32, b.f32,   // momentum .. init acc
            b.f32, b.f32, b.f32, b.f32,                 // decay, clipping
            b.i32, b.i32, b.i64, b.f32, b.f32,          // schedule .. alpha
            b.i32, b.f32, b.i64, b.i32, b.ptr, b.ptr}); // warmup .. values
  auto optimizerDesc = [&](const OptimizerInfo &opt) -> llvm::Constant * {
    SmallVector<llvm::Constant *> boundaries, values;
    for (int64_t boundary : opt.boundaries)
      boundaries.push_back(b.int64(boundary));
    for (float value : opt.values)
      values.push_back(b.float32(value));
    return llvm::ConstantStruct::get(
        optimizerTy, {b.int32(optimizerKind(opt.name)),
                      b.float32(opt.learningRate),
                      b.float32(opt.beta1),
                      b.float32(opt.beta2),
                      b.float32(opt.epsilon),
                      b.float32(opt.momentum),
                      b.int32(opt.nesterov),
                      b.int32(opt.amsgrad),
                      b.float32(opt.rho),
                      b.int32(opt.centered),
                      b.float32(opt.initialAccumulatorValue),
                      b.float32(opt.weightDecay),
                      b.float32(opt.clipnorm),
                      b.float32(opt.clipvalue),
                      b.float32(opt.globalClipnorm),
                      b.int32(scheduleKind(opt.schedule)),
                      b.int32(opt.staircase),
                      b.int64(opt.decaySteps),
                      b.float32(opt.decayRate),
                      b.float32(opt.alpha),
                      b.int32(opt.hasWarmup),
                      b.float32(opt.warmupTarget),
                      b.int64(opt.warmupSteps),
                      b.int32(opt.boundaries.size()),
                      b.array(b.i64, boundaries, "kiln.lr_boundaries"),
                      b.array(b.f32, values, "kiln.lr_values")});
  };
  llvm::Constant *optimizer = optimizerDesc(info.optimizer);

  // An ordinary model has the first three entry points, a GAN the last
  // two and predict; the others are null.
  SmallVector<llvm::Constant *> entries;
  for (auto [i, entry] : llvm::enumerate(getEntryPoints())) {
    bool needed = i == 2 || (i < 2) != info.gan.has_value();
    llvm::Function *fn = module.getFunction(entry.symbol);
    if (!fn && needed)
      return failure();
    entries.push_back(fn ? static_cast<llvm::Constant *>(fn)
                         : llvm::ConstantPointerNull::get(b.ptr));
  }

  llvm::Constant *gan = llvm::ConstantPointerNull::get(b.ptr);
  if (info.gan) {
    const GanInfo &g = *info.gan;
    auto *ganTy = llvm::StructType::get(
        ctx, {b.i32, b.i32, b.i32, b.i32, b.f32, b.f32, b.i32, b.f32, b.f32,
              b.i32, b.i32, b.shapeTy, optimizerTy, optimizerTy, b.ptr, b.ptr});
    int32_t loss = llvm::StringSwitch<int32_t>(g.loss)
                       .Case("hinge", KILN_GAN_HINGE)
                       .Case("wasserstein_gp", KILN_GAN_WASSERSTEIN_GP)
                       .Default(KILN_GAN_NON_SATURATING);
    auto *value = llvm::ConstantStruct::get(
        ganTy,
        {b.int32(loss), b.int32(g.latentDim),
         b.int32(g.latentDistribution == "uniform" ? KILN_LATENT_UNIFORM
                                                   : KILN_LATENT_NORMAL),
         b.int32(g.discriminatorSteps), b.float32(g.labelSmoothing),
         b.float32(g.gradientPenaltyWeight), b.int32(g.numClasses),
         b.float32(g.imageScale), b.float32(g.imageOffset),
         b.int32(g.numGeneratorParams), b.int32(g.imageShape.size()),
         b.shape(g.imageShape), optimizerDesc(g.generatorOptimizer),
         optimizerDesc(g.discriminatorOptimizer), entries[3], entries[4]});
    gan = new llvm::GlobalVariable(module, ganTy, /*isConstant=*/true,
                                   llvm::GlobalValue::PrivateLinkage, value,
                                   "kiln.gan");
  }

  auto *descTy = llvm::StructType::get(
      ctx, {b.i32, b.ptr,     b.i64,              // version, name, hash
            b.i32, b.ptr,                         // params
            b.i32, b.ptr,                         // layers
            b.i32, b.shapeTy, b.i32,              // input
            b.i32, b.shapeTy, b.i32,              // output, labels
            b.ptr, b.i32,     b.ptr,              // loss, metrics
            b.i32, b.i32,     optimizerTy,        // training defaults
            b.i32,                                // uses_rng
            b.ptr, b.ptr,     b.ptr,              // entry points
            b.i32, b.shapeTy,                     // target shape
            b.i64, b.i64,                         // workspace plan
            b.i32, b.ptr,     b.i32,       b.ptr, // inputs, outputs
            b.ptr, b.i64,                         // description
            b.ptr,                                // gan
            b.i64});                              // train FLOPs per sample
  const ModelInput &first = info.inputs.front();
  const ModelOutput &output = info.outputs.front();
  auto *desc = llvm::ConstantStruct::get(
      descTy, {b.int32(KILN_ABI_VERSION),
               b.str(info.name),
               b.int64(info.fingerprint),
               b.int32(params.size()),
               b.array(paramTy, params, "kiln.params"),
               b.int32(layers.size()),
               b.array(layerTy, layers, "kiln.layers"),
               b.int32(first.shape.size()),
               b.shape(first.shape),
               b.int32(KILN_DTYPE_F32),
               b.int32(output.shape.size()),
               b.shape(output.shape),
               b.int32(labelDType(output)),
               b.str(info.loss),
               b.int32(metricNames.size()),
               b.array(b.ptr, metricNames, "kiln.metric_names"),
               b.int32(info.epochs),
               b.int32(info.batchSize),
               optimizer,
               b.int32(info.usesRng),
               entries[0],
               entries[1],
               entries[2],
               b.int32(output.targetShape.size()),
               b.shape(output.targetShape),
               b.int64(info.workspaceBytesPerSample),
               b.int64(info.workspaceBytesFixed),
               b.int32(inputs.size()),
               b.array(inputTy, inputs, "kiln.inputs"),
               b.int32(outputs.size()),
               b.array(outputTy, outputs, "kiln.outputs"),
               b.bytes(info.description, "kiln.description"),
               b.int64(info.description.size()),
               gan,
               b.int64(info.trainFlopsPerSample)});
  new llvm::GlobalVariable(module, descTy, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, desc,
                           "kiln_model");
  return success();
}
