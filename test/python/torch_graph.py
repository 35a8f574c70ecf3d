"""Cross-checks one compiled training step of a layer graph against PyTorch.

The model description (`kilnc --emit=model-json`, every default filled in)
is interpreted layer by layer in PyTorch float64: each layer reads the
layers its `inbound` names (or the layer before it), a layer with `shares`
uses its owner's parameters, and the output layer's result feeds the loss.
From identical weights and an identical batch of Fashion-MNIST, the loss,
the first metric and every gradient of the compiled @train_step must match
to the tolerance (norm-wise relative).

Handles the layers that graph tests use: InputLayer, Flatten, Rescaling,
Dense (on the last axis of samples of any rank), Activation, Reshape,
MaxPooling2D (`valid` padding), BatchNormalization (training mode: each
call normalizes with its batch's statistics; the step's new moving
averages are checked against Keras's update, one per call in call order),
Softmax (any axes, jointly) and the merges Add, Subtract, Multiply, Average
and Concatenate; the convolutions Conv2D, Conv2DTranspose (PyTorch's
`conv_transpose2d` without padding, cropped to Keras's output as
TensorFlow's SAME rule places it), DepthwiseConv2D (a grouped `conv2d`)
and SeparableConv2D; any of them `time_distributed` (run on the batch
reshaped to frames); Resizing and UpSampling2D through PyTorch's own
`F.interpolate` (bilinear with align_corners=False, nearest as
`nearest-exact`: the half-pixel conventions of TensorFlow's resize, for
upsampling and downsampling, no antialiasing); the loss is sparse
categorical cross-entropy on a softmax output (computed from the logits,
as Keras does), plus the activity
regularizers' (l1 Σ|y| + l2 Σy²) / batch of the outputs of the layers that
have them and the weight regularizers' l1 Σ|w| + l2 Σw².

With --target-input, the model is an autoencoder (`train --target
input`): its loss (binary cross-entropy or mean squared error) compares the
output with the input itself.

usage: torch_graph.py LIBMODEL.so MODEL.kiln.json [--batch N] [--target-input]
"""

import argparse
import json
import sys

import numpy as np
import torch

