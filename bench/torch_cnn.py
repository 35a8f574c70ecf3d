"""PyTorch eager reference for the LeNet-style CNN of examples/lenet_cnn.json:
the same model (Conv2D 32 → MaxPool → Conv2D 64 → MaxPool → Dropout 0.5 →
Flatten → Dense 128 → Dense 10), Adam and batching as the Kiln executable,
on pre-loaded tensors. Prints one JSON line per epoch with seconds and
samples/s, then the test accuracy.

Run it through bench_cnn.py, which sets up the fastest environment measured
on this machine (OpenBLAS's own threading off, see DESIGN.md)."""

import argparse
import gzip
import json
import time

import numpy as np
import torch


def load(root, prefix):
    with gzip.open("%s/%s-images-idx3-ubyte.gz" % (root, prefix)) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open("%s/%s-labels-idx1-ubyte.gz" % (root, prefix)) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 32, 3)
        self.conv_1 = torch.nn.Conv2d(32, 64, 3)
        self.dropout = torch.nn.Dropout(0.5)
        self.dense = torch.nn.Linear(64 * 5 * 5, 128)
        self.dense_1 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = x * (1.0 / 255.0)
        x = torch.max_pool2d(torch.relu(self.conv(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv_1(x)), 2)
        x = self.dropout(x).reshape(x.shape[0], -1)
        return self.dense_1(torch.relu(self.dense(x)))  # logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = load(args.data, "train")
    xt, yt = load(args.data, "t10k")
    model = Cnn()
    # Keras's Adam: epsilon 1e-7.
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    lossf = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    for epoch in range(args.epochs):
        model.train()
        start = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        print(json.dumps({"epoch": epoch + 1, "loss": total / n,
                          "seconds": seconds,
                          "samples_per_second": n / seconds}), flush=True)
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(json.dumps({"test_accuracy": acc}))


if __name__ == "__main__":
    main()
