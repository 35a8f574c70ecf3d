/*===- abi.h - The contract between generated code and the runtime -*- C
-*-===*\
|*                                                                            *|
|* One C header shared by `kilnc` (which emits an object defining the         *|
|* descriptor below) and `libkiln_runtime.a` (which owns parameters,          *|
|* optimizer state, data and the training loop). Plain C so that both sides,  *|
|* and foreign callers through ctypes, agree on the layout. *|
|*                                                                            *|
|* Versioning: any change of layout or calling convention bumps               *|
|* KILN_ABI_VERSION; the runtime refuses a descriptor of another version.     *|
|*                                                                            *|
|* Version 2: random layers (dropout). The compiled train step may draw       *|
|* random numbers; then `uses_rng` is set and train_step takes the random     *|
|* state {seed, global step} after the labels. `evaluate` runs in inference   *|
|* mode (dropout off) and no longer equals the training loss function.        *|
|*                                                                            *|
|* Version 3: Keras's initializers with their arguments. KilnParamDesc gains  *|
|* `init_args`; RandomUniform, RandomNormal, TruncatedNormal, Constant,       *|
|* VarianceScaling (Glorot/He/Lecun normal and uniform are its named forms)   *|
|* and Identity join the initializers; Orthogonal takes a gain.               *|
|* KilnParamDesc's `frozen` marks the parameters of frozen layers (Keras's    *|
|* trainable: false): train_step writes zeros as their gradients (computing  *|
|* nothing for them) and the runtime never updates them.                     *|
|* KilnParamDesc's `state` (appended, still version 3) marks state the        *|
|* training step replaces (BatchNormalization's moving averages): train_step *|
|* returns each one's new value after the gradients, and the runtime copies  *|
|* it into the parameter after the step.                                      *|
|*                                                                            *|
|* Version 4: several inputs and outputs, and models that carry their        *|
|* description and weights. The descriptor lists the model's inputs         *|
|* (KilnInputDesc) and outputs (KilnOutputDesc, each with its labels, loss   *|
|* and loss weight); the entry points take one x per input and one y per     *|
|* output, in those orders. KilnLayerDesc names each layer's inputs for      *|
|* `summary`. The single-input fields (input_shape, output_shape, ...)      *|
|* describe input 0 and output 0. The new initializer KILN_INIT_DATA copies  *|
|* the values KilnParamDesc's `init_data` (appended) points at: kilnc sets   *|
|* it for the parameters whose values the model file gives (`weights` of     *|
|* schema/model.fbs). KilnModelDesc's `description` (appended) holds the     *|
|* model's .kmodel FlatBuffer, without weights, so that `export --format     *|
|* kmodel` can write the model with a checkpoint's weights.                  *|
|*                                                                            *|
|* Version 5: KILN_MAX_RANK is 6 (was 4), so that the layer table holds the   *|
|* rank-5 outputs of layers applied per frame of a video (TimeDistributed    *|
|* around Conv2D: batch, frames, height, width, channels), and inputs,        *|
|* targets and parameters of rank 5 and 6 fit.                                *|
|* Version 6: GANs. KilnModelDesc's `gan` (appended) points at a KilnGanDesc *|
|* for a model compiled from a GAN description, NULL otherwise. A GAN's      *|
|* parameters are the generator's, then the discriminator's; its one input   *|
|* is the latent vector (and, conditional, the class index), its one output  *|
|* the generated image, `predict` the generator in inference mode;           *|
|* train_step and evaluate are NULL: the GAN's steps are in KilnGanDesc.     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_ABI_H
#define KILN_RUNTIME_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION 6
#define KILN_MAX_RANK 6

/* Initializers the runtime knows how to apply to a parameter. */
enum KilnInitializer {
  KILN_INIT_ZEROS = 0,
  KILN_INIT_ONES = 1,
  KILN_INIT_GLOROT_UNIFORM = 2,
  /* Keras's Orthogonal: rows or columns of the 2-D view
   * [prod(shape[:-1]), shape[-1]] orthonormal (recurrent kernels), times
   * init_args.gain (ABI version 3; before, the gain was 1). */
  KILN_INIT_ORTHOGONAL = 3,
  /* An LSTM bias (4 gates of shape[0] / 4): ones for the forget gate,
   * zeros elsewhere (Keras's unit_forget_bias). */
  KILN_INIT_UNIT_FORGET_BIAS = 4,
  /* Added in ABI version 3, with their arguments in KilnInitArgs. The
   * random ones draw one value per element in row-major order. */
  KILN_INIT_CONSTANT = 5,       /* value */
  KILN_INIT_RANDOM_UNIFORM = 6, /* minval + (maxval - minval) * u */
  KILN_INIT_RANDOM_NORMAL = 7,  /* mean, stddev */
  /* Normal(mean, stddev), a draw beyond 2 stddev redrawn. */
  KILN_INIT_TRUNCATED_NORMAL = 8,
  /* Keras's VarianceScaling: with n the fan of `mode` (at least 1),
   * uniform in +-sqrt(3 * scale / n), normal of stddev sqrt(scale / n), or
   * truncated normal of stddev sqrt(scale / n) / 0.87962566103423978 (so
   * that the truncated values have the variance scale / n). Glorot, He
   * and Lecun, uniform and normal, are its named settings; the fans are
   * those of computeFans in Init.h. */
  KILN_INIT_VARIANCE_SCALING = 9, /* scale, mode, distribution */
  /* gain * the identity matrix (rank 2; rectangular allowed). */
  KILN_INIT_IDENTITY = 10,
  /* Added in ABI version 4: a copy of the parameter's `init_data` (the
   * values the model file gives; see KilnParamDesc). */
  KILN_INIT_DATA = 11,
};

