"""Cross-checks one compiled training step of a model with
LayerNormalization against PyTorch's layer_norm in float64.

The model is test/kilnc/Inputs/smooth_layer_norm.json: x/255 →
LayerNormalization over each image row (gamma, beta [28]) → Flatten →
Dense(16, tanh) → LayerNormalization(epsilon 1e-5) → Dense(12) →
LayerNormalization(epsilon 0.01, center off) → Dense(10, softmax) →
cross-entropy. Keras normalizes by the biased variance, as PyTorch does.
From identical weights and batch, the predictions (forward), the loss, the
accuracy and every gradient must match to 1e-5 relative.

usage: torch_layer_norm_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def reference(params, x, y):
    (g0, b0, k1, c1, g1, b1, k2, c2, g2, k3, c3) = [
        torch.tensor(p, dtype=torch.float64, requires_grad=True)
        for p in params]
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], 28, 28)
    h = F.layer_norm(h / 255.0, (28,), g0, b0, eps=1e-3)
    h = torch.tanh(h.reshape(x.shape[0], -1) @ k1 + c1)
    h = F.layer_norm(h, (16,), g1, b1, eps=1e-5)
    h = F.layer_norm(h @ k2 + c2, (12,), g2, None, eps=1e-2)
    logits = h @ k3 + c3
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.long))
    loss.backward()
    accuracy = (logits.argmax(1).numpy() == y).mean()
    probs = torch.softmax(logits, 1).detach().numpy()
    grads = [t.grad.numpy() for t in (g0, b0, k1, c1, g1, b1, k2, c2, g2,
                                       k3, c3)]
    return loss.item(), accuracy, grads, probs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=3)
    # gamma around 1 and non-zero beta and biases, as after some training.
    rng = np.random.default_rng(13)
    for index, (name, shape, _) in enumerate(model.params):
        if name.endswith("/gamma"):
            params[index] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        elif name.endswith("/beta") or name.endswith("/bias"):
            params[index] = rng.uniform(-0.2, 0.2, shape).astype(np.float32)
    x, y = load_fashion_slice(args.batch, offset=3000)
    loss, metrics, grads = model.train_step(params, x, y)
    ref_loss, ref_accuracy, ref_grads, ref_probs = reference(params, x, y)

    probs = model.predict(params, x)
    error = np.abs(probs - ref_probs).max()
    ok = error <= args.tolerance
    print("%-4s forward          max abs difference %.2e" %
          ("ok" if ok else "FAIL", error))
    failures = compare_step(model, (loss, metrics[0], grads),
                            (ref_loss, ref_accuracy, ref_grads),
                            args.tolerance)
    return 1 if failures or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
