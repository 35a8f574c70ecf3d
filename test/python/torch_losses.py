"""Cross-checks the losses and metrics against PyTorch.

The model is Flatten -> Rescaling(1/255) -> Dense(12, tanh) -> Dense(k,
ACTIVATION), compiled with the loss and metrics under test (see
test/kilnc/Inputs/losses/). One compiled training step from identical
weights and batch must match the Keras formulas evaluated by PyTorch in
float64: the loss, the first metric and every gradient, to 1e-5 relative.
The formulas are Keras's (TensorFlow backend): probabilities clipped to
[1e-7, 1 - 1e-7] and 1e-7 added inside the logarithms of binary
cross-entropy, categorical cross-entropy on rows normalized to sum 1.

usage: torch_losses.py LIBMODEL.so --activation linear|sigmoid|softmax
                       [--from-logits] [--delta D] [--k K]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice, \
    targets_for

EPSILON = 1e-7


def keras_loss(name, out, t, from_logits, delta):
    if name == "mean_squared_error":
        return ((out - t) ** 2).mean()
    if name == "mean_absolute_error":
        return (out - t).abs().mean()
    if name == "huber":
        e = out - t
        a = e.abs()
        return torch.where(a <= delta, 0.5 * e * e,
                           delta * a - 0.5 * delta * delta).mean()
    if name == "binary_crossentropy":
        if from_logits:
            return F.binary_cross_entropy_with_logits(out, t)
        q = out.clamp(EPSILON, 1 - EPSILON)
        return -(t * torch.log(q + EPSILON) +
                 (1 - t) * torch.log(1 - q + EPSILON)).mean()
    if name == "categorical_crossentropy":
        if from_logits:
            return -(t * F.log_softmax(out, dim=-1)).sum(-1).mean()
        q = (out / out.sum(-1, keepdim=True)).clamp(EPSILON, 1 - EPSILON)
        return -(t * torch.log(q)).sum(-1).mean()
    assert name == "sparse_categorical_crossentropy", name
    if from_logits:
        return F.cross_entropy(out, t)
    q = out.clamp(EPSILON, 1 - EPSILON)
    return -torch.log(q.gather(1, t[:, None])).mean()


def keras_metric(name, loss, out, t, k):
    if name in ("accuracy", "acc"):
        name = {"binary_crossentropy": "binary_accuracy",
                "categorical_crossentropy": "categorical_accuracy",
                "sparse_categorical_crossentropy":
                    "sparse_categorical_accuracy"}.get(
            loss, "binary_accuracy" if out.shape[-1] == 1
            else "categorical_accuracy")
    if name in ("mse", "mean_squared_error"):
        return ((out - t) ** 2).mean()
    if name in ("mae", "mean_absolute_error"):
        return (out - t).abs().mean()
    if name == "binary_accuracy":
        return ((out > 0.5).double() == t).double().mean()
    if name == "categorical_accuracy":
        return (out.argmax(-1) == t.argmax(-1)).double().mean()
    if name == "sparse_categorical_accuracy":
        return (out.argmax(-1) == t).double().mean()
    assert name == "sparse_top_k_categorical_accuracy", name
    picked = out.gather(1, t[:, None])
    return ((out > picked).sum(-1) < k).double().mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--activation", default="linear",
                    choices=["linear", "sigmoid", "softmax"])
    ap.add_argument("--from-logits", action="store_true")
    ap.add_argument("--delta", type=float, default=1.0)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=5)
    x, labels = load_fashion_slice(args.batch, offset=100)
    y = targets_for(model, labels)
    step = model.train_step(params, x, y)
    loss, metrics, grads = step

    w = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
         for p in params]
    h = torch.tensor(x.reshape(args.batch, -1), dtype=torch.float64) / 255.0
    h = torch.tanh(h @ w[0] + w[1])
    out = h @ w[2] + w[3]
    if args.activation == "sigmoid":
        out = torch.sigmoid(out)
    elif args.activation == "softmax":
        out = torch.softmax(out, dim=-1)
    if model.float_targets:
        t = torch.tensor(y, dtype=torch.float64)
    else:
        t = torch.tensor(y, dtype=torch.int64)
    ref_loss = keras_loss(model.loss, out, t, args.from_logits, args.delta)
    ref_loss.backward()
    with torch.no_grad():
        ref_metric = keras_metric(model.metrics[0], model.loss, out, t,
                                  args.k)
    print("%s, %s: loss %.6f, %s %.4f" % (model.loss, args.activation,
                                          loss, model.metrics[0],
                                          metrics[0]))
    reference = (ref_loss.item(), ref_metric.item(),
                 [p.grad.numpy() for p in w])
    return 1 if compare_step(model, (loss, metrics[0], grads), reference,
                             args.tolerance) else 0


if __name__ == "__main__":
    sys.exit(main())
