//===- TinyModel.cpp - A hand-written model for runtime tests -------------===//
//
// Softmax regression with one Dense layer (4 inputs -> 3 classes), written
// by hand against abi.h the way kilnc's generated object would be: it
// defines `kiln_model` and the three entry points. Test scaffolding only;
// real models get their forward and backward code from the compiler.
//
// Like a compiled Keras model with a Rescaling(1/255) layer, the inputs are
// the raw byte values and the model scales them itself.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/abi.h"

#include <cmath>

namespace {

constexpr int64_t kInputs = 4;
constexpr int64_t kClasses = 3;
constexpr float kScale = 1.0f / 255.0f;

/// Writes the class probabilities of sample `x` to `probs`.
void forwardSample(const float *kernel, const float *bias, const float *x,
                   float *probs) {
  float logits[kClasses];
  float largest = -INFINITY;
  for (int64_t c = 0; c < kClasses; ++c) {
    float sum = bias[c];
    for (int64_t k = 0; k < kInputs; ++k)
      sum += x[k] * kScale * kernel[k * kClasses + c];
    logits[c] = sum;
    largest = logits[c] > largest ? logits[c] : largest;
  }
  float total = 0.0f;
  for (int64_t c = 0; c < kClasses; ++c) {
    probs[c] = std::exp(logits[c] - largest);
    total += probs[c];
  }
  for (int64_t c = 0; c < kClasses; ++c)
    probs[c] /= total;
}

int64_t argmax(const float *probs) {
  int64_t best = 0;
  for (int64_t c = 1; c < kClasses; ++c)
    if (probs[c] > probs[best])
      best = c;
  return best;
}

/// Mean cross-entropy and accuracy; accumulates d(loss)/d(params) into
/// `dKernel`/`dBias` when they are non-null.
void lossAndGradients(int64_t n, const float *kernel, const float *bias,
                      const float *x, const int32_t *y, float *loss,
                      float *accuracy, float *dKernel, float *dBias) {
  if (dKernel) {
    for (int64_t i = 0; i < kInputs * kClasses; ++i)
      dKernel[i] = 0.0f;
    for (int64_t c = 0; c < kClasses; ++c)
      dBias[c] = 0.0f;
  }
  float lossSum = 0.0f;
  int64_t correct = 0;
  for (int64_t s = 0; s < n; ++s) {
    const float *sample = x + s * kInputs;
    float probs[kClasses];
    forwardSample(kernel, bias, sample, probs);
    lossSum += -std::log(probs[y[s]]);
    correct += argmax(probs) == y[s];
    if (!dKernel)
      continue;
    // d(cross-entropy)/d(logits) = probs - onehot(y), averaged over n.
    for (int64_t c = 0; c < kClasses; ++c) {
      float delta = (probs[c] - (c == y[s] ? 1.0f : 0.0f)) / float(n);
      dBias[c] += delta;
      for (int64_t k = 0; k < kInputs; ++k)
        dKernel[k * kClasses + c] += sample[k] * kScale * delta;
    }
  }
  *loss = lossSum / float(n);
  *accuracy = float(correct) / float(n);
}

void trainStep(int64_t n, void **buffers) {
  lossAndGradients(
      n, static_cast<const float *>(buffers[0]),
      static_cast<const float *>(buffers[1]),
      static_cast<const float *>(buffers[2]),
      static_cast<const int32_t *>(buffers[3]),
      static_cast<float *>(buffers[4]), static_cast<float *>(buffers[5]),
      static_cast<float *>(buffers[6]), static_cast<float *>(buffers[7]));
}

void evaluate(int64_t n, void **buffers) {
  lossAndGradients(n, static_cast<const float *>(buffers[0]),
                   static_cast<const float *>(buffers[1]),
                   static_cast<const float *>(buffers[2]),
                   static_cast<const int32_t *>(buffers[3]),
                   static_cast<float *>(buffers[4]),
                   static_cast<float *>(buffers[5]), nullptr, nullptr);
}

void predict(int64_t n, void **buffers) {
  const float *kernel = static_cast<const float *>(buffers[0]);
  const float *bias = static_cast<const float *>(buffers[1]);
  const float *x = static_cast<const float *>(buffers[2]);
  float *out = static_cast<float *>(buffers[3]);
  for (int64_t s = 0; s < n; ++s)
    forwardSample(kernel, bias, x + s * kInputs, out + s * kClasses);
}

const KilnParamDesc kParams[] = {
    {"dense/kernel", 2, {kInputs, kClasses}, KILN_INIT_GLOROT_UNIFORM, {}},
    {"dense/bias", 1, {kClasses}, KILN_INIT_ZEROS, {}},
};

const KilnLayerDesc kLayers[] = {
    {"dense", "Dense", 2, {-1, kClasses}, kInputs *kClasses + kClasses, "x"},
};

const char *const kMetricNames[] = {"accuracy"};

const KilnInputDesc kInputs_[] = {{"x", 1, {kInputs}, KILN_DTYPE_F32}};
const KilnOutputDesc kOutputs[] = {{"dense",
                                    1,
                                    {kClasses},
                                    KILN_DTYPE_I32,
                                    0,
                                    {},
                                    "sparse_categorical_crossentropy",
                                    1.0f}};

} // namespace

extern "C" const KilnModelDesc kiln_model = {
    /*abi_version=*/KILN_ABI_VERSION,
    /*name=*/"tiny_softmax",
    /*fingerprint=*/0x7469'6e79'736d'6178ULL,
    /*num_params=*/2,
    /*params=*/kParams,
    /*num_layers=*/1,
    /*layers=*/kLayers,
    /*input_rank=*/1,
    /*input_shape=*/{kInputs},
    /*input_dtype=*/KILN_DTYPE_F32,
    /*output_rank=*/1,
    /*output_shape=*/{kClasses},
    /*label_dtype=*/KILN_DTYPE_I32,
    /*loss_name=*/"sparse_categorical_crossentropy",
    /*num_metrics=*/1,
    /*metric_names=*/kMetricNames,
    /*epochs=*/5,
    /*batch_size=*/8,
    /*optimizer=*/{KILN_OPTIMIZER_ADAM, 0.05f, 0.9f, 0.999f, 1e-7f},
    /*uses_rng=*/0,
    /*train_step=*/trainStep,
    /*evaluate=*/evaluate,
    /*predict=*/predict,
    /*target_rank=*/0,
    /*target_shape=*/{},
    /*workspace_bytes_per_sample=*/0,
    /*workspace_bytes_fixed=*/0,
    /*num_inputs=*/1,
    /*inputs=*/kInputs_,
    /*num_outputs=*/1,
    /*outputs=*/kOutputs,
};
