"""Kiln against PyTorch eager on the row-reading LSTM and GRU
(examples/lstm_rows.json, examples/gru_rows.json), in the same run: seconds
per epoch and test accuracy after the given number of epochs (batch 32
unless told), each side trained from scratch.

usage: bench_rnn.py --kilnc build/bin/kilnc [--cells lstm,gru] [--epochs 2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_cnn import kiln_run
from bench_mlp import HERE, PYTHON, ROOT, blas_in_use, torch_env, torch_version


def torch_run(cell, data, epochs, batch):
    env = torch_env()
    out = subprocess.run([PYTHON, os.path.join(HERE, "torch_rnn.py"),
                          "--cell", cell, "--data", data, "--epochs",
                          str(epochs), "--batch-size", str(batch)],
                         check=True, capture_output=True, text=True, env=env)
    records = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    seconds = [r["seconds"] for r in records if "epoch" in r]
    return seconds, records[-1]["test_accuracy"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--cells", default="lstm,gru")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="kiln-bench-")
    print("Row-reading RNNs, Fashion-MNIST 60000 samples/epoch, batch %d, "
          "%d epochs" % (args.batch_size, args.epochs))
    print("| model | Kiln s/epoch | PyTorch s/epoch | Kiln test acc. | "
          "PyTorch test acc. | kilnc s |")
    print("|---|---|---|---|---|---|")
    for cell in args.cells.split(","):
        model = os.path.join(ROOT, "examples/%s_rows.json" % cell)
        exe = os.path.join(workdir, cell)
        start = time.perf_counter()
        subprocess.run([args.kilnc, model, "-o", exe], check=True)
        compile_seconds = time.perf_counter() - start
        kiln = kiln_run(exe, args.data, args.epochs, args.batch_size, workdir)
        torch = torch_run(cell, args.data, args.epochs, args.batch_size)
        print("| %s(64) | %.2f | %.2f | %.4f | %.4f | %.1f |" %
              (cell.upper(), statistics.median(kiln[0]),
               statistics.median(torch[0]), kiln[1], torch[1],
               compile_seconds), flush=True)
    print("PyTorch %s with BLAS %s, OPENBLAS_NUM_THREADS=1; Kiln single-threaded"
          % (torch_version(), blas_in_use()))


if __name__ == "__main__":
    sys.exit(main())
