"""Calls a model compiled with `kilnc --emit=shared` through the C ABI of
runtime/include/kiln/runtime/abi.h. The structures below mirror that header
field by field; the tests that use them fail loudly if the two drift apart
(the ABI version is checked first)."""

import ctypes
import numpy as np

KILN_ABI_VERSION = 6
KILN_DTYPE_F32 = 0
MAX_RANK = 6
Shape = ctypes.c_int64 * MAX_RANK


class InitArgs(ctypes.Structure):
    _fields_ = [("scale", ctypes.c_float), ("mode", ctypes.c_int32),
                ("distribution", ctypes.c_int32),
                ("minval", ctypes.c_float), ("maxval", ctypes.c_float),
                ("mean", ctypes.c_float), ("stddev", ctypes.c_float),
                ("value", ctypes.c_float), ("gain", ctypes.c_float)]


class ParamDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("rank", ctypes.c_int32),
                ("shape", Shape), ("initializer", ctypes.c_int32),
                # ABI version 3.
                ("init_args", InitArgs), ("frozen", ctypes.c_int32),
                ("state", ctypes.c_int32),
                # ABI version 4.
                ("init_data", ctypes.POINTER(ctypes.c_float))]


class LayerDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("class_name", ctypes.c_char_p),
                ("output_rank", ctypes.c_int32), ("output_shape", Shape),
                ("param_count", ctypes.c_int64),
                # ABI version 4.
                ("inbound", ctypes.c_char_p)]


class InputDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("rank", ctypes.c_int32),
                ("shape", Shape), ("dtype", ctypes.c_int32)]


class OutputDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("rank", ctypes.c_int32),
                ("shape", Shape), ("label_dtype", ctypes.c_int32),
                ("target_rank", ctypes.c_int32), ("target_shape", Shape),
                ("loss_name", ctypes.c_char_p),
                ("loss_weight", ctypes.c_float)]


class OptimizerDesc(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int32), ("learning_rate", ctypes.c_float),
                ("beta_1", ctypes.c_float), ("beta_2", ctypes.c_float),
                ("epsilon", ctypes.c_float),
                # ABI version 2.
                ("momentum", ctypes.c_float), ("nesterov", ctypes.c_int32),
                ("amsgrad", ctypes.c_int32), ("rho", ctypes.c_float),
                ("centered", ctypes.c_int32),
                ("initial_accumulator_value", ctypes.c_float),
                ("weight_decay", ctypes.c_float), ("clipnorm", ctypes.c_float),
                ("clipvalue", ctypes.c_float),
                ("global_clipnorm", ctypes.c_float),
                ("schedule", ctypes.c_int32), ("staircase", ctypes.c_int32),
                ("decay_steps", ctypes.c_int64),
                ("decay_rate", ctypes.c_float), ("alpha", ctypes.c_float),
                ("has_warmup", ctypes.c_int32),
                ("warmup_target", ctypes.c_float),
                ("warmup_steps", ctypes.c_int64),
                ("num_boundaries", ctypes.c_int32),
                ("boundaries", ctypes.POINTER(ctypes.c_int64)),
                ("values", ctypes.POINTER(ctypes.c_float))]


EntryPoint = ctypes.CFUNCTYPE(None, ctypes.c_int64,
                              ctypes.POINTER(ctypes.c_void_p))


class GanDesc(ctypes.Structure):
    _fields_ = [("loss", ctypes.c_int32), ("latent_dim", ctypes.c_int32),
                ("latent_distribution", ctypes.c_int32),
                ("discriminator_steps", ctypes.c_int32),
                ("label_smoothing", ctypes.c_float),
                ("gradient_penalty_weight", ctypes.c_float),
                ("num_classes", ctypes.c_int32),
                ("image_scale", ctypes.c_float),
                ("image_offset", ctypes.c_float),
                ("num_generator_params", ctypes.c_int32),
                ("image_rank", ctypes.c_int32), ("image_shape", Shape),
                ("generator_optimizer", OptimizerDesc),
                ("discriminator_optimizer", OptimizerDesc),
                ("discriminator_step", EntryPoint),
                ("generator_step", EntryPoint)]


