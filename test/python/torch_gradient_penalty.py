"""Cross-checks double backward: one compiled training step of a critic
whose loss carries a WGAN-GP gradient penalty against PyTorch.

The compiled model is one of test/kilnc/Inputs/gradient-penalty-*.mlir:
`kiln-opt -test-kiln-input-gradient-penalty` on `kilnc --emit=kiln` of
critic_{dense,conv,smooth,relu}.json, whose loss is

    mse(s, y) + λ · mean_i (‖∂s_i/∂x_i‖₂ - 1)²,   s = critic(x),

or, with `--wrt params` (the pass's `wrt=params`),

    mse(s, y) + λ · Σ_p mean((∂(Σ_i s_i)/∂p)²)   over the parameters p,

the input gradient written out as backward ops that kiln-autodiff
differentiates again. The reference is the same critic in PyTorch float64
(NHWC data, HWIO kernels, TensorFlow's `same` padding), the input gradient
taken with `torch.autograd.grad(..., create_graph=True)` and the loss
differentiated with respect to the weights. The loss and every gradient
must agree to the tolerance (1e-5 relative); the gradients of the kernels
must differ from the reference without the penalty by more than 100 times
the tolerance (the check fails if the second-order part goes missing).

usage: torch_gradient_penalty.py LIBMODEL.so --critic dense|conv|smooth|relu
       [--wrt input|params] [--lambda L] [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import compare_values, perturb_biases
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice, \
    targets_for


def conv(x, kernel, bias, stride=1, same=False):
    """Keras's Conv2D on NCHW data with an HWIO kernel."""
    if same:
        # TensorFlow pads ceil(in / stride) outputs, the odd element after.
        k = kernel.shape[0]
        size = x.shape[2]
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        x = F.pad(x, (total // 2, total - total // 2, total // 2,
                      total - total // 2))
    return F.conv2d(x, kernel.permute(3, 2, 0, 1), bias, stride=stride)


def nhwc_flatten(h):
    """Keras's Flatten of an NHWC activation held as NCHW."""
    return h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)


def critic(kind, w, x):
    """The critic's score for the float64 batch `x` (samples × 28 × 28)."""
    n = x.shape[0]
    if kind == "dense":
        h = F.leaky_relu(x.reshape(n, -1) @ w["hidden/kernel"] +
                         w["hidden/bias"], 0.2)
        return h @ w["score/kernel"] + w["score/bias"]
    h = x.reshape(n, 28, 28, 1).permute(0, 3, 1, 2)
    if kind == "conv":
        h = F.leaky_relu(conv(h, w["conv/kernel"], w["conv/bias"], stride=2,
                              same=True), 0.2)
        return nhwc_flatten(h) @ w["score/kernel"] + w["score/bias"]
    if kind == "relu":
        h = torch.relu(conv(h, w["conv/kernel"], w["conv/bias"], stride=2,
                            same=True))
        h = torch.relu(conv(h, w["conv_valid/kernel"], w["conv_valid/bias"]))
        return nhwc_flatten(h) @ w["score/kernel"] + w["score/bias"]
    h = torch.tanh(conv(h, w["conv/kernel"], w["conv/bias"], stride=2,
                        same=True))
    h = F.elu(conv(h, w["conv_valid/kernel"], w["conv_valid/bias"], stride=2))
    h = torch.sigmoid(nhwc_flatten(h) @ w["hidden/kernel"] +
                      w["hidden/bias"])
    return h @ w["score/kernel"] + w["score/bias"]


def reference(model, kind, params, x, y, lam, wrt="input"):
    """(loss, gradients) of the penalized loss in float64; lam = 0 gives
    the plain critic loss."""
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    weights = {name: t for (name, _, _), t in zip(model.params, tensors)}
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    s = critic(kind, weights, xt)
    loss = F.mse_loss(s, torch.tensor(y, dtype=torch.float64))
    if lam and wrt == "params":
        gs = torch.autograd.grad(s.sum(), tensors, create_graph=True)
        loss = loss + lam * sum((g ** 2).mean() for g in gs)
    elif lam:
        (g,) = torch.autograd.grad(s.sum(), xt, create_graph=True)
        norm = g.reshape(g.shape[0], -1).norm(dim=1)
        loss = loss + lam * ((norm - 1) ** 2).mean()
    grads = torch.autograd.grad(loss, tensors)
    return loss.item(), [g.numpy() for g in grads]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--critic", choices=["dense", "conv", "smooth", "relu"],
                    required=True)
    ap.add_argument("--wrt", choices=["input", "params"], default="input")
    ap.add_argument("--lambda", dest="lam", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=5)
    perturb_biases(params, seed=11)
    images, labels = load_fashion_slice(args.batch, offset=3000)
    x = images / np.float32(255.0)
    y = targets_for(model, labels)
    loss, _, grads = model.train_step(params, x, y)
    ref_loss, ref_grads = reference(model, args.critic, params, x, y,
                                    args.lam, args.wrt)
    pairs = [("loss", loss, ref_loss)]
    pairs += [(name, got, want) for (name, _, _), got, want
              in zip(model.params, grads, ref_grads)]
    failures = compare_values(pairs, args.tolerance)

    # The penalty must matter: without it the kernels' gradients are far
    # from the compiled ones.
    _, plain_grads = reference(model, args.critic, params, x, y, 0.0)
    for (name, _, _), got, plain in zip(model.params, grads, plain_grads):
        if not name.endswith("/kernel"):
            continue
        change = np.linalg.norm(got - plain) / np.linalg.norm(got)
        ok = change > 100 * args.tolerance
        failures += not ok
        print("%-4s %-16s penalty changes the gradient by %.2e (relative)" %
              ("ok" if ok else "FAIL", name, change))
    print("gradient penalty: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
