"""Cross-checks Keras masks through the recurrent layers against PyTorch.

The model description (`kilnc --emit=model-json`) is interpreted in
PyTorch float64 with Keras 3's semantics written out here, independently
of the compiler's formulation:
- Masking: mask[b, t] = any(x[b, t, :] != mask_value); the output is the
  input times the mask. Embedding with mask_zero: mask[b, t] = token != 0
  (token 0 still reads row 0).
- GlobalAveragePooling1D averages the kept timesteps (sum / count).
- Dense and Activation pass the mask on, Add the logical and of its
  inputs' masks, Concatenate Keras's joined masks (the logical or along
  the features, the masks in turn along the time axis; an unmasked input
  counts as all kept); a recurrent layer consumes it and
  passes it on only when it returns sequences (the input's mask, in input
  order, even after go_backwards, as Keras's compute_mask does).
- A recurrent layer on a masked step (Keras's backend `rnn`): the states
  keep their previous values (`torch.where`), and the step's output is the
  previous output, or zeros with zero_output_for_mask; go_backwards reads
  the sequence and its mask reversed. Bidirectional forces
  zero_output_for_mask to return_sequences in both halves.

Data come from padded.py: padding after, padding before, holes, no
padding and one sample masked entirely. Checks:
1. one train_step against the reference: loss, accuracy and every
   gradient to the tolerance;
2. the reference that ignores the mask must be far from it (loss or
   gradients), and so must the reference with zero_output_for_mask
   flipped, where a layer reads it (each rule matters for this model);
3. predict against the reference's probabilities.

usage: torch_rnn_mask.py LIBMODEL.so MODEL.kiln.json [--batch N]
"""

import argparse
import json
import sys

import numpy as np
import torch

from crosscheck import check_predict, compare_step, perturb_biases, \
    reference_step
from kiln_abi import CompiledModel, glorot_params
from padded import padded_batch