/* The fan KILN_INIT_VARIANCE_SCALING divides by. */
enum KilnFanMode {
  KILN_FAN_IN = 0,
  KILN_FAN_OUT = 1,
  KILN_FAN_AVG = 2, /* (fan_in + fan_out) / 2 */
};

/* The distribution of KILN_INIT_VARIANCE_SCALING. */
enum KilnDistribution {
  KILN_DISTRIBUTION_TRUNCATED_NORMAL = 0,
  KILN_DISTRIBUTION_UNTRUNCATED_NORMAL = 1,
  KILN_DISTRIBUTION_UNIFORM = 2,
};

/* The arguments of a parameter's initializer (ABI version 3); the fields
 * its kind does not read are zero. */
typedef struct KilnInitArgs {
  float scale;          /* VARIANCE_SCALING: > 0 */
  int32_t mode;         /* VARIANCE_SCALING: enum KilnFanMode */
  int32_t distribution; /* VARIANCE_SCALING: enum KilnDistribution */
  float minval;         /* RANDOM_UNIFORM: minval <= maxval */
  float maxval;
  float mean;   /* RANDOM_NORMAL, TRUNCATED_NORMAL */
  float stddev; /* RANDOM_NORMAL, TRUNCATED_NORMAL: >= 0 */
  float value;  /* CONSTANT */
  float gain;   /* ORTHOGONAL, IDENTITY */
} KilnInitArgs;

/* Element types of model inputs and labels (targets). */
enum KilnDType {
  KILN_DTYPE_F32 = 0,
  KILN_DTYPE_I32 = 1,
};

/* Optimizers, with Keras 3's update rules. Hyperparameters live in
 * KilnOptimizerDesc. */
enum KilnOptimizer {
  KILN_OPTIMIZER_SGD = 0,
  KILN_OPTIMIZER_ADAM = 1,
  KILN_OPTIMIZER_ADAMW = 2,
  KILN_OPTIMIZER_RMSPROP = 3,
  KILN_OPTIMIZER_ADAGRAD = 4,
  KILN_OPTIMIZER_ADADELTA = 5,
  KILN_OPTIMIZER_ADAMAX = 6,
  KILN_OPTIMIZER_NADAM = 7,
};

/* Learning-rate schedules (keras.optimizers.schedules), evaluated at the
 * optimizer's iteration count before each update. */
