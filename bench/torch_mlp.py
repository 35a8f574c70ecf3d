"""PyTorch eager reference for the seed MLP: the same model, optimizer and
batching as the Kiln executable, on pre-loaded tensors. Prints one JSON line
per epoch with seconds and samples/s, then the test accuracy.

Run it through bench_mlp.py, which sets up the fastest environment measured
on this machine (OpenBLAS's own threading off, see DESIGN.md)."""

import torch

from torch_common import run


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = torch.nn.Linear(784, 128)
        self.dense_1 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = (x * (1.0 / 255.0)).reshape(x.shape[0], -1)
        return self.dense_1(torch.relu(self.dense(x)))  # logits


if __name__ == "__main__":
    run(Mlp, (28, 28))
