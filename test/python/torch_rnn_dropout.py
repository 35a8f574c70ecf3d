"""Cross-checks the recurrent layers' dropout against PyTorch.

The model description (`kilnc --emit=model-json`) is interpreted in
PyTorch float64 with Keras 3's cells written out step by step (SimpleRNN,
LSTM, GRU with reset_after true and false, go_backwards,
return_sequences, Bidirectional), then a Dense softmax classifier.

The masks are computed here, independently of the compiler, from the
contract of `kiln.dropout` (docs/architecture.md, the lowering in
WindowOpsToLinalg.cpp): an element is kept when a hash of (seed, step,
stream, its row-major index) clears the rate, and a recurrent layer's
masks use the stream `layer index + (k << 32)` with k = 1 + 8·group +
gate (group 0 the input, 1 the state; + 16 for the backward half of a
Bidirectional). Keras 3's rules decide which mask multiplies what: one
mask per sequence, reused at every step; LSTM and GRU draw one mask per
gate when `recurrent_dropout` is set or `implementation` is 1, else one
input mask shared by the gates; the state is masked only where it is
multiplied by the recurrent kernel (the GRU's update mixes the unmasked
state, the LSTM's carry is never masked).

Checks, each of which fails on a wrong mask, gate, stream or timestep:
1. train_step with rng (seed, step) against the reference with those
   masks: loss, accuracy and every gradient to the tolerance;
2. the same reference without masks must be far from it (the masks
   matter), and train_step with the same rng is bitwise repeatable while
   the next step's differs;
3. evaluate and predict against the reference without masks.

usage: torch_rnn_dropout.py LIBMODEL.so MODEL.kiln.json [--batch N]
"""

import argparse
import json
import sys

import numpy as np
import torch

from crosscheck import check_predict, compare_step, perturb_biases, \
    reference_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def mix32(h):
    h = h ^ (h >> np.uint64(16))
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    h = h ^ (h >> np.uint64(13))
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    return h ^ (h >> np.uint64(16))


def dropout_mask(rng, stream, rate, rows, width):
    """The [rows, width] mask of kiln.dropout: 0 or 1 / (1 - rate)."""
    seed, step = rng
    key = seed ^ ((step * 0xD1B54A32D192ED03) & M64)
    key ^= ((stream + 1) * 0x9E3779B97F4A7C15) & M64
    key = mix64(key)
    k1, k2 = np.uint64(key & M32), np.uint64(key >> 32)
    index = np.arange(rows * width, dtype=np.uint64)
    h = (index * np.uint64(0x9E3779B9)) & np.uint64(M32)
    h = mix32(h ^ k1)
    h = mix32(h ^ k2)
    rate = float(np.float32(rate))
    threshold = min(int(rate * 4294967296.0), 4294967295)
    keep = (h >= np.uint64(threshold)).reshape(rows, width)
    return torch.tensor(np.where(keep, 1.0 / (1.0 - rate), 0.0))