class ModelDesc(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("fingerprint", ctypes.c_uint64),
                ("num_params", ctypes.c_int32),
                ("params", ctypes.POINTER(ParamDesc)),
                ("num_layers", ctypes.c_int32),
                ("layers", ctypes.POINTER(LayerDesc)),
                ("input_rank", ctypes.c_int32), ("input_shape", Shape),
                ("input_dtype", ctypes.c_int32),
                ("output_rank", ctypes.c_int32), ("output_shape", Shape),
                ("label_dtype", ctypes.c_int32),
                ("loss_name", ctypes.c_char_p),
                ("num_metrics", ctypes.c_int32),
                ("metric_names", ctypes.POINTER(ctypes.c_char_p)),
                ("epochs", ctypes.c_int32), ("batch_size", ctypes.c_int32),
                ("optimizer", OptimizerDesc),
                ("uses_rng", ctypes.c_int32),
                ("train_step", EntryPoint), ("evaluate", EntryPoint),
                ("predict", EntryPoint),
                ("target_rank", ctypes.c_int32), ("target_shape", Shape),
                ("workspace_bytes_per_sample", ctypes.c_int64),
                ("workspace_bytes_fixed", ctypes.c_int64),
                # ABI version 4.
                ("num_inputs", ctypes.c_int32),
                ("inputs", ctypes.POINTER(InputDesc)),
                ("num_outputs", ctypes.c_int32),
                ("outputs", ctypes.POINTER(OutputDesc)),
                ("description", ctypes.POINTER(ctypes.c_uint8)),
                ("description_size", ctypes.c_uint64),
                # ABI version 6.
                ("gan", ctypes.POINTER(GanDesc)),
                ("train_flops_per_sample", ctypes.c_int64)]


def _pointer(array):
    assert array.flags["C_CONTIGUOUS"]
    return ctypes.c_void_p(array.ctypes.data)