enum KilnLrSchedule {
  KILN_SCHEDULE_CONSTANT = 0,
  KILN_SCHEDULE_EXPONENTIAL_DECAY = 1,
  KILN_SCHEDULE_PIECEWISE_CONSTANT = 2,
  KILN_SCHEDULE_COSINE_DECAY = 3,
};

/* A parameter, in the order the entry points take them. */
typedef struct KilnParamDesc {
  const char *name;  /* e.g. "dense/kernel" */
  int32_t rank;
  int64_t shape[KILN_MAX_RANK];
  int32_t initializer; /* enum KilnInitializer */
  KilnInitArgs init_args; /* Appended in ABI version 3. */
  /* Appended in ABI version 3: 1 for a parameter of a frozen layer (Keras's
   * trainable: false). Its gradient buffer is filled with zeros and the
   * optimizer skips it (no update, no weight decay); it is still
   * initialized, checkpointed and read by every entry point. 0 otherwise. */
  int32_t frozen;
  /* Appended in ABI version 3: 1 for state the training step replaces
   * (BatchNormalization's moving mean and variance; always frozen too).
   * train_step returns its new value in a buffer of its own after the
   * gradients (see the entry points below); the runtime copies that into
   * the parameter after the step, outside the optimizer. 0 otherwise. */
  int32_t state;
  /* Appended in ABI version 4: with initializer KILN_INIT_DATA, the
   * parameter's initial elements in row-major order (as many as its shape
   * holds, float32); NULL otherwise. */
  const float *init_data;
} KilnParamDesc;

/* One layer of the source model, for `summary`. A -1 in output_shape stands
 * for the batch dimension. */
typedef struct KilnLayerDesc {
  const char *name;       /* e.g. "dense_1" */
  const char *class_name; /* e.g. "Dense" */
  int32_t output_rank;
  int64_t output_shape[KILN_MAX_RANK];
  int64_t param_count;
  /* Appended in ABI version 4: the names of the layers (or model inputs)
   * the layer reads, separated by ", "; empty for an InputLayer. */
  const char *inbound;
} KilnLayerDesc;

/* One model input (ABI version 4), in the order the entry points take them.
 * Its data is a batch of n x shape elements of `dtype`. */
typedef struct KilnInputDesc {
  const char *name; /* the InputLayer's name */
  int32_t rank;
  int64_t shape[KILN_MAX_RANK];
  int32_t dtype; /* enum KilnDType */
} KilnInputDesc;

/* One model output (ABI version 4), in the order of the entry points' y
 * buffers and of predict's outputs. */
typedef struct KilnOutputDesc {
  const char *name; /* the layer whose output it is */
  int32_t rank;
  int64_t shape[KILN_MAX_RANK];
  /* Its labels: one int32 class index per sample (KILN_DTYPE_I32, rank 0),
   * or float targets of target_shape (KILN_DTYPE_F32). */
  int32_t label_dtype;
  int32_t target_rank;
  int64_t target_shape[KILN_MAX_RANK];
  const char *loss_name;
  /* The factor of this output's loss in the total loss. */
  float loss_weight;
} KilnOutputDesc;

typedef struct KilnOptimizerDesc {
  int32_t kind; /* enum KilnOptimizer */
  float learning_rate;
  float beta_1;
  float beta_2;
  float epsilon;

  /* Added in ABI version 2. A zero disables momentum, weight decay and each
   * kind of clipping, as Keras treats 0 and None alike. */
  float momentum;                  /* SGD, RMSprop */
  int32_t nesterov;                /* SGD: 0 or 1 */
  int32_t amsgrad;                 /* Adam, AdamW: 0 or 1 */
  float rho;                       /* RMSprop, Adadelta */
  int32_t centered;                /* RMSprop: 0 or 1 */
  float initial_accumulator_value; /* Adagrad */
  float weight_decay;              /* decoupled: p -= p * wd * lr */
  float clipnorm;                  /* per-tensor norm clipping */
  float clipvalue;                 /* element clipping to [-v, v] */
  float global_clipnorm;           /* norm clipping over all gradients */

  /* Learning-rate schedule; with KILN_SCHEDULE_CONSTANT the rate is
   * learning_rate, otherwise learning_rate is the schedule's initial rate. */
  int32_t schedule;          /* enum KilnLrSchedule */
  int32_t staircase;         /* ExponentialDecay: 0 or 1 */
  int64_t decay_steps;       /* ExponentialDecay, CosineDecay */
  float decay_rate;          /* ExponentialDecay */
  float alpha;               /* CosineDecay: final fraction of the rate */
  int32_t has_warmup;        /* CosineDecay: warmup_target given */
  float warmup_target;       /* CosineDecay */
  int64_t warmup_steps;      /* CosineDecay */
  int32_t num_boundaries;    /* PiecewiseConstantDecay */
  const int64_t *boundaries; /* num_boundaries steps, increasing */
  const float *values;       /* num_boundaries + 1 rates */
} KilnOptimizerDesc;

