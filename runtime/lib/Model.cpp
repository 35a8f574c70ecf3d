//===- Model.cpp - Checked view of a compiled model's descriptor ----------===//

#include "kiln/runtime/Model.h"
#include "kiln/runtime/Error.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

int64_t elementCount(int32_t rank, const int64_t *shape) {
  int64_t count = 1;
  for (int32_t i = 0; i < rank; ++i)
    count *= shape[i];
  return count;
}

std::string formatShape(int32_t rank, const int64_t *shape) {
  std::string text = "(";
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += shape[i] < 0 ? std::string("None") : std::to_string(shape[i]);
  }
  // A one-element tuple keeps its trailing comma, as Python prints it.
  if (rank == 1)
    text += ",";
  return text + ")";
}

/// Checks that a shape of `rank` dimensions is well formed and returns its
/// element count; `what` names the shape in the error.
static int64_t checkedElements(const std::string &what, int32_t rank,
                               const int64_t *shape) {
  if (rank < 0 || rank > KILN_MAX_RANK)
    fail("model descriptor: %s has rank %d, expected 0..%d", what.c_str(), rank,
         KILN_MAX_RANK);
  // Bound the product so that later byte counts cannot overflow int64.
  const int64_t limit = int64_t(1) << 40;
  int64_t count = 1;
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] <= 0)
      fail("model descriptor: %s has dimension %d of size %lld", what.c_str(),
           i, static_cast<long long>(shape[i]));
    if (count > limit / shape[i])
      fail("model descriptor: %s is too large", what.c_str());
    count *= shape[i];
  }
  return count;
}

/// Rejects an unknown initializer or arguments it cannot use, so that
/// initialization never produces NaNs or silently wrong values.
static void checkInitializer(const std::string &what,
                             const KilnParamDesc &param) {
  const KilnInitArgs &args = param.init_args;
  auto finite = [](float x) { return std::isfinite(x); };
  bool ok = true;
  switch (param.initializer) {
  case KILN_INIT_ZEROS:
  case KILN_INIT_ONES:
  case KILN_INIT_GLOROT_UNIFORM:
  case KILN_INIT_UNIT_FORGET_BIAS:
    break;
  case KILN_INIT_ORTHOGONAL:
    ok = finite(args.gain) && param.rank >= 1;
    break;
  case KILN_INIT_IDENTITY:
    ok = finite(args.gain) && param.rank == 2;
    break;
  case KILN_INIT_CONSTANT:
    ok = finite(args.value);
    break;
  case KILN_INIT_RANDOM_UNIFORM:
    ok = finite(args.minval) && finite(args.maxval) &&
         args.minval <= args.maxval;
    break;
  case KILN_INIT_RANDOM_NORMAL:
  case KILN_INIT_TRUNCATED_NORMAL:
    ok = finite(args.mean) && finite(args.stddev) && args.stddev >= 0;
    break;
  case KILN_INIT_VARIANCE_SCALING:
    ok = finite(args.scale) && args.scale > 0 && args.mode >= KILN_FAN_IN &&
         args.mode <= KILN_FAN_AVG &&
         args.distribution >= KILN_DISTRIBUTION_TRUNCATED_NORMAL &&
         args.distribution <= KILN_DISTRIBUTION_UNIFORM;
    break;
  case KILN_INIT_DATA:
    ok = param.init_data != nullptr;
    break;
  default:
    fail("model descriptor: %s has unknown initializer %d", what.c_str(),
         param.initializer);
  }
  if (!ok)
    fail("model descriptor: %s has bad arguments for initializer %d",
         what.c_str(), param.initializer);
}

