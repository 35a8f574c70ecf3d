"""Cross-checks one compiled training step of a stacked LSTM or GRU
against PyTorch's nn.LSTM / nn.GRU (batch_first, float64).

The models are test/kilnc/Inputs/torch_lstm.json and torch_gru.json: the
image rows regrouped into 7 timesteps of 112 features, x/255, a recurrent
layer of 6 units returning its sequence, a second of 5 units reading it
backwards (go_backwards), Dense(10, softmax), cross-entropy. Keras keeps
the gates as column blocks of [in, gates·units] kernels: LSTM i, f, c, o
(PyTorch's i, f, g, o, the same order) and GRU z, r, h (PyTorch's r, z, n);
Keras's GRU with reset_after is PyTorch's GRU, its bias rows being
PyTorch's bias_ih and bias_hh. From identical weights and batch the loss,
the accuracy and every gradient must agree to 1e-5 relative.

With --cell bidirectional the model is test/kilnc/Inputs/
torch_bidirectional.json: Bidirectional(LSTM(6), return_sequences,
merge concat) then Bidirectional(GRU(5), merge sum), each direction its
own PyTorch module; the backward half reads the flipped sequence and, as
Keras does, its returned sequence is flipped back before the merge.

usage: torch_rnn_step.py LIBMODEL.so --cell lstm|gru|bidirectional
                         [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import backward_cross_entropy, compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def gate_order(cell, units):
    """Keras column index of each PyTorch gate column."""
    blocks = [1, 0, 2] if cell == "gru" else [0, 1, 2, 3]
    return np.concatenate([np.arange(b * units, (b + 1) * units)
                           for b in blocks])


def recurrent(cell, x, kernel, recurrent_kernel, bias, backwards):
    """One Keras recurrent layer through PyTorch; returns the outputs and a
    function mapping the module's gradients back to Keras's layout."""
    units = recurrent_kernel.shape[0]
    order = gate_order(cell, units)
    module_type = torch.nn.GRU if cell == "gru" else torch.nn.LSTM
    module = module_type(kernel.shape[0], units, batch_first=True).double()
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor(kernel[:, order].T))
        module.weight_hh_l0.copy_(torch.tensor(recurrent_kernel[:, order].T))
        if cell == "gru":
            module.bias_ih_l0.copy_(torch.tensor(bias[0][order]))
            module.bias_hh_l0.copy_(torch.tensor(bias[1][order]))
        else:
            module.bias_ih_l0.copy_(torch.tensor(bias[order]))
            module.bias_hh_l0.zero_()
    if backwards:
        x = x.flip(1)
    out, _ = module(x)

    def grads():
        def back(g):
            result = np.empty_like(g)
            result[..., order] = g
            return result
        dk = back(module.weight_ih_l0.grad.numpy().T)
        dr = back(module.weight_hh_l0.grad.numpy().T)
        if cell == "gru":
            db = np.stack([back(module.bias_ih_l0.grad.numpy()),
                           back(module.bias_hh_l0.grad.numpy())])
        else:
            db = back(module.bias_ih_l0.grad.numpy())
        return [dk, dr, db]
    return out, grads


def reference(cell, params, x, y):
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], 7, 112)
    h = h / 255.0
    seq, grads1 = recurrent(cell, h, *params[0:3], backwards=False)
    out, grads2 = recurrent(cell, seq, *params[3:6], backwards=True)
    w, b = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
            for p in params[6:8]]
    logits = out[:, -1, :] @ w + b
    loss = F.cross_entropy(logits, torch.tensor(y, dtype=torch.long))
    loss.backward()
    accuracy = (logits.argmax(1).numpy() == y).mean()
    return (loss.item(), accuracy,
            grads1() + grads2() + [w.grad.numpy(), b.grad.numpy()])


def reference_bidirectional(params, x, y):
    h = torch.tensor(x, dtype=torch.float64).reshape(x.shape[0], 7, 112)
    h = h / 255.0
    forward1, g1 = recurrent("lstm", h, *params[0:3], backwards=False)
    backward1, g2 = recurrent("lstm", h, *params[3:6], backwards=True)
    seq = torch.cat([forward1, backward1.flip(1)], dim=2)
    forward2, g3 = recurrent("gru", seq, *params[6:9], backwards=False)
    backward2, g4 = recurrent("gru", seq, *params[9:12], backwards=True)
    out = forward2[:, -1, :] + backward2[:, -1, :]
    w, b = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
            for p in params[12:14]]
    logits = out @ w + b
    loss, accuracy = backward_cross_entropy(logits, y)
    return (loss, accuracy,
            g1() + g2() + g3() + g4() + [w.grad.numpy(), b.grad.numpy()])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--cell", choices=["lstm", "gru", "bidirectional"], required=True)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=5)
    x, y = load_fashion_slice(args.batch, offset=3000)
    loss, metrics, grads = model.train_step(params, x, y)
    if args.cell == "bidirectional":
        ref_loss, ref_accuracy, ref_grads = reference_bidirectional(params, x,
                                                                    y)
    else:
        ref_loss, ref_accuracy, ref_grads = reference(args.cell, params, x, y)
    failures = compare_step(model, (loss, metrics[0], grads),
                            (ref_loss, ref_accuracy, ref_grads),
                            args.tolerance)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
