"""Cross-checks one compiled training step of a model with
BatchNormalization against PyTorch's batch_norm in float64.

Two models (test/kilnc/Inputs/; the layers before BatchNormalization have
no bias, as usual: its gradient would be zero, the normalization removing
any per-channel constant): bn_conv.json, x/255 → Conv2D(4, 3×3) →
BatchNormalization (over the batch and every pixel of each channel) →
relu → Flatten → Dense(10, softmax); and bn_dense.json, x/255 → Flatten →
Dense(16) → BatchNormalization(momentum 0.9, epsilon 1e-5; PyTorch's
BatchNorm1d) → tanh → Dense(10, softmax). From identical weights and
batch:
- the training step's loss, accuracy and every gradient (batch
  statistics; zero for the moving averages) must match to 1e-5 relative;
- its new moving averages must match Keras's update
  `moving * momentum + batch * (1 - momentum)`, computed here in numpy
  with the biased batch variance as Keras uses it (PyTorch's momentum is
  1 - Keras's; its running_var takes the unbiased variance, so only its
  running_mean is comparable, and it is compared too);
- predictions (inference: the moving averages given, not the batch's)
  must match PyTorch's batch_norm with training=False.

usage: torch_batch_norm_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def run_reference(model, params, x, y, training):
    """PyTorch float64 version of the model, walking its parameters by
    name. Returns (loss, accuracy, grads, probs, moments, running means)
    where moments are the numpy (mean, biased variance) of each
    BatchNormalization's input over the batch."""
    names = [name for name, _, _ in model.params]
    tensors = {name: torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for name, p in zip(names, params)}
    moments, running = [], []

    def batch_norm(h, layer, momentum, eps):
        # Channels last (Keras); PyTorch normalizes dimension 1.
        channels_first = h.movedim(-1, 1) if h.dim() > 2 else h
        mean = tensors[layer + "/moving_mean"].detach().clone()
        var = tensors[layer + "/moving_variance"].detach().clone()
        flat = h.detach().reshape(-1, h.shape[-1]).numpy()
        moments.append((flat.mean(0), flat.var(0)))
        out = F.batch_norm(channels_first, mean, var,
                           tensors[layer + "/gamma"], tensors[layer + "/beta"],
                           training=training, momentum=1.0 - momentum, eps=eps)
        running.append(mean.numpy())
        return out.movedim(1, -1) if h.dim() > 2 else out

    n = x.shape[0]
    h = torch.tensor(x, dtype=torch.float64) / 255.0
    if "conv/kernel" in tensors:
        # Keras's HWIO kernel and NHWC images as PyTorch's OIHW and NCHW.
        kernel = tensors["conv/kernel"].permute(3, 2, 0, 1)
        h = F.conv2d(h.reshape(n, 1, 28, 28), kernel)
        h = batch_norm(h.permute(0, 2, 3, 1), "bn", 0.99, 1e-3)
        h = torch.relu(h).reshape(n, -1)
    else:
        h = h.reshape(n, -1) @ tensors["hidden/kernel"]
        h = torch.tanh(batch_norm(h, "bn", 0.9, 1e-5))
    logits = h @ tensors["out/kernel"] + tensors["out/bias"]
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.long))
    loss.backward()
    accuracy = (logits.argmax(1).numpy() == y).mean()
    probs = torch.softmax(logits, 1).detach().numpy()
    grads = [tensors[name].grad.numpy() if tensors[name].grad is not None
             else np.zeros(tensors[name].shape) for name in names]
    return loss.item(), accuracy, grads, probs, moments, running


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=3)
    # gamma around 1, non-zero beta and biases, moving averages away from
    # their initial values, as after some training.
    rng = np.random.default_rng(13)
    for index, (name, shape, _) in enumerate(model.params):
        if name.endswith("/gamma") or name.endswith("/moving_variance"):
            params[index] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        elif (name.endswith("/beta") or name.endswith("/bias") or
              name.endswith("/moving_mean")):
            params[index] = rng.uniform(-0.2, 0.2, shape).astype(np.float32)
    x, y = load_fashion_slice(args.batch, offset=3000)
    x = x.reshape((args.batch,) + model.input_shape)
    loss, metrics, grads, states = model.train_step_states(params, x, y)
    ref_loss, ref_accuracy, ref_grads, _, moments, running = run_reference(
        model, params, x, y, training=True)
    failures = compare_step(model, (loss, metrics[0], grads),
                            (ref_loss, ref_accuracy, ref_grads),
                            args.tolerance)

    def check(what, got, want):
        nonlocal failures
        got = np.asarray(got, np.float64)
        want = np.asarray(want, np.float64)
        error = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
        ok = error <= args.tolerance
        failures += not ok
        print("%-4s %-24s relative error %.2e" % ("ok" if ok else "FAIL",
                                                   what, error))

    # One BatchNormalization: its moving mean and variance, in param order.
    names = [model.params[i][0] for i in model.state_params]
    print("state params: " + ", ".join(names))
    momentum = 0.99 if "conv/kernel" in [p[0] for p in model.params] else 0.9
    old = {model.params[i][0]: params[i] for i in model.state_params}
    mean, var = moments[0]
    want_mean = old["bn/moving_mean"] * momentum + mean * (1 - momentum)
    want_var = old["bn/moving_variance"] * momentum + var * (1 - momentum)
    new = dict(zip(names, states))
    check("bn/moving_mean (keras)", new["bn/moving_mean"], want_mean)
    check("bn/moving_variance (keras)", new["bn/moving_variance"], want_var)
    check("bn/moving_mean (torch)", new["bn/moving_mean"], running[0])
    moved = np.abs(new["bn/moving_variance"] - old["bn/moving_variance"])
    print("moving variance moved by up to %.3e" % moved.max())

    probs = model.predict(params, x)
    _, _, _, ref_probs, _, _ = run_reference(model, params, x, y,
                                             training=False)
    error = np.abs(probs - ref_probs).max()
    ok = error <= args.tolerance
    failures += not ok
    print("%-4s forward (inference)  max abs difference %.2e" %
          ("ok" if ok else "FAIL", error))
    print("batch norm cross-check: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