ACTIVATIONS = {
    "linear": lambda v: v,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def masks_for(layer, kind, rng, stream, rows, features):
    """(input masks, state masks): lists with one entry per gate (None:
    unmasked)."""
    gates = GATES[kind]
    units = layer["units"]
    none = [None] * gates
    if rng is None:
        return none, none
    per_gate = gates > 1 and (layer.get("recurrent_dropout", 0) > 0 or
                              layer.get("implementation", 2) == 1)

    def draw(group, rate, width, shared):
        if rate == 0:
            return none
        streams = [stream + ((1 + 8 * group + g) << 32) for g in range(gates)]
        if shared:
            mask = dropout_mask(rng, streams[0], rate, rows, width)
            return [mask] * gates
        return [dropout_mask(rng, s, rate, rows, width) for s in streams]

    inputs = draw(0, layer.get("dropout", 0), features, not per_gate)
    states = draw(1, layer.get("recurrent_dropout", 0), units, False)
    return inputs, states


def apply(v, mask):
    return v if mask is None else v * mask


def run_recurrent(layer, kind, weights, prefix, x, rng, stream, backwards):
    """One Keras recurrent layer over x [batch, steps, features]."""
    act = ACTIVATIONS[layer.get("activation", "tanh")]
    ract = ACTIVATIONS[layer.get("recurrent_activation", "sigmoid")]
    units = layer["units"]
    kernel = weights[prefix + "/kernel"]
    recurrent = weights[prefix + "/recurrent_kernel"]
    bias = weights.get(prefix + "/bias")
    rows, steps, features = x.shape
    in_masks, state_masks = masks_for(layer, kind, rng, stream, rows,
                                      features)

    def cols(matrix, g):
        return matrix[..., g * units:(g + 1) * units]

    reset_after = kind == "GRU" and layer.get("reset_after", True)
    input_bias = bias[0] if reset_after and bias is not None else bias
    h = torch.zeros(rows, units, dtype=torch.float64)
    c = torch.zeros(rows, units, dtype=torch.float64)
    outputs = []
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    for t in order:
        xt = x[:, t, :]
        xg = [apply(xt, in_masks[g]) @ cols(kernel, g)
              for g in range(GATES[kind])]
        if input_bias is not None:
            xg = [v + cols(input_bias, g) for g, v in enumerate(xg)]
        hg = [apply(h, state_masks[g]) for g in range(GATES[kind])]
        if kind == "SimpleRNN":
            h = act(xg[0] + hg[0] @ recurrent)
        elif kind == "LSTM":
            i, f, cc, o = (xg[g] + hg[g] @ cols(recurrent, g)
                           for g in range(4))
            c = ract(f) * c + ract(i) * act(cc)
            h = ract(o) * act(c)
        else:
            rz = hg[0] @ cols(recurrent, 0)
            rr = hg[1] @ cols(recurrent, 1)
            if reset_after:
                rh = hg[2] @ cols(recurrent, 2)
                if bias is not None:
                    rz, rr, rh = (rz + cols(bias[1], 0),
                                  rr + cols(bias[1], 1),
                                  rh + cols(bias[1], 2))
                z, r = ract(xg[0] + rz), ract(xg[1] + rr)
                candidate = act(xg[2] + r * rh)
            else:
                z, r = ract(xg[0] + rz), ract(xg[1] + rr)
                candidate = act(xg[2] + (r * hg[2]) @ cols(recurrent, 2))
            h = z * h + (1 - z) * candidate
        outputs.append(h)
    if layer.get("return_sequences", False):
        return torch.stack(outputs, dim=1)
    return h


def run_model(description, weights, x, rng):
    """The logits of the final Dense (softmax) layer."""
    value = x
    layers = description["layers"]
    for index, layer in enumerate(layers):
        kind = layer["class_name"]
        name = layer["name"]
        if kind == "InputLayer":
            continue
        if kind == "Reshape":
            value = value.reshape((value.shape[0],) +
                                  tuple(layer["target_shape"]))
        elif kind == "Rescaling":
            value = value * layer["scale"] + layer.get("offset", 0.0)
        elif kind in GATES:
            value = run_recurrent(layer, kind, weights, name, value, rng,
                                  index, layer.get("go_backwards", False))
        elif kind == "Bidirectional":
            inner = layer["wrapped_class"]
            back = not layer.get("go_backwards", False)
            forward = run_recurrent(layer, inner, weights, name + "/forward",
                                    value, rng, index, not back)
            backward = run_recurrent(layer, inner, weights,
                                     name + "/backward", value, rng,
                                     index + (16 << 32), back)
            if layer.get("return_sequences", False):
                backward = backward.flip(1)
            mode = layer.get("merge_mode", "concat")
            if mode == "concat":
                value = torch.cat([forward, backward], dim=-1)
            elif mode == "sum":
                value = forward + backward
            elif mode == "mul":
                value = forward * backward
            else:
                value = (forward + backward) / 2
        elif kind == "Dense":
            value = value @ weights[name + "/kernel"]
            if name + "/bias" in weights:
                value = value + weights[name + "/bias"]
            if layer.get("activation") != "softmax":
                value = ACTIVATIONS[layer.get("activation", "linear")](value)
            elif index != len(layers) - 1:
                raise SystemExit("softmax only on the output layer")
        else:
            raise SystemExit("torch_rnn_dropout.py: unexpected layer " + kind)
    return value


def reference(model, description, params, x, y, rng):
    return reference_step(
        model, params, x, y,
        lambda weights, v: run_model(description, weights, v, rng))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("description")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    with open(args.description) as f:
        description = json.load(f)
    params = glorot_params(model, seed=5)
    perturb_biases(params, seed=6, scale=0.2)
    x, y = load_fashion_slice(args.batch, offset=1000)
    x = x.reshape((args.batch,) + model.input_shape)
    rng = (987654321, 17)

    if not model.desc.uses_rng:
        print("FAIL: the model draws no masks (uses_rng is 0)")
        return 1
    loss, metrics, grads = model.train_step(params, x, y, rng)
    again, _, _ = model.train_step(params, x, y, rng)
    other, _, _ = model.train_step(params, x, y, (rng[0], rng[1] + 1))
    print("train loss %.7f, same rng %.7f, next step %.7f" %
          (loss, again, other))
    failures = 0
    if again != loss or other == loss:
        print("FAIL: the masks are not a function of the rng")
        failures += 1

    print("training step, masks drawn:")
    ref_loss, ref_accuracy, ref_grads, _ = reference(model, description,
                                                     params, x, y, rng)
    failures += compare_step(model, (loss, metrics[0], grads),
                             (ref_loss, ref_accuracy, ref_grads),
                             args.tolerance)

    plain_loss, _, _, plain_logits = reference(model, description, params,
                                               x, y, None)
    gap = abs(plain_loss - loss) / abs(plain_loss)
    print("unmasked reference loss %.7f (relative gap %.2e)" %
          (plain_loss, gap))
    if gap < 100 * args.tolerance:
        print("FAIL: the masks do not change the training loss")
        failures += 1

    eval_loss, _ = model.evaluate(params, x, y)
    error = abs(eval_loss - plain_loss) / abs(plain_loss)
    print("%-4s evaluate loss relative error %.2e" %
          ("ok" if error <= args.tolerance else "FAIL", error))
    failures += error > args.tolerance
    failures += check_predict(model, params, x, plain_logits, args.tolerance)
    print("rnn dropout: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
