//===- Model.h - Checked view of a compiled model's descriptor --*- C++ -*-===//
//
// The descriptor comes from generated code. It is validated once, on start,
// by ModelInfo; the rest of the runtime then relies on the sizes computed
// here instead of re-reading raw shapes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_MODEL_H
#define KILN_RUNTIME_MODEL_H

#include "kiln/runtime/abi.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// Returns the product of `shape[0..rank)`, 1 for rank 0.
int64_t elementCount(int32_t rank, const int64_t *shape);

/// Formats a shape as `(d0, d1, ...)`, printing -1 as `None` like Keras.
std::string formatShape(int32_t rank, const int64_t *shape);

/// One model input, validated.
struct InputSpec {
  std::string name;
  int32_t rank = 0;
  const int64_t *shape = nullptr;
  /// Elements of one sample.
  int64_t elements = 0;
  /// int32 rather than float32 values.
  bool intValues = false;
};

/// One model output and its labels, validated.
struct OutputSpec {
  std::string name;
  int32_t rank = 0;
  const int64_t *shape = nullptr;
  /// Elements of one sample; also the number of classes, since class
  /// labels index the flattened output.
  int64_t elements = 0;
  /// Float targets of the output's shape rather than int32 class indices.
  bool floatTargets = false;
  /// Elements of one sample's labels: 1 class index, or the target's.
  int64_t targetElements = 1;
  std::string loss;
};

/// A validated descriptor plus the sizes derived from it.
class ModelInfo {
public:
  /// Validates `desc` (ABI version, ranks, shapes, dtypes, entry points) and
  /// throws an Error naming the first problem found.
  explicit ModelInfo(const KilnModelDesc &desc);

  const KilnModelDesc &desc() const { return *desc_; }
  int32_t numParams() const { return desc_->num_params; }
  int32_t numMetrics() const { return desc_->num_metrics; }
  const char *metricName(int32_t i) const { return desc_->metric_names[i]; }

  /// Number of elements of parameter `i`.
  int64_t paramElements(int32_t i) const { return paramElements_[i]; }
  /// Sum of all parameter element counts.
  int64_t totalParamElements() const { return totalParamElements_; }
  /// The model's inputs and outputs, in the entry points' order.
  int32_t numInputs() const { return int32_t(inputs_.size()); }
  int32_t numOutputs() const { return int32_t(outputs_.size()); }
  const InputSpec &input(int32_t k) const { return inputs_[k]; }
  const OutputSpec &output(int32_t k) const { return outputs_[k]; }
  /// The model input or output named `name`, or -1.
  int32_t findInput(const std::string &name) const;
  int32_t findOutput(const std::string &name) const;

  /// Input 0 and output 0, for the many models with one of each.
  /// Elements of one input sample.
  int64_t inputElements() const { return inputs_[0].elements; }
  /// Elements of one output sample; also the number of classes, since labels
  /// are class indices into the flattened output.
  int64_t outputElements() const { return outputs_[0].elements; }
  int64_t numClasses() const { return outputs_[0].elements; }
  /// True when y holds float targets of target_shape per sample (losses
  /// other than sparse categorical cross-entropy), not class indices.
  bool floatTargets() const { return outputs_[0].floatTargets; }
  /// Elements of one sample's y: 1 class index, or the target's elements.
  int64_t targetElements() const { return outputs_[0].targetElements; }
  /// True when every parameter starts from values the model carries
  /// (KILN_INIT_DATA): evaluate and predict then need no checkpoint.
  bool hasInitialValues() const { return hasInitialValues_; }

private:
  const KilnModelDesc *desc_;
  std::vector<int64_t> paramElements_;
  int64_t totalParamElements_ = 0;
  std::vector<InputSpec> inputs_;
  std::vector<OutputSpec> outputs_;
  bool hasInitialValues_ = true;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_MODEL_H
