"""Cross-checks one compiled training step of the seed MLP against PyTorch.

From identical weights and an identical batch of Fashion-MNIST, the loss,
the accuracy and every gradient of the compiled @train_step must match
PyTorch (computed in float64, the model written out as Keras defines it:
x/255 → flatten → dense+relu → dense → softmax → cross-entropy) to 1e-5
relative (norm-wise for tensors). As Keras does on TensorFlow when a softmax
output feeds the cross-entropy, the loss is computed from the logits
(log-softmax), not from clipped probabilities; the two agree unless a
probability falls below Keras's clipping bound 1e-7.

usage: torch_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch

from crosscheck import compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def reference(params, x, y, rescale):
    w1, b1, w2, b2 = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
                      for p in params]
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], -1)
    if rescale:
        h = h * (1.0 / 255.0)
    h = torch.relu(h @ w1 + b1)
    logits = h @ w2 + b2
    probs = torch.softmax(logits, dim=1)
    loss = torch.nn.functional.cross_entropy(
        logits, torch.tensor(y, dtype=torch.long))
    loss.backward()
    accuracy = (probs.argmax(1).numpy() == y).mean()
    return loss.item(), accuracy, [t.grad.numpy() for t in (w1, b1, w2, b2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--no-rescale", action="store_true")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=3)
    x, y = load_fashion_slice(args.batch, offset=1000)
    loss, metrics, grads = model.train_step(params, x, y)
    ref_loss, ref_accuracy, ref_grads = reference(params, x, y,
                                                  not args.no_rescale)

    failures = compare_step(model, (loss, metrics[0], grads),
                            (ref_loss, ref_accuracy, ref_grads),
                            args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
