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
Softmax (any axes, jointly) and the merges Add, Subtract, Multiply, Average
and Concatenate; the loss is sparse categorical cross-entropy on a softmax
output (computed from the logits, as Keras does), plus the activity
regularizers' (l1 Σ|y| + l2 Σy²) / batch of the outputs of the layers that
have them.

usage: torch_graph.py LIBMODEL.so MODEL.kiln.json [--batch N]
"""

import argparse
import json
import sys

import torch

from crosscheck import backward_cross_entropy, compare_step, \
    perturb_biases
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def run_graph(description, weights, x):
    """Returns the logits of the output layer (its activation must be
    softmax) for the input batch `x`, and the activity regularizers'
    penalty."""
    layers = description["layers"]
    input_name = description["inputs"][0]["name"]
    outputs = {input_name: x}
    previous = input_name
    output_name = (description.get("outputs") or [layers[-1]["name"]])[0]
    logits = None
    penalty = 0.0
    for layer in layers:
        kind = layer["class_name"]
        name = layer["name"]
        sources = [outputs[n] for n in layer.get("inbound") or [previous]]
        previous = name
        if kind == "InputLayer":
            outputs[name] = x
            continue
        v = sources[0]
        activation = layer.get("activation", "linear")
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
        else:
            raise SystemExit("torch_graph.py: layer class %s not handled" %
                             kind)
        if name == output_name:
            if activation != "softmax":
                raise SystemExit("torch_graph.py: the output layer must "
                                 "end in softmax")
            logits = v
            v = torch.softmax(v, dim=-1)
        elif activation != "linear":
            v = ACTIVATIONS[activation](v)
        outputs[name] = v
        l1, l2 = layer.get("activity_l1", 0.0), layer.get("activity_l2", 0.0)
        penalty = penalty + (l1 * v.abs().sum() + l2 * (v * v).sum()) / \
            v.shape[0]
    return logits, penalty


def reference(model, description, params, x, y):
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    weights = {name: t for (name, _, _), t in zip(model.params, tensors)}
    logits, penalty = run_graph(description, weights,
                                torch.tensor(x, dtype=torch.float64))
    loss, accuracy = backward_cross_entropy(logits, y, penalty)
    return loss, accuracy, [t.grad.numpy() for t in tensors]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("description")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    with open(args.description) as f:
        description = json.load(f)
    if description["training"]["loss"] != "sparse_categorical_crossentropy":
        raise SystemExit("torch_graph.py: expects sparse categorical "
                         "cross-entropy")
    params = glorot_params(model, seed=5)
    # Non-zero biases, so that their gradients and the sharing are tested.
    perturb_biases(params, seed=6, scale=0.2)
    x, y = load_fashion_slice(args.batch, offset=2000)
    x = x.reshape((args.batch,) + model.input_shape)
    loss, metrics, grads = model.train_step(params, x, y)
    failures = compare_step(model, (loss, metrics[0], grads),
                            reference(model, description, params, x, y),
                            args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
