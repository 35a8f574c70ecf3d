"""Cross-checks the activations' gradient rules against PyTorch.

The model is a stack of Dense layers, one activation each, as listed on
the command line in layer order (Keras's definitions: leaky_relu with slope
0.2, hard_sigmoid as clamp(x/6 + 1/2, 0, 1), gelu exact), ending in
Dense + softmax and the cross-entropy. One compiled training step from
identical weights and batch must match PyTorch in float64 to 1e-5 relative
for the loss and every gradient. (Finite differences resolve a deep stack
of these curved or kinked functions poorly in float32; the rules are
checked exactly here instead.)

usage: torch_activations.py LIBMODEL.so ACTIVATION,ACTIVATION,...
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from kiln_abi import CompiledModel, glorot_params, load_fashion_slice

ACTIVATIONS = {
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "silu": F.silu,
    "swish": F.silu,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "exponential": torch.exp,
    "leaky_relu": lambda h: F.leaky_relu(h, 0.2),
    "relu6": F.relu6,
    "hard_sigmoid": lambda h: torch.clamp(h / 6 + 0.5, 0, 1),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("activations")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=3)
    x, y = load_fashion_slice(args.batch)
    loss, _, grads = model.train_step(params, x, y)

    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    h = torch.tensor(x, dtype=torch.float64).reshape(args.batch, -1) / 255.0
    for i, name in enumerate(args.activations.split(",")):
        h = ACTIVATIONS[name](h @ tensors[2 * i] + tensors[2 * i + 1])
    logits = h @ tensors[-2] + tensors[-1]
    ref = F.cross_entropy(logits, torch.tensor(y, dtype=torch.long))
    ref.backward()

    failures = 0

    def check(what, got, want):
        nonlocal failures
        got = np.asarray(got, np.float64)
        want = np.asarray(want, np.float64)
        error = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
        ok = error <= args.tolerance
        failures += not ok
        print("%-4s %-16s relative error %.2e" % ("ok" if ok else "FAIL",
                                                   what, error))

    check("loss", loss, ref.item())
    for (name, _, _), got, tensor in zip(model.params, grads, tensors):
        check(name, got, tensor.grad.numpy())
    print("torch cross-check: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