class CompiledModel:
    """A compiled model loaded from its shared library."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.desc = ModelDesc.in_dll(self.lib, "kiln_model")
        if self.desc.abi_version != KILN_ABI_VERSION:
            raise RuntimeError("ABI version %d, expected %d" %
                               (self.desc.abi_version, KILN_ABI_VERSION))
        d = self.desc
        self.params = [(d.params[i].name.decode(),
                        tuple(d.params[i].shape[:d.params[i].rank]),
                        d.params[i].initializer)
                       for i in range(d.num_params)]
        # Indices of the state params (BatchNormalization's moving
        # averages), whose new values train_step returns after the grads.
        self.state_params = [i for i in range(d.num_params)
                             if d.params[i].state]
        self.input_shape = tuple(d.input_shape[:d.input_rank])
        self.output_shape = tuple(d.output_shape[:d.output_rank])
        self.metrics = [d.metric_names[i].decode()
                        for i in range(d.num_metrics)]
        self.loss = d.loss_name.decode()
        # Float targets of target_shape per sample, or int32 class indices.
        self.float_targets = d.label_dtype == KILN_DTYPE_F32
        self.target_shape = tuple(d.target_shape[:d.target_rank])
        # Every input and output (models with several take lists of x and
        # y arrays in these orders).
        self.inputs = [(d.inputs[k].name.decode(),
                        tuple(d.inputs[k].shape[:d.inputs[k].rank]))
                       for k in range(d.num_inputs)]
        self.outputs = [dict(name=d.outputs[k].name.decode(),
                             shape=tuple(d.outputs[k].shape[:d.outputs[k].rank]),
                             float_targets=d.outputs[k].label_dtype ==
                             KILN_DTYPE_F32,
                             loss=d.outputs[k].loss_name.decode(),
                             weight=d.outputs[k].loss_weight)
                        for k in range(d.num_outputs)]

    def _call(self, entry, n, buffers):
        array = (ctypes.c_void_p * len(buffers))(*[_pointer(b) for b in buffers])
        entry(n, array)

    def _inputs(self, params, x, y=None):
        params = [np.ascontiguousarray(p, dtype=np.float32) for p in params]
        for p, (name, shape, _) in zip(params, self.params):
            assert p.shape == shape, (name, p.shape, shape)
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        assert len(xs) == len(self.inputs)
        xs = [np.ascontiguousarray(v, dtype=np.float32) for v in xs]
        for v, (_, shape) in zip(xs, self.inputs):
            assert v.shape[1:] == shape or \
                int(np.prod(v.shape[1:])) == int(np.prod(shape))
        inputs = params + xs
        if y is not None:
            ys = list(y) if isinstance(y, (list, tuple)) else [y]
            assert len(ys) == len(self.outputs)
            for v, output in zip(ys, self.outputs):
                dtype = np.float32 if output["float_targets"] else np.int32
                inputs.append(np.ascontiguousarray(v, dtype=dtype))
        return inputs, xs[0].shape[0]

    def train_step(self, params, x, y, rng=(0, 0)):
        """Returns (loss, [metrics], [gradients]). `rng` = (seed, step) is
        passed when the model has random layers (dropout)."""
        loss, metrics, grads, _ = self.train_step_states(params, x, y, rng)
        return loss, metrics, grads

    def train_step_states(self, params, x, y, rng=(0, 0)):
        """Returns (loss, [metrics], [gradients], [new states]), the states
        in the order of `state_params`."""
        inputs, n = self._inputs(params, x, y)
        if self.desc.uses_rng:
            inputs.append(np.array(rng, dtype=np.uint64))
        loss = np.zeros((), np.float32)
        metrics = [np.zeros((), np.float32) for _ in self.metrics]
        grads = [np.full(shape, np.nan, np.float32)
                 for _, shape, _ in self.params]
        states = [np.full(self.params[i][1], np.nan, np.float32)
                  for i in self.state_params]
        self._call(self.desc.train_step, n,
                   inputs + [loss] + metrics + grads + states)
        return float(loss), [float(m) for m in metrics], grads, states

    def evaluate(self, params, x, y):
        """Returns (loss, [metrics])."""
        inputs, n = self._inputs(params, x, y)
        loss = np.zeros((), np.float32)
        metrics = [np.zeros((), np.float32) for _ in self.metrics]
        self._call(self.desc.evaluate, n, inputs + [loss] + metrics)
        return float(loss), [float(m) for m in metrics]

    def predict(self, params, x):
        """The output, or a list of outputs for a model with several."""
        inputs, n = self._inputs(params, x)
        outs = [np.full((n,) + output["shape"], np.nan, np.float32)
                for output in self.outputs]
        self._call(self.desc.predict, n, inputs + outs)
        return outs if len(outs) > 1 else outs[0]


def glorot_params(model, seed):
    """Random parameters in the spirit of the runtime's initializers; biases
    are made non-zero so that their gradients are exercised."""
    rng = np.random.default_rng(seed)
    params = []
    for name, shape, _ in model.params:
        if name.endswith("/moving_variance"):
            # BatchNormalization's moving variance must be positive.
            params.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
            continue
        # Keras's fans: convolution kernels (spatial..., in, out) multiply
        # both by the receptive field.
        receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
        fan_in = shape[-2] * receptive if len(shape) > 1 else shape[0]
        fan_out = shape[-1] * receptive
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    return params


def targets_for(model, labels, seed=3):
    """What the model's loss reads for `labels`: the class indices for sparse
    categorical cross-entropy, one-hot rows for categorical cross-entropy,
    random 0/1 values for binary cross-entropy and random reals (derived
    from the labels, so that they are learnable) for the regression
    losses."""
    if not model.float_targets:
        return labels
    n = labels.shape[0]
    shape = (n,) + model.target_shape
    width = int(np.prod(model.target_shape))
    if model.loss == "categorical_crossentropy":
        return np.eye(width, dtype=np.float32)[labels % width].reshape(shape)
    rng = np.random.default_rng(seed)
    if model.loss == "binary_crossentropy":
        return (rng.random(shape) < 0.5).astype(np.float32)
    base = (labels.astype(np.float32) / 4.5 - 1.0)[:, None]
    noise = 0.5 * rng.standard_normal((n, width)).astype(np.float32)
    return (base + noise).reshape(shape)


def load_fashion_slice(count, offset=0):
    """`count` training images (as float32 0..255) and labels from Debian's
    dataset-fashion-mnist."""
    import gzip
    root = "/usr/share/datasets/fashion-mnist/"
    with gzip.open(root + "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(root + "train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    images = images.reshape(-1, 28, 28)[offset:offset + count]
    return images.astype(np.float32), labels[offset:offset + count].astype(np.int32)