/* Entry points. Every one takes the batch size `n` (n >= 1) and an array of
 * pointers to dense, row-major buffers, in this order:
 *
 *   train_step: params[num_params], x[num_inputs], y[num_outputs], [rng,]
 *               loss (1 float), metrics[num_metrics] (1 float each),
 *               grads[num_params] (same shapes as params; zeros for
 *               the frozen ones),
 *               states[number of params with `state` set] (the new
 *               values of those params, in param order, same shapes;
 *               each is the update over the n samples, so a batch split
 *               into shards averages them weighted by the shards' rows)
 *   evaluate:   params[num_params], x[num_inputs], y[num_outputs], loss,
 *               metrics[num_metrics]
 *   predict:    params[num_params], x[num_inputs], outputs[num_outputs]
 *               (n x each output's shape)
 *
 * train_step runs the model in training mode (dropout active); rng, present
 * only when the descriptor's uses_rng is set, is uint64_t[2] = {seed, global
 * step}: the random masks are a pure function of it, so a step is
 * reproducible and every step draws new masks. evaluate and predict run in
 * inference mode and draw nothing.
 *
 * Each x has shape n x its input's shape (dtype), each y has shape n (int32
 * class indices) or n x target_shape (float32 targets), per its output's
 * label_dtype. Loss and metrics are means over the n samples; the loss is
 * the sum of the outputs' losses times their loss weights (plus the
 * regularization), and a model with several outputs reports each output's
 * own loss among its metrics, as `<output>_loss`. Outputs are fully
 * overwritten; inputs are not modified. Buffers must not overlap. */
typedef void (*KilnEntryPoint)(int64_t n, void **buffers);

/* The distribution of a GAN's latent vectors. */
enum KilnLatentDistribution {
  KILN_LATENT_NORMAL = 0,  /* standard normal */
  KILN_LATENT_UNIFORM = 1, /* uniform in [-1, 1] */
};

/* A GAN's loss. */
enum KilnGanLoss {
  KILN_GAN_NON_SATURATING = 0,
  KILN_GAN_HINGE = 1,
  KILN_GAN_WASSERSTEIN_GP = 2,
};

/* A GAN (ABI version 6). Its entry points take, like the others, n and
 * dense buffers in this order (x_classes only for a conditional GAN, one
 * float class index per sample; each rng is uint64_t[2] = {seed, step}, a
 * separate random state for each network call):
 *
 *   discriminator_step: params[num_params], images (n x image shape, raw
 *       pixels: the step applies image_scale and image_offset), latent
 *       (n x latent_dim), [classes (n), fake_classes (n)], [interpolation
 *       (KILN_GAN_WASSERSTEIN_GP only: n x image shape, each sample's
 *       elements one weight in [0, 1))], rng_generator, rng_real, rng_fake,
 *       [rng_penalty (KILN_GAN_WASSERSTEIN_GP only)], loss, real_accuracy,
 *       fake_accuracy,
 *       grads[num_params] (zeros for the generator's parameters),
 *       states[the discriminator's state parameters]
 *   generator_step: params[num_params], latent, [fake_classes],
 *       rng_generator, rng_discriminator, loss, grads[num_params] (zeros for
 *       the discriminator's), states[every state parameter]
 *
 * The discriminator's loss is the sum of its losses on the n real and the
 * n generated images (each a mean over n), plus the gradient penalty on the
 * n interpolates for KILN_GAN_WASSERSTEIN_GP; each accuracy is a mean over
 * its n images. The generator's loss is a mean over n. */
