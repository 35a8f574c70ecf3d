"""What the PyTorch references of bench/ share: loading Fashion-MNIST into
pre-loaded tensors, and the training loop (Adam with Keras's epsilon,
shuffled batches, one JSON line per epoch, then the test accuracy)."""

import argparse
import gzip
import json
import time

import numpy as np
import torch


def load(root, prefix, shape):
    with gzip.open("%s/%s-images-idx3-ubyte.gz" % (root, prefix)) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape((-1,) + shape)
    with gzip.open("%s/%s-labels-idx1-ubyte.gz" % (root, prefix)) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


def parse_args(add_arguments=None, batch_size=32):
    """The command line every reference takes; seeds PyTorch.
    `add_arguments(parser)` adds a reference's own flags."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=batch_size)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--max-samples", type=int, default=0,
                    help="train on the first N training samples only")
    if add_arguments:
        add_arguments(ap)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return args


def train(model, x, target, lossf, args):
    """Adam with Keras's epsilon (1e-7) over shuffled batches of `x`, for
    args.epochs epochs, printing one JSON line per epoch. `target(idx,
    batch)` is the target of the batch x[idx]."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = x.shape[0]
    for epoch in range(args.epochs):
        model.train()
        start = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            batch = x[idx]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(batch), target(idx, batch))
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        print(json.dumps({"epoch": epoch + 1, "loss": total / n,
                          "seconds": seconds,
                          "samples_per_second": n / seconds}), flush=True)


def run(make_model, shape):
    """Trains make_model() on images of `shape` (without the batch) as the
    command line says, with cross-entropy on the labels, then prints the
    test accuracy."""
    args = parse_args()
    x, y = load(args.data, "train", shape)
    if args.max_samples:
        x, y = x[:args.max_samples], y[:args.max_samples]
    xt, yt = load(args.data, "t10k", shape)
    model = make_model()
    train(model, x, lambda idx, batch: y[idx], torch.nn.CrossEntropyLoss(),
          args)
    model.eval()
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(json.dumps({"test_accuracy": acc}))
