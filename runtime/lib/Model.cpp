//===- Model.cpp - Checked view of a compiled model's descriptor ----------===//

#include "kiln/runtime/Model.h"
#include "kiln/runtime/Error.h"

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
  if (!desc.train_step || !desc.evaluate || !desc.predict)
    fail("model descriptor: missing entry point");
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

  inputElements_ = checkedElements("input", desc.input_rank, desc.input_shape);
  outputElements_ =
      checkedElements("output", desc.output_rank, desc.output_shape);
  if (desc.input_dtype != KILN_DTYPE_F32 && desc.input_dtype != KILN_DTYPE_I32)
    fail("model descriptor: unknown input dtype %d", desc.input_dtype);
  // Labels are class indices (i32) or float targets of target_shape.
  if (desc.label_dtype == KILN_DTYPE_F32) {
    // The losses on float targets compare them with the output elementwise.
    bool sameShape = desc.target_rank == desc.output_rank;
    for (int32_t i = 0; sameShape && i < desc.target_rank; ++i)
      sameShape = desc.target_shape[i] == desc.output_shape[i];
    if (!sameShape)
      fail("model descriptor: float targets of shape %s, expected the output "
           "shape %s (label dtype f32)",
           formatShape(desc.target_rank, desc.target_shape).c_str(),
           formatShape(desc.output_rank, desc.output_shape).c_str());
    targetElements_ = outputElements_;
  } else if (desc.label_dtype != KILN_DTYPE_I32)
    fail("model descriptor: unknown label dtype %d", desc.label_dtype);
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

} // namespace runtime
} // namespace kiln
