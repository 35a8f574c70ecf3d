"""Kiln against PyTorch eager on the convolutional autoencoder
(examples/conv_autoencoder.json) in the same run: seconds per epoch and the
test set's reconstruction error (binary cross-entropy, the training loss,
and MSE) after the given number of epochs, each side trained from scratch
on all 60000 Fashion-MNIST images, batch 32.

usage: bench_autoencoder.py [--kilnc build/bin/kilnc] [--epochs 1]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

from bench_mlp import HERE, PYTHON, ROOT

SCALE = "scale=0.00392156862745"


def kiln_run(exe, data, epochs, batch, workdir):
    metrics = os.path.join(workdir, "metrics.jsonl")
    checkpoint = os.path.join(workdir, "ae.ckpt")
    subprocess.run([exe, "train", "--data", data, "--target", "input",
                    "--normalize", SCALE, "--epochs", str(epochs),
                    "--batch-size", str(batch), "--seed", "1",
                    "--checkpoint", checkpoint, "--metrics-json", metrics,
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)
    with open(metrics) as f:
        records = [json.loads(l) for l in f if l.strip()]
    seconds = [r["seconds"] for r in records if "epoch" in r]
    out = os.path.join(workdir, "reconstructions.npy")
    test = os.path.join(data, "t10k-images-idx3-ubyte.gz")
    subprocess.run([exe, "predict", "--checkpoint", checkpoint, "--input",
                    test, "--normalize", SCALE, "--output", out], check=True)
    import gzip
    with gzip.open(test) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).astype(np.float64)
    mse = float(((np.load(out).reshape(-1) - x / 255.0) ** 2).mean())
    return seconds, records[-1]["test_loss"], mse


def torch_run(data, epochs, batch):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    out = subprocess.run([PYTHON, os.path.join(HERE, "torch_autoencoder.py"),
                          "--data", data, "--epochs", str(epochs),
                          "--batch-size", str(batch)],
                         check=True, capture_output=True, text=True, env=env)
    records = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    seconds = [r["seconds"] for r in records if "epoch" in r]
    return seconds, records[-1]["test_bce"], records[-1]["test_mse"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="kiln-bench-")
    exe = os.path.join(workdir, "conv_autoencoder")
    start = time.perf_counter()
    subprocess.run([args.kilnc, os.path.join(ROOT,
                                             "examples/conv_autoencoder.json"),
                    "-o", exe], check=True)
    compile_seconds = time.perf_counter() - start
    kiln = kiln_run(exe, args.data, args.epochs, args.batch_size, workdir)
    torch = torch_run(args.data, args.epochs, args.batch_size)
    print("Convolutional autoencoder, Fashion-MNIST 60000 samples/epoch, "
          "batch %d, %d epoch(s)" % (args.batch_size, args.epochs))
    print("| | s/epoch (median) | test BCE | test MSE |")
    print("|---|---|---|---|")
    for name, (seconds, bce, mse) in (("Kiln", kiln), ("PyTorch", torch)):
        print("| %s | %.1f | %.4f | %.4f |" %
              (name, statistics.median(seconds), bce, mse))
    print("kilnc compile time %.1f s; PyTorch with OPENBLAS_NUM_THREADS=1, "
          "Kiln single-threaded" % compile_seconds)


if __name__ == "__main__":
    main()