ACTIVATIONS = {
    "linear": lambda v: v,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def cell_step(layer, kind, weights, prefix, xt, h, c):
    """Keras 3's cell on one timestep: the new (h, c)."""
    act = ACTIVATIONS[layer.get("activation", "tanh")]
    ract = ACTIVATIONS[layer.get("recurrent_activation", "sigmoid")]
    units = layer["units"]
    kernel = weights[prefix + "/kernel"]
    recurrent = weights[prefix + "/recurrent_kernel"]
    bias = weights.get(prefix + "/bias")
    reset_after = kind == "GRU" and layer.get("reset_after", True)

    def cols(matrix, g):
        return matrix[..., g * units:(g + 1) * units]

    xw = xt @ kernel
    if bias is not None:
        xw = xw + (bias[0] if reset_after else bias)
    if kind == "SimpleRNN":
        return act(xw + h @ recurrent), c
    if kind == "LSTM":
        z = xw + h @ recurrent
        i, f, g, o = (cols(z, k) for k in range(4))
        c = ract(f) * c + ract(i) * act(g)
        return ract(o) * act(c), c
    if reset_after:
        hu = h @ recurrent
        if bias is not None:
            hu = hu + bias[1]
        z = ract(cols(xw, 0) + cols(hu, 0))
        r = ract(cols(xw, 1) + cols(hu, 1))
        candidate = act(cols(xw, 2) + r * cols(hu, 2))
    else:
        z = ract(cols(xw, 0) + h @ cols(recurrent, 0))
        r = ract(cols(xw, 1) + h @ cols(recurrent, 1))
        candidate = act(cols(xw, 2) + (r * h) @ cols(recurrent, 2))
    return z * h + (1 - z) * candidate, c


def run_recurrent(layer, kind, weights, prefix, x, mask, backwards,
                  zero_output):
    """One Keras recurrent layer over x [batch, steps, features] with the
    [batch, steps] boolean `mask` (None: no mask)."""
    rows, steps, _ = x.shape
    units = layer["units"]
    h = torch.zeros(rows, units, dtype=torch.float64)
    c = torch.zeros(rows, units, dtype=torch.float64)
    previous = torch.zeros(rows, units, dtype=torch.float64)
    outputs = []
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    for t in order:
        new_h, new_c = cell_step(layer, kind, weights, prefix, x[:, t, :],
                                 h, c)
        if mask is None:
            h, c, output = new_h, new_c, new_h
        else:
            kept = mask[:, t:t + 1]
            fallback = torch.zeros_like(new_h) if zero_output else previous
            output = torch.where(kept, new_h, fallback)
            h = torch.where(kept, new_h, h)
            c = torch.where(kept, new_c, c)
        previous = output
        outputs.append(output)
    if layer.get("return_sequences", False):
        return torch.stack(outputs, dim=1)
    return outputs[-1]


def merge_masks(layer, values, masks):
    """Keras 3's output mask of a merge layer (None: no mask)."""
    if all(m is None for m in masks):
        return None
    if layer["class_name"] != "Concatenate":
        # Add, Subtract, Multiply, Average: the logical and.
        present = [m for m in masks if m is not None]
        result = present[0]
        for m in present[1:]:
            result = result & m
        return result
    # Concatenate: each input's mask widened to its shape (all kept when
    # absent), joined along the axis, then any over the last axis.
    wide = [torch.ones(v.shape, dtype=torch.bool) if m is None else
            m.unsqueeze(-1).expand(v.shape) for v, m in zip(values, masks)]
    return torch.cat(wide, dim=layer["axis"]).any(dim=-1)


def run_model(description, weights, x, use_mask=True, flip_zero=False):
    """The logits of the output Dense (softmax) layer. Each layer reads the
    layers its `inbound` names (or the one before it). `use_mask` False
    ignores every mask; `flip_zero` inverts zero_output_for_mask."""
    layers = description["layers"]
    previous = description["inputs"][0]["name"]
    results = {previous: (x, None)}
    for index, layer in enumerate(layers):
        kind = layer["class_name"]
        name = layer["name"]
        sources = [results[n] for n in layer.get("inbound") or [previous]]
        previous = name
        value, mask = sources[0]
        if kind == "InputLayer":
            results[name] = (x, None)
            continue
        if kind == "Masking":
            keep = (value != layer.get("mask_value", 0.0)).any(dim=-1)
            value = value * keep.unsqueeze(-1).to(value.dtype)
            mask = keep
        elif kind == "Embedding":
            ids = value
            value = weights[name + "/embeddings"][ids.long()]
            mask = ids != 0 if layer.get("mask_zero", False) else None
        elif kind in GATES or kind == "Bidirectional":
            layer_mask = mask if use_mask else None
            if kind == "Bidirectional":
                inner = layer["wrapped_class"]
                zero = layer.get("return_sequences", False) != flip_zero
                back = not layer.get("go_backwards", False)
                forward = run_recurrent(layer, inner, weights,
                                        name + "/forward", value, layer_mask,
                                        not back, zero)
                backward = run_recurrent(layer, inner, weights,
                                         name + "/backward", value,
                                         layer_mask, back, zero)
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
            else:
                zero = layer.get("zero_output_for_mask", False) != flip_zero
                value = run_recurrent(layer, kind, weights, name, value,
                                      layer_mask,
                                      layer.get("go_backwards", False), zero)
            if not layer.get("return_sequences", False):
                mask = None
        elif kind == "Dense":
            value = value @ weights[name + "/kernel"]
            if name + "/bias" in weights:
                value = value + weights[name + "/bias"]
            if layer.get("activation") != "softmax":
                value = ACTIVATIONS[layer.get("activation", "linear")](value)
        elif kind == "Activation":
            value = ACTIVATIONS[layer["activation"]](value)
        elif kind == "GlobalAveragePooling1D":
            # Keras 3: the kept timesteps' sum over their count.
            if mask is not None and use_mask:
                kept = mask.unsqueeze(-1)
                value = torch.where(kept, value, 0).sum(1) / \
                    kept.to(value.dtype).sum(1)
            else:
                value = value.mean(1)
            mask = None
        elif kind in ("Add", "Concatenate"):
            values = [v for v, _ in sources]
            if kind == "Add":
                value = sum(values[1:], values[0])
            else:
                value = torch.cat(values, dim=layer["axis"])
            mask = merge_masks(layer, values, [m for _, m in sources])
        else:
            raise SystemExit("torch_rnn_mask.py: unexpected layer " + kind)
        results[name] = (value, mask)
    output = (description.get("outputs") or [layers[-1]["name"]])[0]
    value, mask = results[output]
    if mask is not None:
        raise SystemExit("torch_rnn_mask.py: a mask reaches the output")
    if layers[-1]["name"] != output or \
            layers[-1].get("activation") != "softmax":
        raise SystemExit("torch_rnn_mask.py: expects a softmax Dense last")
    return value


def reference(model, description, params, x, y, **options):
    return reference_step(
        model, params, x, y,
        lambda weights, v: run_model(description, weights, v, **options))


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
    layers = [layer for layer in description["layers"]
              if layer["class_name"] != "InputLayer"]
    first = layers[0]
    vocab = first["input_dim"] if first["class_name"] == "Embedding" else None
    mask_value = first.get("mask_value", 0.0)
    params = glorot_params(model, seed=5)
    perturb_biases(params, seed=6, scale=0.2)
    # A masked mean over no timestep is 0/0 in Keras: no empty samples
    # for models that average.
    averages = any(layer["class_name"] == "GlobalAveragePooling1D"
                   for layer in layers)
    x, y, keep = padded_batch(model, args.batch, seed=11,
                              mask_value=mask_value, vocab=vocab,
                              empty=not averages)
    print("%d of %d timesteps masked" % (int((keep == 0).sum()), keep.size))

    loss, metrics, grads = model.train_step(params, x, y)
    ref_loss, ref_accuracy, ref_grads, logits = reference(
        model, description, params, x, y)
    failures = compare_step(model, (loss, metrics[0], grads),
                            (ref_loss, ref_accuracy, ref_grads),
                            args.tolerance)

    variants = [("mask ignored", dict(use_mask=False))]
    # (A masked mean never reads the masked steps' outputs, so there the
    # flip must not matter, and is not required to.)
    if not averages and any(layer["class_name"] == "Bidirectional" or
                            layer.get("zero_output_for_mask", False)
                            for layer in layers):
        variants.append(("zero_output_for_mask flipped",
                         dict(flip_zero=True)))
    flat = np.concatenate([g.ravel() for g in grads])
    for what, options in variants:
        other, _, other_grads, _ = reference(model, description, params, x,
                                             y, **options)
        gap = abs(other - loss) / abs(other)
        other_flat = np.concatenate([g.ravel() for g in other_grads])
        grad_gap = np.linalg.norm(flat - other_flat) / \
            np.linalg.norm(other_flat)
        print("reference with %s: loss %.7f (relative gap %.2e, "
              "gradients %.2e)" % (what, other, gap, grad_gap))
        if max(gap, grad_gap) < 100 * args.tolerance:
            print("FAIL: the rule does not change the step")
            failures += 1

    failures += check_predict(model, params, x, logits, args.tolerance)
    print("rnn masks: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
