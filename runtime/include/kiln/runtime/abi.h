/*===- abi.h - The contract between generated code and the runtime -*- C -*-===*\
|*                                                                            *|
|* One C header shared by `kilnc` (which emits an object defining the         *|
|* descriptor below) and `libkiln_runtime.a` (which owns parameters,          *|
|* optimizer state, data and the training loop). Plain C so that both sides,  *|
|* and foreign callers through ctypes, agree on the layout.                    *|
|*                                                                            *|
|* Versioning: any change of layout or calling convention bumps               *|
|* KILN_ABI_VERSION; the runtime refuses a descriptor of another version.     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_ABI_H
#define KILN_RUNTIME_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION 1
#define KILN_MAX_RANK 4

/* Initializers the runtime knows how to apply to a parameter. */
enum KilnInitializer {
  KILN_INIT_ZEROS = 0,
  KILN_INIT_ONES = 1,
  KILN_INIT_GLOROT_UNIFORM = 2,
};

/* Element types of model inputs and labels. */
enum KilnDType {
  KILN_DTYPE_F32 = 0,
  KILN_DTYPE_I32 = 1,
};

/* Optimizers. Hyperparameters live in KilnOptimizerDesc. */
enum KilnOptimizer {
  KILN_OPTIMIZER_SGD = 0,
  KILN_OPTIMIZER_ADAM = 1,
};

/* A trainable parameter, in the order the entry points take them. */
typedef struct KilnParamDesc {
  const char *name;  /* e.g. "dense/kernel" */
  int32_t rank;
  int64_t shape[KILN_MAX_RANK];
  int32_t initializer; /* enum KilnInitializer */
} KilnParamDesc;

/* One layer of the source model, for `summary`. A -1 in output_shape stands
 * for the batch dimension. */
typedef struct KilnLayerDesc {
  const char *name;       /* e.g. "dense_1" */
  const char *class_name; /* e.g. "Dense" */
  int32_t output_rank;
  int64_t output_shape[KILN_MAX_RANK];
  int64_t param_count;
} KilnLayerDesc;

typedef struct KilnOptimizerDesc {
  int32_t kind; /* enum KilnOptimizer */
  float learning_rate;
  float beta_1;
  float beta_2;
  float epsilon;
} KilnOptimizerDesc;

/* Entry points. Every one takes the batch size `n` (n >= 1) and an array of
 * pointers to dense, row-major buffers, in this order:
 *
 *   train_step: params[num_params], x, y,
 *               loss (1 float), metrics[num_metrics] (1 float each),
 *               grads[num_params] (same shapes as params)
 *   evaluate:   params[num_params], x, y, loss, metrics[num_metrics]
 *   predict:    params[num_params], x, output (n x output_shape)
 *
 * x has shape n x input_shape (dtype input_dtype), y has shape n (int32 class
 * indices). Loss and metrics are means over the n samples. Outputs are fully
 * overwritten; inputs are not modified. Buffers must not overlap. */
typedef void (*KilnEntryPoint)(int64_t n, void **buffers);

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

  KilnEntryPoint train_step;
  KilnEntryPoint evaluate;
  KilnEntryPoint predict;
} KilnModelDesc;

/* Every compiled model defines exactly one descriptor with this name. */
extern const KilnModelDesc kiln_model;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KILN_RUNTIME_ABI_H */
