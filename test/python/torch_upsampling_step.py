"""Cross-checks one compiled training step through UpSampling2D against
PyTorch.

The model is test/kilnc/Inputs/torch_upsampling.json: x/255 → Conv2D(4,
3×3, stride 2, relu) → UpSampling2D((3, 2), nearest) → Conv2D(3, 3×3,
strides (4, 3), tanh) → Flatten → Dense(10, softmax) → cross-entropy, with
NHWC data and HWIO kernels as in Keras. The unequal factors and strides
make the second convolution read the upsampled blocks unevenly, so the
block sums of the gradient are exercised. From identical weights and
batch, the loss, the accuracy and every gradient must match PyTorch in
float64 to 1e-5 relative.

usage: torch_upsampling_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import backward_cross_entropy, compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def conv(h, kernel, bias, stride):
    """Keras's valid Conv2D on NCHW data with an HWIO kernel."""
    return F.conv2d(h, kernel.permute(3, 2, 0, 1), bias, stride=stride)


def reference(params, x, y):
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    k1, b1, k2, b2, w, b = tensors
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], 1, 28, 28)
    h = torch.relu(conv(h / 255.0, k1, b1, 2))
    h = h.repeat_interleave(3, dim=2).repeat_interleave(2, dim=3)
    h = torch.tanh(conv(h, k2, b2, (4, 3)))
    h = h.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
    logits = h @ w + b
    loss, accuracy = backward_cross_entropy(logits, y)
    return loss, accuracy, [t.grad.numpy() for t in tensors]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=7)
    rng = np.random.default_rng(13)
    for i in range(1, len(params), 2):
        params[i] = rng.uniform(-0.1, 0.1, params[i].shape).astype(np.float32)
    x, y = load_fashion_slice(args.batch, offset=4000)
    loss, metrics, grads = model.train_step(params, x, y)
    failures = compare_step(model, (loss, metrics[0], grads),
                            reference(params, x, y), args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
