"""Kiln against PyTorch eager on the seed MLP, in the same run, alternating.

Builds nothing itself: run bench/run.sh, which builds kilnc first. Prints a
table of seconds per epoch and samples/s for each, the ratio, and kilnc's
compile time. The machine is noisy: the result is the ratio of medians over
alternating runs, not an absolute time.

usage: bench_mlp.py --kilnc build/bin/kilnc [--repeats 3] [--batch-sizes 32,128]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"


def kiln_epoch(exe, data, batch, workdir):
    metrics = os.path.join(workdir, "metrics.jsonl")
    subprocess.run([exe, "train", "--data", data, "--epochs", "1",
                    "--batch-size", str(batch), "--seed", "1",
                    "--metrics-json", metrics, "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(metrics) as f:
        records = [json.loads(l) for l in f if l.strip()]
    return records[0]["seconds"], records[0]["samples_per_second"]


def torch_env():
    """The environment of PyTorch's fastest configuration measured here:
    OpenBLAS's own threads off on top of torch's, and the CPU-type
    overrides unset (2-3x faster than the defaults)."""
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def torch_epoch(data, batch):
    env = torch_env()
    out = subprocess.run([PYTHON, os.path.join(HERE, "torch_mlp.py"),
                          "--data", data, "--epochs", "1",
                          "--batch-size", str(batch)],
                         check=True, capture_output=True, text=True, env=env)
    record = json.loads(out.stdout.splitlines()[0])
    return record["seconds"], record["samples_per_second"]


# FLOPs of one training sample of the seed MLP: forward and weight-gradient
# matmuls of both layers, and the input gradient of the second layer (the
# first layer's is never formed). 2·(784·128 + 128·10) each.
FORWARD_FLOPS = 2 * (784 * 128 + 128 * 10)
TRAIN_FLOPS_PER_SAMPLE = 2 * FORWARD_FLOPS + 2 * 128 * 10


def machine_peak(workdir):
    """FMA peak (GFLOP/s, one core and all cores) from bench/peak/fma_peak.c,
    and OpenBLAS sgemm at 1024³ (one thread) as a practical ceiling."""
    exe = os.path.join(workdir, "fma_peak")
    subprocess.run(["clang-22", "-O3", "-march=native", "-ffp-contract=fast",
                    os.path.join(HERE, "peak", "fma_peak.c"), "-o", exe,
                    "-lpthread"], check=True)
    cores = os.cpu_count() or 1
    fma = json.loads(subprocess.run([exe, str(cores)], check=True,
                                    capture_output=True, text=True).stdout)
    env = torch_env()
    sgemm = json.loads(subprocess.run(
        [PYTHON, os.path.join(HERE, "peak", "sgemm_ceiling.py")], check=True,
        capture_output=True, text=True, env=env).stdout)
    return fma["fma_gflops_1"], fma["fma_gflops_%d" % cores], cores, \
        sgemm["sgemm_1024_gflops"]


def blas_in_use():
    """The BLAS that Debian's torch loads through libblas.so.3."""
    try:
        return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        return "unknown"


def torch_version():
    out = subprocess.run([PYTHON, "-c", "import torch; print(torch.__version__)"],
                         capture_output=True, text=True)
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--model", default=os.path.join(ROOT, "examples/mnist_mlp.json"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-sizes", default="32,128")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="kiln-bench-")
    exe = os.path.join(workdir, "mnist_mlp")
    start = time.perf_counter()
    subprocess.run([args.kilnc, args.model, "-o", exe], check=True)
    compile_seconds = time.perf_counter() - start

    peak1, peak_all, cores, sgemm = machine_peak(workdir)

    rows = []
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        kiln, torch = [], []
        for _ in range(args.repeats):
            kiln.append(kiln_epoch(exe, args.data, batch, workdir))
            torch.append(torch_epoch(args.data, batch))
        k = statistics.median(s for s, _ in kiln)
        t = statistics.median(s for s, _ in torch)
        rows.append((batch, k, 60000 / k, t, 60000 / t, t / k))

    print("seed MLP, Fashion-MNIST 60000 samples/epoch, median of %d "
          "alternating runs" % args.repeats)
    print("| batch | Kiln s/epoch | Kiln samples/s | PyTorch s/epoch | "
          "PyTorch samples/s | Kiln speed-up | Kiln GFLOP/s | % of 1-core "
          "FMA peak |")
    print("|---|---|---|---|---|---|---|---|")
    for batch, k, ks, t, ts, ratio in rows:
        gflops = ks * TRAIN_FLOPS_PER_SAMPLE / 1e9
        print("| %d | %.3f | %.0f | %.3f | %.0f | %.2fx | %.1f | %.0f %% |" %
              (batch, k, ks, t, ts, ratio, gflops, 100 * gflops / peak1))
    print("machine: FMA peak %.1f GFLOP/s on one core, %.1f on %d; OpenBLAS "
          "sgemm 1024^3 on one thread %.1f GFLOP/s; one epoch is %.1f GFLOP"
          % (peak1, peak_all, cores, sgemm,
             60000 * TRAIN_FLOPS_PER_SAMPLE / 1e9))
    print("kilnc compile time (model file to executable): %.2f s" %
          compile_seconds)
    print("PyTorch %s with BLAS %s, OPENBLAS_NUM_THREADS=1; Kiln single-threaded"
          % (torch_version(), blas_in_use()))


if __name__ == "__main__":
    sys.exit(main())
