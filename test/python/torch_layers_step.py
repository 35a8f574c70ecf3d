"""Cross-checks one compiled training step through the further Keras layers
against PyTorch.

The model is test/kilnc/Inputs/torch_layers.json, written out here as
Keras defines it (samples [steps, channels], Conv1D kernels [k, in, out],
TensorFlow's `same` pooling windows, causal padding as zeros before the
steps): x/255 → Permute([2, 1]) → Dense(12) on every row → LeakyReLU(0.3)
→ Conv1D(8, 3, stride 2) → ReLU(max_value 0.4) → Conv1D(6, 3, causal, dilation 2) →
ELU(0.5) → MaxPooling1D(2) → AveragePooling1D(3, stride 2, same) →
Flatten → Dense(16, log_softmax) → Dense(10) → Softmax → cross-entropy.
From identical weights and batch, the loss, the accuracy and every
gradient must match PyTorch in float64 to 1e-5 relative.

usage: torch_layers_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import backward_cross_entropy, compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def conv1d(h, kernel, bias, stride=1, dilation=1, causal=False):
    """Keras's Conv1D on [n, steps, channels] with a [k, in, out] kernel."""
    h = h.permute(0, 2, 1)
    if causal:
        h = F.pad(h, ((kernel.shape[0] - 1) * dilation, 0))
    h = F.conv1d(h, kernel.permute(2, 1, 0), bias, stride=stride,
                 dilation=dilation)
    return h.permute(0, 2, 1)


def reference(params, x, y):
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    w0, b0, k1, c1, k2, c2, w3, b3, w4, b4 = tensors
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], 28, 28)
    h = (h / 255.0).permute(0, 2, 1)
    h = F.leaky_relu(h @ w0 + b0, 0.3)
    h = torch.clamp(conv1d(h, k1, c1, stride=2), 0.0, 0.4)
    h = F.elu(conv1d(h, k2, c2, dilation=2, causal=True), alpha=0.5)
    h = F.max_pool1d(h.permute(0, 2, 1), 2)
    # TensorFlow's `same` windows over 6 steps with stride 2: [0, 3),
    # [2, 5), [4, 6), each averaging the steps inside the input.
    h = torch.stack([h[..., 0:3].mean(-1), h[..., 2:5].mean(-1),
                     h[..., 4:6].mean(-1)], -1)
    h = h.permute(0, 2, 1).reshape(x.shape[0], -1)
    h = F.log_softmax(h @ w3 + b3, dim=-1)
    logits = h @ w4 + b4
    loss, accuracy = backward_cross_entropy(logits, y)
    return loss, accuracy, [t.grad.numpy() for t in tensors]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=5)
    # Non-zero biases move the kinks of the activations off the origin.
    rng = np.random.default_rng(11)
    for i in range(1, len(params), 2):
        params[i] = rng.uniform(-0.1, 0.1, params[i].shape).astype(np.float32)
    x, y = load_fashion_slice(args.batch, offset=3000)
    loss, metrics, grads = model.train_step(params, x, y)
    failures = compare_step(model, (loss, metrics[0], grads),
                            reference(params, x, y), args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
