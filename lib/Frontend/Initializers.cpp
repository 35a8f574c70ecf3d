//===- Initializers.cpp - Initializer arguments ---------------------------===//
//
// Each initializer reads only its own arguments; setting another one is an
// error rather than ignored, since it would mean the model initializes
// differently than its author wrote. The defaults are Keras's.
//
//===----------------------------------------------------------------------===//

#include "Initializers.h"

#include "kiln/Frontend/Errors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace llvm;
using namespace kiln;

namespace {
/// Bit set of the arguments an initializer takes.
enum ArgBits : unsigned {
  scaleArg = 1 << 0,
  modeArg = 1 << 1,
  distributionArg = 1 << 2,
  minvalArg = 1 << 3,
  maxvalArg = 1 << 4,
  meanArg = 1 << 5,
  stddevArg = 1 << 6,
  valueArg = 1 << 7,
  gainArg = 1 << 8,
};
} // namespace

static unsigned argsOf(InitializerKind kind) {
  switch (kind) {
  case InitializerKind::VarianceScaling:
    return scaleArg | modeArg | distributionArg;
  case InitializerKind::RandomUniform:
    return minvalArg | maxvalArg;
  case InitializerKind::RandomNormal:
  case InitializerKind::TruncatedNormal:
    return meanArg | stddevArg;
  case InitializerKind::Constant:
    return valueArg;
  case InitializerKind::Orthogonal:
  case InitializerKind::Identity:
    return gainArg;
  default:
    return 0;
  }
}

bool kiln::takesInitializerArgs(InitializerKind kind) {
  return argsOf(kind) != 0;
}

fb::InitializerArgsT *kiln::findInitializerArgs(const fb::LayerT &layer,
                                                StringRef option) {
  for (const std::unique_ptr<fb::InitializerArgsT> &args :
       layer.initializer_args)
    if (args && args->option == option)
      return args.get();
  return nullptr;
}

std::string kiln::resolveInitializerArgs(fb::LayerT &layer, StringRef option,
                                         InitializerKind kind) {
  unsigned takes = argsOf(kind);
  fb::InitializerArgsT *args = findInitializerArgs(layer, option);
  if (!args) {
    if (!takes)
      return "";
    layer.initializer_args.push_back(std::make_unique<fb::InitializerArgsT>());
    args = layer.initializer_args.back().get();
    args->option = option.str();
  }
  std::string what = (option + " " + getInitializerName(kind)).str();
  // Every argument given must be one the initializer reads.
  struct Given {
    unsigned bit;
    StringRef name;
    bool set;
  } given[] = {{scaleArg, "scale", bool(args->scale)},
               {modeArg, "mode", !args->mode.empty()},
               {distributionArg, "distribution", !args->distribution.empty()},
               {minvalArg, "minval", bool(args->minval)},
               {maxvalArg, "maxval", bool(args->maxval)},
               {meanArg, "mean", bool(args->mean)},
               {stddevArg, "stddev", bool(args->stddev)},
               {valueArg, "value", bool(args->value)},
               {gainArg, "gain", bool(args->gain)}};
  for (const Given &arg : given)
    if (arg.set && !(takes & arg.bit))
      return what + " takes no argument '" + arg.name.str() + "'";

  auto fill = [](flatbuffers::Optional<float> &value, float fallback) {
    if (!value)
      value = fallback;
  };
  auto finite = [&](StringRef name,
                    const flatbuffers::Optional<float> &value) -> std::string {
    if (value && !std::isfinite(*value))
      return what + ": expected a finite " + name.str();
    return "";
  };
  if (takes & scaleArg) {
    fill(args->scale, 1.0f);
    if (!(*args->scale > 0.0f) || !std::isfinite(*args->scale))
      return what + ": expected scale > 0, got " + formatShortest(*args->scale);
    if (args->mode.empty())
      args->mode = "fan_in";
    if (!is_contained({"fan_in", "fan_out", "fan_avg"}, args->mode))
      return what + ": unsupported mode '" + args->mode +
             "'; expected fan_in, fan_out or fan_avg";
    if (args->distribution.empty())
      args->distribution = "truncated_normal";
    if (!is_contained({"truncated_normal", "untruncated_normal", "uniform"},
                      args->distribution))
      return what + ": unsupported distribution '" + args->distribution +
             "'; expected truncated_normal, untruncated_normal or uniform";
  }
  if (takes & minvalArg) {
    fill(args->minval, -0.05f);
    fill(args->maxval, 0.05f);
    for (std::string err :
         {finite("minval", args->minval), finite("maxval", args->maxval)})
      if (!err.empty())
        return err;
    if (*args->minval > *args->maxval)
      return what + ": expected minval <= maxval, got " +
             formatShortest(*args->minval) + " > " +
             formatShortest(*args->maxval);
  }
  if (takes & meanArg) {
    fill(args->mean, 0.0f);
    fill(args->stddev, 0.05f);
    for (std::string err :
         {finite("mean", args->mean), finite("stddev", args->stddev)})
      if (!err.empty())
        return err;
    if (*args->stddev < 0.0f)
      return what + ": expected stddev >= 0, got " +
             formatShortest(*args->stddev);
  }
  if (takes & valueArg) {
    fill(args->value, 0.0f);
    if (std::string err = finite("value", args->value); !err.empty())
      return err;
  }
  if (takes & gainArg) {
    fill(args->gain, 1.0f);
    if (std::string err = finite("gain", args->gain); !err.empty())
      return err;
  }
  return "";
}

mlir::DictionaryAttr kiln::buildInitializerArgsAttr(mlir::Builder &builder,
                                                    const fb::LayerT &layer,
                                                    StringRef option) {
  const fb::InitializerArgsT *args = findInitializerArgs(layer, option);
  if (!args)
    return {};
  SmallVector<mlir::NamedAttribute> entries;
  auto addFloat = [&](StringRef name,
                      const flatbuffers::Optional<float> &value) {
    if (value)
      entries.push_back(
          builder.getNamedAttr(name, builder.getF32FloatAttr(*value)));
  };
  auto addString = [&](StringRef name, const std::string &value) {
    if (!value.empty())
      entries.push_back(
          builder.getNamedAttr(name, builder.getStringAttr(value)));
  };
  addFloat("scale", args->scale);
  addString("mode", args->mode);
  addString("distribution", args->distribution);
  addFloat("minval", args->minval);
  addFloat("maxval", args->maxval);
  addFloat("mean", args->mean);
  addFloat("stddev", args->stddev);
  addFloat("value", args->value);
  addFloat("gain", args->gain);
  if (entries.empty())
    return {};
  return builder.getDictionaryAttr(entries);
}

mlir::DictionaryAttr kiln::buildParamInitializerArgsAttr(
    mlir::Builder &builder, const fb::LayerT &layer, StringRef paramName) {
  StringRef weight = paramName.rsplit('/').second;
  // Keras names the options after the weights, but for the recurrent one.
  std::string option = weight == "recurrent_kernel"
                           ? std::string("recurrent_initializer")
                           : (weight + "_initializer").str();
  // DepthwiseConv2D's `kernel` and SeparableConv2D's kernels take the
  // depthwise and pointwise initializers.
  if (weight == "depthwise_kernel" ||
      (weight == "kernel" && layer.class_name == "DepthwiseConv2D"))
    option = "depthwise_initializer";
  else if (weight == "pointwise_kernel")
    option = "pointwise_initializer";
  return buildInitializerArgsAttr(builder, layer, option);
}
