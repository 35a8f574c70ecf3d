"""Kiln against PyTorch eager on the LeNet-style CNN (examples/lenet_cnn.json),
in the same run: seconds per epoch and test accuracy after the given
number of epochs (batch 32 unless told), each side trained from scratch.

usage: bench_cnn.py --kilnc build/bin/kilnc [--epochs 2] [--repeats 1]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_mlp import HERE, PYTHON, ROOT, blas_in_use, torch_env, torch_version


def kiln_run(exe, data, epochs, batch, workdir):
    metrics = os.path.join(workdir, "metrics.jsonl")
    subprocess.run([exe, "train", "--data", data, "--epochs", str(epochs),
                    "--batch-size", str(batch), "--seed", "1",
                    "--metrics-json", metrics, "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(metrics) as f:
        records = [json.loads(l) for l in f if l.strip()]
    seconds = [r["seconds"] for r in records if "epoch" in r]
    return seconds, records[-1]["test_accuracy"]


def torch_run(data, epochs, batch):
    env = torch_env()
    out = subprocess.run([PYTHON, os.path.join(HERE, "torch_cnn.py"),
                          "--data", data, "--epochs", str(epochs),
                          "--batch-size", str(batch)],
                         check=True, capture_output=True, text=True, env=env)
    records = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    seconds = [r["seconds"] for r in records if "epoch" in r]
    return seconds, records[-1]["test_accuracy"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--model",
                    default=os.path.join(ROOT, "examples/lenet_cnn.json"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="kiln-bench-")
    exe = os.path.join(workdir, "lenet_cnn")
    start = time.perf_counter()
    subprocess.run([args.kilnc, args.model, "-o", exe], check=True)
    compile_seconds = time.perf_counter() - start

    kiln, torch = [], []
    for _ in range(args.repeats):
        kiln.append(kiln_run(exe, args.data, args.epochs, args.batch_size,
                             workdir))
        torch.append(torch_run(args.data, args.epochs, args.batch_size))
    k = statistics.median(s for run, _ in kiln for s in run)
    t = statistics.median(s for run, _ in torch for s in run)
    print("LeNet-style CNN, Fashion-MNIST 60000 samples/epoch, batch %d, "
          "%d epochs, %d alternating run(s)" %
          (args.batch_size, args.epochs, args.repeats))
    print("| | s/epoch (median) | test accuracy |")
    print("|---|---|---|")
    print("| Kiln | %.2f | %s |" % (k, ", ".join("%.4f" % a for _, a in kiln)))
    print("| PyTorch | %.2f | %s |" %
          (t, ", ".join("%.4f" % a for _, a in torch)))
    print("Kiln speed-up: %.2fx; kilnc compile time %.2f s" %
          (t / k, compile_seconds))
    print("PyTorch %s with BLAS %s, OPENBLAS_NUM_THREADS=1; Kiln single-threaded"
          % (torch_version(), blas_in_use()))


if __name__ == "__main__":
    sys.exit(main())
