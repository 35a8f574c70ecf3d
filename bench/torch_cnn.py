"""PyTorch eager reference for the LeNet-style CNN of examples/lenet_cnn.json:
the same model (Conv2D 32 → MaxPool → Conv2D 64 → MaxPool → Dropout 0.25 →
Flatten → Dense 128 → Dense 10), Adam and batching as the Kiln executable,
on pre-loaded tensors. Prints one JSON line per epoch with seconds and
samples/s, then the test accuracy.

Run it through bench_cnn.py, which sets up the fastest environment measured
on this machine (OpenBLAS's own threading off, see DESIGN.md)."""

import torch

from torch_common import run


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 32, 3)
        self.conv_1 = torch.nn.Conv2d(32, 64, 3)
        self.dropout = torch.nn.Dropout(0.25)  # as examples/lenet_cnn.json
        self.dense = torch.nn.Linear(64 * 5 * 5, 128)
        self.dense_1 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = x * (1.0 / 255.0)
        x = torch.max_pool2d(torch.relu(self.conv(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv_1(x)), 2)
        x = self.dropout(x).reshape(x.shape[0], -1)
        return self.dense_1(torch.relu(self.dense(x)))  # logits


if __name__ == "__main__":
    run(Cnn, (1, 28, 28))
