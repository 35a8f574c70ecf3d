"""Cross-checks one compiled training step of a small CNN against PyTorch.

The model is test/kilnc/Inputs/torch_cnn.json, written out here as Keras
defines it (NHWC data, HWIO kernels, TensorFlow's `same` padding with the
odd element after the data): x/255 → Conv2D(4, 3×3, stride 2, same, tanh) →
Conv2D(6, 3×3, dilation 2, relu) → AveragePooling2D(2) → MaxPooling2D(3,
stride 1, same) → MaxPooling2D(2) → Flatten → Dense(10, softmax) →
cross-entropy. From identical weights and batch, the loss, the accuracy and
every gradient (convolution kernels and biases through both pooling kinds)
must match PyTorch in float64 to 1e-5 relative.

usage: torch_cnn_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def conv(x, kernel, bias, stride=1, dilation=1, same=False):
    """Keras's Conv2D on NCHW data with an HWIO kernel."""
    if same:
        # TensorFlow pads ceil(in / stride) outputs, the odd element after.
        k = (kernel.shape[0] - 1) * dilation + 1
        size = x.shape[2]
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        x = F.pad(x, (total // 2, total - total // 2, total // 2,
                      total - total // 2))
    return F.conv2d(x, kernel.permute(3, 2, 0, 1), bias, stride=stride,
                    dilation=dilation)


def reference(params, x, y):
    k1, b1, k2, b2, w, b = [torch.tensor(p, dtype=torch.float64,
                                         requires_grad=True) for p in params]
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], 28, 28, 1)
    h = (h / 255.0).permute(0, 3, 1, 2)
    h = torch.tanh(conv(h, k1, b1, stride=2, same=True))
    h = torch.relu(conv(h, k2, b2, dilation=2))
    h = F.avg_pool2d(h, 2)
    h = F.max_pool2d(h, 3, stride=1, padding=1)
    h = F.max_pool2d(h, 2)
    h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
    logits = h @ w + b
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.long))
    loss.backward()
    accuracy = (logits.argmax(1).numpy() == y).mean()
    return loss.item(), accuracy, [t.grad.numpy() for t in (k1, b1, k2, b2,
                                                             w, b)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=5)
    # Non-zero biases exercise the bias gradients through the pooling.
    rng = np.random.default_rng(11)
    for i in (1, 3, 5):
        params[i] = rng.uniform(-0.1, 0.1, params[i].shape).astype(np.float32)
    x, y = load_fashion_slice(args.batch, offset=2000)
    loss, metrics, grads = model.train_step(params, x, y)
    ref_loss, ref_accuracy, ref_grads = reference(params, x, y)

    failures = compare_step(model, (loss, metrics[0], grads),
                            (ref_loss, ref_accuracy, ref_grads),
                            args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