typedef struct KilnGanDesc {
  int32_t loss; /* enum KilnGanLoss */
  int32_t latent_dim;
  int32_t latent_distribution; /* enum KilnLatentDistribution */
  int32_t discriminator_steps; /* discriminator updates per generator one */
  float label_smoothing;
  float gradient_penalty_weight;
  int32_t num_classes; /* 0: not conditional */
  float image_scale;
  float image_offset;
  /* params[0, num_generator_params) are the generator's. */
  int32_t num_generator_params;
  int32_t image_rank;
  int64_t image_shape[KILN_MAX_RANK];
  KilnOptimizerDesc generator_optimizer;
  KilnOptimizerDesc discriminator_optimizer;
  KilnEntryPoint discriminator_step;
  KilnEntryPoint generator_step;
} KilnGanDesc;

typedef struct KilnModelDesc {
  uint32_t abi_version; /* KILN_ABI_VERSION */
  const char *name;
  uint64_t fingerprint; /* hash of the compiled model; guards checkpoints */

  int32_t num_params;
  const KilnParamDesc *params;

  int32_t num_layers;
  const KilnLayerDesc *layers;

  /* One sample's input and output shapes (without the batch dimension). */
  int32_t input_rank;
  int64_t input_shape[KILN_MAX_RANK];
  int32_t input_dtype; /* enum KilnDType */
  int32_t output_rank;
  int64_t output_shape[KILN_MAX_RANK];
  int32_t label_dtype; /* enum KilnDType */

  const char *loss_name; /* e.g. "sparse_categorical_crossentropy" */
  int32_t num_metrics;
  const char *const *metric_names; /* e.g. {"accuracy"} */

  /* Training defaults from the model's training configuration. */
  int32_t epochs;
  int32_t batch_size;
  KilnOptimizerDesc optimizer;

  /* Added in ABI version 2: 1 when train_step takes the rng buffer. */
  int32_t uses_rng;

  KilnEntryPoint train_step;
  KilnEntryPoint evaluate;
  KilnEntryPoint predict;

  /* Appended in ABI version 2 (dense targets): one sample's target shape.
   * With label_dtype KILN_DTYPE_I32, y holds one class index per sample
   * and target_rank is 0; with KILN_DTYPE_F32, y is n x target_shape
   * floats (regression values, 0/1 labels, one-hot rows), equal to the
   * output shape. */
  int32_t target_rank;
  int64_t target_shape[KILN_MAX_RANK];

  /* Appended in ABI version 2 (memory plan): the compiled train step's
   * intermediates live in one workspace of
   * workspace_bytes_per_sample * n + workspace_bytes_fixed bytes per thread,
   * planned at compile time (kiln-plan-workspace). */
  int64_t workspace_bytes_per_sample;
  int64_t workspace_bytes_fixed;

  /* Appended in ABI version 4: every input and output (at least one of
   * each; the single-input fields above repeat inputs[0] and outputs[0]). */
  int32_t num_inputs;
  const KilnInputDesc *inputs;
  int32_t num_outputs;
  const KilnOutputDesc *outputs;

  /* Appended in ABI version 4: the model description (schema/model.fbs) as
   * a binary .kmodel FlatBuffer of description_size bytes, without
   * `weights`; `export --format kmodel` adds a checkpoint's. NULL and 0
   * when the compiler did not embed it. */
  const uint8_t *description;
  uint64_t description_size;

  /* Appended in ABI version 6: the GAN, or NULL for an ordinary model. */
  const KilnGanDesc *gan;

  /* Appended, still version 6: the floating-point work of train_step per
   * sample, counted at compile time (kiln-count-flops: two per multiply-add
   * of every matmul and convolution); for a GAN, of one discriminator_step
   * and one generator_step together. 0 when not counted. */
  int64_t train_flops_per_sample;
} KilnModelDesc;

/* Every compiled model defines exactly one descriptor with this name. */
extern const KilnModelDesc kiln_model;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_ABI_H */