ModelInfo::ModelInfo(const KilnModelDesc &desc) : desc_(&desc) {
  if (desc.abi_version != KILN_ABI_VERSION)
    fail("model was compiled for runtime ABI version %u, this runtime "
         "implements version %d",
         desc.abi_version, KILN_ABI_VERSION);
  // A GAN's steps are in its KilnGanDesc; it has no train_step or evaluate.
  if (desc.gan ? !desc.predict || !desc.gan->discriminator_step ||
                     !desc.gan->generator_step
               : !desc.train_step || !desc.evaluate || !desc.predict)
    fail("model descriptor: missing entry point");
  if (desc.gan) {
    const KilnGanDesc &gan = *desc.gan;
    if (gan.latent_dim < 1 || gan.discriminator_steps < 1 ||
        gan.num_classes < 0 || gan.num_generator_params < 0 ||
        gan.num_generator_params > desc.num_params || gan.image_rank < 1 ||
        gan.image_rank > KILN_MAX_RANK)
      fail("model descriptor: bad GAN description");
  }
  if (desc.uses_rng != 0 && desc.uses_rng != 1)
    fail("model descriptor: uses_rng is %d, expected 0 or 1", desc.uses_rng);
  if (desc.num_params < 0 || (desc.num_params > 0 && !desc.params))
    fail("model descriptor: bad parameter list");
  if (desc.num_layers < 0 || (desc.num_layers > 0 && !desc.layers))
    fail("model descriptor: bad layer list");
  if (desc.num_metrics < 0 || (desc.num_metrics > 0 && !desc.metric_names))
    fail("model descriptor: bad metric list");
  for (int32_t i = 0; i < desc.num_metrics; ++i)
    if (!desc.metric_names[i] || !*desc.metric_names[i])
      fail("model descriptor: metric %d has no name", i);

  for (int32_t i = 0; i < desc.num_layers; ++i)
    if (desc.layers[i].output_rank < 0 ||
        desc.layers[i].output_rank > KILN_MAX_RANK)
      fail("model descriptor: layer %d has output rank %d, expected 0..%d", i,
           desc.layers[i].output_rank, KILN_MAX_RANK);

  for (int32_t i = 0; i < desc.num_params; ++i) {
    const KilnParamDesc &param = desc.params[i];
    if (!param.name || !*param.name)
      fail("model descriptor: parameter %d has no name", i);
    std::string what = formatString("parameter '%s'", param.name);
    int64_t count = checkedElements(what, param.rank, param.shape);
    checkInitializer(what, param);
    if (param.frozen != 0 && param.frozen != 1)
      fail("model descriptor: %s has frozen %d, expected 0 or 1", what.c_str(),
           param.frozen);
    if (param.state != 0 && !(param.state == 1 && param.frozen == 1))
      fail("model descriptor: %s has state %d (frozen %d), expected 0, or 1 "
           "with frozen 1",
           what.c_str(), param.state, param.frozen);
    if (param.initializer != KILN_INIT_DATA)
      hasInitialValues_ = false;
    paramElements_.push_back(count);
    totalParamElements_ += count;
  }

  // The single-input fields first: they describe input 0 and output 0.
  checkedElements("input", desc.input_rank, desc.input_shape);
  checkedElements("output", desc.output_rank, desc.output_shape);
  if (desc.input_dtype != KILN_DTYPE_F32 && desc.input_dtype != KILN_DTYPE_I32)
    fail("model descriptor: unknown input dtype %d", desc.input_dtype);
  if (desc.label_dtype != KILN_DTYPE_F32 && desc.label_dtype != KILN_DTYPE_I32)
    fail("model descriptor: unknown label dtype %d", desc.label_dtype);
  if (desc.label_dtype == KILN_DTYPE_F32 &&
      !(desc.target_rank == desc.output_rank &&
        std::equal(desc.target_shape, desc.target_shape + desc.target_rank,
                   desc.output_shape)))
    fail("model descriptor: float targets of shape %s, expected the output "
         "shape %s (label dtype f32)",
         formatShape(desc.target_rank, desc.target_shape).c_str(),
         formatShape(desc.output_rank, desc.output_shape).c_str());

  if (desc.num_inputs < 1 || !desc.inputs)
    fail("model descriptor: expected at least one input");
  if (desc.num_outputs < 1 || !desc.outputs)
    fail("model descriptor: expected at least one output");
  for (int32_t k = 0; k < desc.num_inputs; ++k) {
    const KilnInputDesc &in = desc.inputs[k];
    if (!in.name || !*in.name)
      fail("model descriptor: input %d has no name", k);
    InputSpec spec;
    spec.name = in.name;
    spec.rank = in.rank;
    spec.shape = in.shape;
    spec.elements =
        checkedElements(formatString("input '%s'", in.name), in.rank, in.shape);
    if (in.dtype != KILN_DTYPE_F32 && in.dtype != KILN_DTYPE_I32)
      fail("model descriptor: input '%s' has unknown dtype %d", in.name,
           in.dtype);
    spec.intValues = in.dtype == KILN_DTYPE_I32;
    inputs_.push_back(std::move(spec));
  }
  for (int32_t k = 0; k < desc.num_outputs; ++k) {
    const KilnOutputDesc &out = desc.outputs[k];
    if (!out.name || !*out.name || !out.loss_name)
      fail("model descriptor: output %d has no name or loss", k);
    OutputSpec spec;
    spec.name = out.name;
    spec.rank = out.rank;
    spec.shape = out.shape;
    spec.loss = out.loss_name;
    spec.elements = checkedElements(formatString("output '%s'", out.name),
                                    out.rank, out.shape);
    // Labels are class indices (i32) or float targets of target_shape.
    if (out.label_dtype == KILN_DTYPE_F32) {
      // The losses on float targets compare them with the output
      // elementwise.
      bool sameShape = out.target_rank == out.rank;
      for (int32_t i = 0; sameShape && i < out.target_rank; ++i)
        sameShape = out.target_shape[i] == out.shape[i];
      if (!sameShape)
        fail("model descriptor: output '%s' has float targets of shape %s, "
             "expected its shape %s (label dtype f32)",
             out.name, formatShape(out.target_rank, out.target_shape).c_str(),
             formatShape(out.rank, out.shape).c_str());
      spec.floatTargets = true;
      spec.targetElements = spec.elements;
    } else if (out.label_dtype != KILN_DTYPE_I32) {
      fail("model descriptor: output '%s' has unknown label dtype %d", out.name,
           out.label_dtype);
    }
    outputs_.push_back(std::move(spec));
  }
  // Every optimizer of enum KilnOptimizer; a model compiled for AdamW,
  // RMSprop, ... must run with it.
  if (desc.optimizer.kind < KILN_OPTIMIZER_SGD ||
      desc.optimizer.kind > KILN_OPTIMIZER_NADAM)
    fail("model descriptor: unknown optimizer %d", desc.optimizer.kind);
  if (desc.description_size > 0 && !desc.description)
    fail("model descriptor: description of %llu bytes without data",
         static_cast<unsigned long long>(desc.description_size));
  if (desc.epochs < 0 || desc.batch_size < 1)
    fail("model descriptor: bad training defaults (epochs %d, batch size %d)",
         desc.epochs, desc.batch_size);
}

int32_t ModelInfo::findInput(const std::string &name) const {
  for (int32_t k = 0; k < numInputs(); ++k)
    if (inputs_[k].name == name)
      return k;
  return -1;
}

int32_t ModelInfo::findOutput(const std::string &name) const {
  for (int32_t k = 0; k < numOutputs(); ++k)
    if (outputs_[k].name == name)
      return k;
  return -1;
}

} // namespace runtime
} // namespace kiln