from crosscheck import backward_cross_entropy, compare_step, \
    compare_values, perturb_biases
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def same_padding(size, window, stride, dilation):
    """TensorFlow's SAME padding (before, after) of one dimension."""
    span = (window - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def pad_same(v, layer, kernel_size):
    """Pads an NCHW batch as TensorFlow's SAME convolution does."""
    if layer["padding"] != "same":
        return v
    top, bottom = same_padding(v.shape[2], kernel_size[0],
                               layer["strides"][0], layer["dilation_rate"][0])
    left, right = same_padding(v.shape[3], kernel_size[1],
                               layer["strides"][1], layer["dilation_rate"][1])
    return torch.nn.functional.pad(v, (left, right, top, bottom))


def conv2d(v, kernel, layer, groups=1, strides=None, dilation=None):
    """Keras's convolution of an NHWC batch by an HWIO kernel (for groups,
    the kernel is [KH, KW, 1, out])."""
    strides = strides or layer["strides"]
    dilation = dilation or layer["dilation_rate"]
    v = pad_same(v.permute(0, 3, 1, 2), dict(layer, strides=strides,
                                             dilation_rate=dilation),
                 kernel.shape[:2])
    v = torch.nn.functional.conv2d(v, kernel.permute(3, 2, 0, 1),
                                   stride=strides, dilation=dilation,
                                   groups=groups)
    return v.permute(0, 2, 3, 1)


def transpose_extent(size, window, stride, dilation, padding, output_padding):
    """Keras's output extent of a transposed convolution (its
    deconv_output_length; output_padding None is Keras's default)."""
    span = (window - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(span, stride) - span
        return (size - 1) * stride + span + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + span % 2 + output_padding


def conv2d_transpose(v, kernel, layer):
    """Conv2DTranspose: the full transposed convolution (every tap's
    contribution kept), then the rows and columns of Keras's output. Its
    offset is where TensorFlow's SAME convolution of the output would read
    the input's first position: half the padding it adds."""
    full = torch.nn.functional.conv_transpose2d(
        v.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1),
        stride=layer["strides"], dilation=layer["dilation_rate"])
    output_padding = layer.get("output_padding") or [None, None]
    for axis in (2, 3):
        i = axis - 2
        size, window = v.shape[1 + i], kernel.shape[i]
        stride, dilation = layer["strides"][i], layer["dilation_rate"][i]
        extent = transpose_extent(size, window, stride, dilation,
                                  layer["padding"], output_padding[i])
        span = (window - 1) * dilation + 1
        offset = 0
        if layer["padding"] == "same":
            offset = max((size - 1) * stride + span - extent, 0) // 2
        short = offset + extent - full.shape[axis]
        if short > 0:
            pad = [0, 0, 0, 0]
            pad[2 * (3 - axis) + 1] = short
            full = torch.nn.functional.pad(full, pad)
        full = full.narrow(axis, offset, extent)
    return full.permute(0, 2, 3, 1)


def depthwise_conv2d(v, kernel, layer):
    """DepthwiseConv2D: kernel [KH, KW, C, M] as a grouped convolution whose
    output channel c·M + m applies kernel[:, :, c, m]."""
    kh, kw, channels, multiplier = kernel.shape
    grouped = kernel.reshape(kh, kw, 1, channels * multiplier)
    return conv2d(v, grouped, layer, groups=channels)


WEIGHT_PENALTIES = {
    # class: [(weight, regularizer prefix)]
    "Dense": [("kernel", "kernel"), ("bias", "bias")],
    "Conv2D": [("kernel", "kernel"), ("bias", "bias")],
    "Conv2DTranspose": [("kernel", "kernel"), ("bias", "bias")],
    "DepthwiseConv2D": [("kernel", "depthwise"), ("bias", "bias")],
    "SeparableConv2D": [("depthwise_kernel", "depthwise"),
                        ("pointwise_kernel", "pointwise"), ("bias", "bias")],
}


def weight_penalty(layer, weights):
    """l1 Σ|w| + l2 Σw² of the layer's own weights (a shared layer's are
    its owner's, penalized once)."""
    penalty = 0.0
    if layer.get("shares"):
        return penalty
    for weight, prefix in WEIGHT_PENALTIES.get(layer["class_name"], []):
        key = layer["name"] + "/" + weight
        if key not in weights:
            continue
        w = weights[key]
        penalty = penalty + layer.get(prefix + "_l1", 0.0) * w.abs().sum() \
            + layer.get(prefix + "_l2", 0.0) * (w * w).sum()
    return penalty


def interpolate(v, size, interpolation):
    mode = {"bilinear": "bilinear", "nearest": "nearest-exact"}[interpolation]
    extra = {"align_corners": False} if mode == "bilinear" else {}
    out = torch.nn.functional.interpolate(v.permute(0, 3, 1, 2), size=size,
                                          mode=mode, **extra)
    return out.permute(0, 2, 3, 1)


def resize(layer, v):
    """Keras's Resizing: the centered crop of crop_to_aspect_ratio (its
    integer arithmetic), then the resize."""
    height, width = v.shape[1], v.shape[2]
    th, tw = layer["height"], layer["width"]
    if layer.get("crop_to_aspect_ratio"):
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        top, left = int((height - ch) / 2), int((width - cw) / 2)
        v = v[:, top:top + ch, left:left + cw, :]
    return interpolate(v, (th, tw), layer.get("interpolation", "bilinear"))


def run_graph(description, weights, x, stats=None):
    """Returns the logits of the output layer (its activation must be
    softmax) for the input batch `x`, and the activity regularizers'
    penalty. `stats` as for run_layers."""
    output_name = (description.get("outputs") or
                   [description["layers"][-1]["name"]])[0]
    values, logits, penalty = run_layers(
        description, weights, {description["inputs"][0]["name"]: x}, stats)
    if output_name not in logits:
        raise SystemExit("torch_graph.py: the output layer must end in "
                         "softmax")
    return logits[output_name], penalty


def run_layers(description, weights, inputs, stats=None):
    """Runs every layer on `inputs` (model input name -> batch). Returns
    each layer's output by name, the pre-softmax values of the layers that
    end in softmax, and the activity regularizers' penalty.
    BatchNormalization runs in training mode (the batch's statistics); each
    call appends (owner, batch mean, biased batch variance, momentum) to
    `stats`, in call order."""
    layers = description["layers"]
    outputs = dict(inputs)
    previous = description["inputs"][0]["name"]
    logits = {}
    penalty = 0.0
    for layer in layers:
        kind = layer["class_name"]
        name = layer["name"]
        sources = [outputs[n] for n in layer.get("inbound") or [previous]]
        previous = name
        if kind == "InputLayer":
            outputs[name] = inputs[name]
            continue
        v = sources[0]
        activation = layer.get("activation", "linear")
        # TimeDistributed: the layer runs on every frame [batch, t, ...].
        timesteps = v.shape[1] if layer.get("time_distributed") else None
        if timesteps is not None:
            v = v.reshape((-1,) + tuple(v.shape[2:]))
        if kind == "Flatten":
            v = v.reshape(v.shape[0], -1)
        elif kind == "Rescaling":
            v = v * layer["scale"] + layer["offset"]
        elif kind == "Dense":
            owner = layer.get("shares") or name
            v = v @ weights[owner + "/kernel"]
            if layer["use_bias"]:
                v = v + weights[owner + "/bias"]
        elif kind == "Activation":
            pass
        elif kind == "BatchNormalization":
            owner = layer.get("shares") or name
            dims = tuple(range(v.dim() - 1))
            mean = v.mean(dim=dims)
            var = v.var(dim=dims, unbiased=False)
            if stats is not None:
                stats.append((owner, mean.detach().numpy(),
                              var.detach().numpy(), layer["momentum"]))
            v = (v - mean) / torch.sqrt(var + layer["epsilon"])
            if layer["use_gamma"]:
                v = v * weights[owner + "/gamma"]
            if layer["use_beta"]:
                v = v + weights[owner + "/beta"]
        elif kind == "Conv2D":
            v = conv2d(v, weights[name + "/kernel"], layer)
        elif kind == "Conv2DTranspose":
            v = conv2d_transpose(v, weights[name + "/kernel"], layer)
        elif kind == "DepthwiseConv2D":
            v = depthwise_conv2d(v, weights[name + "/kernel"], layer)
        elif kind == "SeparableConv2D":
            v = depthwise_conv2d(v, weights[name + "/depthwise_kernel"], layer)
            v = conv2d(v, weights[name + "/pointwise_kernel"], layer,
                       strides=[1, 1], dilation=[1, 1])
        elif kind == "Reshape":
            v = v.reshape((v.shape[0],) + tuple(layer["target_shape"]))
        elif kind == "Softmax":
            # The description's axes count the batch as 0; several are
            # normalized together.
            dims = layer.get("axes") or [layer.get("axis", -1)]
            v = torch.exp(v - torch.logsumexp(v, dim=dims, keepdim=True))
        elif kind == "Add":
            v = sum(sources[1:], sources[0])
        elif kind == "Subtract":
            v = sources[0] - sources[1]
        elif kind == "Multiply":
            for other in sources[1:]:
                v = v * other
        elif kind == "Average":
            v = sum(sources[1:], sources[0]) / len(sources)
        elif kind == "Concatenate":
            v = torch.cat(sources, dim=layer["axis"])
        elif kind == "Resizing":
            v = resize(layer, v)
        elif kind == "UpSampling2D":
            sh, sw = layer["size"]
            v = interpolate(v, (v.shape[1] * sh, v.shape[2] * sw),
                            layer["interpolation"])
        elif kind == "MaxPooling2D":
            if layer.get("padding", "valid") != "valid":
                raise SystemExit("torch_graph.py: MaxPooling2D with padding "
                                 "'valid' only")
            v = torch.nn.functional.max_pool2d(
                v.permute(0, 3, 1, 2), tuple(layer["pool_size"]),
                stride=tuple(layer["strides"])).permute(0, 2, 3, 1)
        else:
            raise SystemExit("torch_graph.py: layer class %s not handled" %
                             kind)
        if kind.startswith(("Conv", "Depthwise", "Separable")) and \
                layer.get("use_bias", True):
            v = v + weights[name + "/bias"]
        penalty = penalty + weight_penalty(layer, weights)
        if timesteps is not None:
            v = v.reshape((-1, timesteps) + tuple(v.shape[1:]))
        if activation == "softmax":
            logits[name] = v
            v = torch.softmax(v, dim=-1)
        elif activation != "linear":
            v = ACTIVATIONS[activation](v)
        outputs[name] = v
        l1, l2 = layer.get("activity_l1", 0.0), layer.get("activity_l2", 0.0)
        penalty = penalty + (l1 * v.abs().sum() + l2 * (v * v).sum()) / \
            v.shape[0]
    return outputs, logits, penalty


def reference(model, description, params, x, y, stats=None):
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    weights = {name: t for (name, _, _), t in zip(model.params, tensors)}
    logits, penalty = run_graph(description, weights,
                                torch.tensor(x, dtype=torch.float64), stats)
    loss, accuracy = backward_cross_entropy(logits, y, penalty)
    # Parameters the step does not read (moving averages in training) get
    # zeros, as the compiled step writes for them.
    return loss, accuracy, [np.zeros(t.shape) if t.grad is None
                            else t.grad.numpy() for t in tensors]


def expected_states(model, params, stats):
    """Keras's moving-average updates `moving * momentum + batch * (1 -
    momentum)`, one per BatchNormalization call in call order (a shared
    layer's later call starts from the earlier call's result), in the order
    of model.state_params."""
    values = {model.params[i][0]: params[i].astype(np.float64)
              for i in model.state_params}
    for owner, mean, var, momentum in stats:
        for key, batch in (("/moving_mean", mean), ("/moving_variance", var)):
            old = values[owner + key]
            values[owner + key] = old * momentum + batch * (1.0 - momentum)
    return [values[model.params[i][0]] for i in model.state_params]


def reference_several(model, description, params, xs, ys):
    """Loss, [per-output losses and metrics] and gradients of a model with
    several inputs and outputs: Σ weight · loss per output (sparse
    categorical cross-entropy from the softmax's logits, or mean squared
    error), then `<output>_loss` of each output and its metrics (accuracy,
    mae) in the order the compiled model reports them."""
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    weights = {name: t for (name, _, _), t in zip(model.params, tensors)}
    inputs = {name: torch.tensor(x, dtype=torch.float64)
              for (name, _), x in zip(model.inputs, xs)}
    values, logits, penalty = run_layers(description, weights, inputs)
    total = penalty
    losses, metrics = [], []
    for entry, y in zip(description["training"]["outputs"], ys):
        name = entry["output"]
        if entry["loss"] == "sparse_categorical_crossentropy":
            labels = torch.tensor(y, dtype=torch.long)
            loss = torch.nn.functional.cross_entropy(logits[name], labels)
        elif entry["loss"] == "mean_squared_error":
            loss = ((values[name] - torch.tensor(y, dtype=torch.float64))
                    ** 2).mean()
        else:
            raise SystemExit("torch_graph.py: loss %s not handled" %
                             entry["loss"])
        total = total + entry["weight"] * loss
        losses.append(loss.item())
        for metric in entry["metrics"]:
            v = values[name].detach().numpy()
            if metric == "accuracy":
                metrics.append((v.argmax(1) == y).mean())
            elif metric == "mae":
                metrics.append(np.abs(v - y).mean())
            else:
                raise SystemExit("torch_graph.py: metric %s not handled" %
                                 metric)
    total.backward()
    return total.item(), losses + metrics, [t.grad.numpy() for t in tensors]


def check_several(model, description, batch, tolerance):
    """One train step of a model with several inputs and outputs against
    reference_several, on Fashion-MNIST images plus random extra inputs
    and targets."""
    params = glorot_params(model, seed=5)
    perturb_biases(params, seed=6, scale=0.2)
    images, labels = load_fashion_slice(batch, offset=2000)
    rng = np.random.default_rng(7)
    xs = [images.reshape((batch,) + shape) if k == 0 else
          rng.standard_normal((batch,) + shape).astype(np.float32)
          for k, (_, shape) in enumerate(model.inputs)]
    ys = [labels if not output["float_targets"] else
          rng.standard_normal((batch,) + output["shape"]).astype(np.float32)
          for output in model.outputs]
    loss, metrics, grads = model.train_step(params, xs, ys)
    ref_loss, ref_metrics, ref_grads = reference_several(
        model, description, params, xs, ys)
    return compare_values(
        [("loss", loss, ref_loss)] +
        list(zip(model.metrics, metrics, ref_metrics)) +
        [(name, g, w) for (name, _, _), g, w in
         zip(model.params, grads, ref_grads)], tolerance)


def check_autoencoder(model, description, batch, tolerance):
    """One train step of an autoencoder trained with `--target input`: the
    batch of images scaled to [0, 1] (what --normalize scale=1/255 feeds)
    is both the input and the target; the loss is the description's
    (binary cross-entropy with Keras's clipping, or mean squared error,
    as torch_losses.py computes them) plus the regularizers."""
    from torch_losses import keras_loss
    params = glorot_params(model, seed=5)
    perturb_biases(params, seed=6, scale=0.2)
    images, _ = load_fashion_slice(batch, offset=2000)
    x = (images / np.float32(255.0)).astype(np.float32)
    x = x.reshape((batch,) + model.input_shape)
    loss, _, grads = model.train_step(params, x, x)
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    weights = {name: t for (name, _, _), t in zip(model.params, tensors)}
    inputs = torch.tensor(x, dtype=torch.float64)
    values, _, penalty = run_layers(
        description, weights, {description["inputs"][0]["name"]: inputs})
    output_name = (description.get("outputs") or
                   [description["layers"][-1]["name"]])[0]
    out = values[output_name]
    training = description["training"]
    ref = keras_loss(training["loss"], out, inputs.reshape(out.shape),
                     training.get("from_logits", False),
                     training.get("huber_delta", 1.0)) + penalty
    ref.backward()
    return compare_values(
        [("loss", loss, ref.item())] +
        [(name, g, t.grad.numpy()) for (name, _, _), g, t in
         zip(model.params, grads, tensors)], tolerance)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("description")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--target-input", action="store_true",
                    help="an autoencoder: the input is the target")
    args = ap.parse_args()

    model = CompiledModel(args.library)
    with open(args.description) as f:
        description = json.load(f)
    if args.target_input:
        return 1 if check_autoencoder(model, description, args.batch,
                                      args.tolerance) else 0
    if len(model.inputs) > 1 or len(model.outputs) > 1:
        return 1 if check_several(model, description, args.batch,
                                  args.tolerance) else 0
    if description["training"]["loss"] != "sparse_categorical_crossentropy":
        raise SystemExit("torch_graph.py: expects sparse categorical "
                         "cross-entropy")
    params = glorot_params(model, seed=5)
    # Non-zero biases, so that their gradients and the sharing are tested.
    perturb_biases(params, seed=6, scale=0.2)
    x, y = load_fashion_slice(args.batch, offset=2000)
    x = x.reshape((args.batch,) + model.input_shape)
    loss, metrics, grads, states = model.train_step_states(params, x, y)
    stats = []
    failures = compare_step(model, (loss, metrics[0], grads),
                            reference(model, description, params, x, y,
                                      stats),
                            args.tolerance)
    if model.state_params:
        failures += compare_values(
            [(model.params[i][0] + " (new)", got, want) for i, got, want in
             zip(model.state_params, states,
                 expected_states(model, params, stats))], args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
