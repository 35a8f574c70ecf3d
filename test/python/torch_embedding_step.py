"""Cross-checks one compiled training step through Embedding against
PyTorch, out-of-range indices included.

The model is test/kilnc/Inputs/embedding.json: the 28×28 pixel values
(0..255) are row indices into a 256×3 table → Reshape([28, 84]) →
Dense(8, tanh) on every row → Flatten → Dense(10, softmax) →
cross-entropy. Some pixels are replaced by indices Kiln must not read or
write out of bounds: 256, 300, -5 and NaN give zero rows and no gradient;
-0.5 and 255.9 truncate toward zero (rows 0 and 255), as Keras's cast to
int32 does. From identical weights and batch, the loss, the accuracy and
every gradient (the table's is a scatter-add) must match PyTorch in
float64 to 1e-5 relative.

usage: torch_embedding_step.py LIBMODEL.so [--batch N]
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from crosscheck import backward_cross_entropy, compare_step
from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def reference(params, x, y):
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
               for p in params]
    table, w1, b1, w2, b2 = tensors
    n = x.shape[0]
    ids = torch.tensor(x, dtype=torch.float64).reshape(n, 28, 28)
    valid = (ids > -1) & (ids < table.shape[0])  # NaN compares false.
    rows = torch.where(valid, ids, torch.zeros_like(ids)).trunc().long()
    h = F.embedding(rows, table) * valid.unsqueeze(-1)
    h = torch.tanh(h.reshape(n, 28, 84) @ w1 + b1).reshape(n, -1)
    logits = h @ w2 + b2
    loss, accuracy = backward_cross_entropy(logits, y)
    return loss, accuracy, [t.grad.numpy() for t in tensors]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=9)
    x, y = load_fashion_slice(args.batch, offset=5000)
    x = x.copy()
    flat = x.reshape(args.batch, -1)
    for column, value in enumerate([256, 300, -5, np.nan, -0.5, 255.9]):
        flat[:, 100 + 7 * column] = value
    loss, metrics, grads = model.train_step(params, x, y)
    failures = compare_step(model, (loss, metrics[0], grads),
                            reference(params, x, y), args.tolerance)
    if not np.isfinite(loss) or not all(np.isfinite(g).all() for g in grads):
        print("FAIL: non-finite results")
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
