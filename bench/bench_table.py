"""The performance table of the reference models: Kiln against PyTorch eager,
in the same run, alternating.

For the seed MLP (batch 32 and 128), the LeNet-style CNN (32 and 64) and the
LSTM(64) row reader (64), each compiled once by kilnc: training samples/s of
Kiln on one thread and on every core, PyTorch's in its fastest configuration
here (one thread, see torch_common.py), their ratio, the training step's
achieved GFLOP/s and that as a share of the machine's FMA peak for the
threads used (measured by bench/peak in the same run). Then kilnc's compile
time and peak memory, and the peak memory of training on each side.

Seconds come from each side's own per-epoch timing (the training loop
only, not loading). The machine is noisy: each figure is the median of
alternating runs, and the ratios are the result.

usage: bench_table.py [--kilnc build/bin/kilnc] [--repeats 3]
                      [--max-train-samples N] [--models mlp,cnn,lstm]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from bench_mlp import (HERE, PYTHON, ROOT, blas_in_use, machine_peak,
                       torch_env, torch_version)

# FLOPs of one training sample, counted by hand as a check of the count the
# compiler puts in each executable (kiln-count-flops, which `summary`
# prints and the table uses): the multiply-adds of every matmul and
# convolution of the forward pass and of the backward pass (weight
# gradients, and input gradients where a layer below needs them), two
# FLOPs each. Element-wise work is left out, so both undercount a little.


def mlp_flops():
    forward = 2 * (784 * 128 + 128 * 10)
    # Both weight gradients, the second layer's input gradient.
    return 2 * forward + 2 * 128 * 10


def lenet_flops():
    conv1 = 2 * 26 * 26 * 32 * (3 * 3 * 1)
    conv2 = 2 * 11 * 11 * 64 * (3 * 3 * 32)
    dense = 2 * 1600 * 128
    dense1 = 2 * 128 * 10
    # conv1: forward and weight gradient (its input is the data); the
    # others also their input gradient.
    return 2 * conv1 + 3 * (conv2 + dense + dense1)


def lstm_flops():
    steps, features, units, gates = 28, 28, 64, 4
    project = 2 * features * units * gates
    recur = 2 * units * units * gates
    dense = 2 * units * 10
    # Forward: projection and recurrence per step. Backward: the
    # projection's weight gradient (the data needs none), the recurrent
    # weight gradient and the gradient to the previous state.
    return steps * (2 * project + 3 * recur) + 3 * dense


MODELS = {
    "mlp": ("seed MLP", "examples/mnist_mlp.json", ["torch_mlp.py"],
            mlp_flops(), [32, 128]),
    "cnn": ("LeNet-style CNN", "examples/lenet_cnn.json", ["torch_cnn.py"],
            lenet_flops(), [32, 64]),
    "lstm": ("LSTM(64) row reader", "examples/lstm_rows.json",
             ["torch_rnn.py", "--cell", "lstm"], lstm_flops(), [64]),
}


def summary_step(exe, batch):
    """From `summary` at `batch`: the training step's FLOPs per sample that
    kilnc counted, and the thread count train uses without --threads."""
    out = subprocess.run([exe, "summary", "--batch-size", str(batch)],
                         check=True, capture_output=True, text=True).stdout
    match = re.search(r"Training step: ([0-9,]+) FLOPs per sample.*, "
                      r"([0-9]+) threads?", out)
    if not match:
        sys.exit("%s summary printed no FLOP count" % exe)
    return int(match.group(1).replace(",", "")), int(match.group(2))


def run_measured(command, env=None):
    """Runs `command`; returns (stdout, wall seconds, peak resident MiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env,
                               text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit("failed (exit %d): %s" % (process.returncode,
                                           " ".join(command)))
    return out, seconds, usage.ru_maxrss / 1024.0


def epoch_records(text):
    records = [json.loads(l) for l in text.splitlines() if l.strip()]
    return [r for r in records if "epoch" in r]


def kiln_epoch(exe, args, batch, threads, workdir):
    metrics = os.path.join(workdir, "metrics.jsonl")
    command = [exe, "train", "--data", args.data, "--epochs", "1",
               "--batch-size", str(batch), "--threads", str(threads),
               "--seed", "1", "--metrics-json", metrics, "--quiet"]
    if args.max_train_samples:
        command += ["--max-train-samples", str(args.max_train_samples)]
    _, _, rss = run_measured(command)
    with open(metrics) as f:
        record = epoch_records(f.read())[0]
    return record["samples_per_second"], rss


def torch_epoch(script, args, batch):
    env = torch_env()
    command = [PYTHON, os.path.join(HERE, script[0])] + script[1:] + [
        "--data", args.data, "--epochs", "1", "--batch-size", str(batch)]
    if args.max_train_samples:
        command += ["--max-samples", str(args.max_train_samples)]
    out, _, rss = run_measured(command, env)
    return epoch_records(out)[0]["samples_per_second"], rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="mlp,cnn,lstm")
    ap.add_argument("--max-train-samples", type=int, default=0,
                    help="shorten each epoch to the first N samples")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="kiln-bench-")
    peak1, peak_all, cores, sgemm = machine_peak(workdir)
    thread_counts = [1] if cores == 1 else [1, cores]

    speed_rows, memory_rows = [], []
    for key in args.models.split(","):
        name, model, script, hand_flops, batches = MODELS[key]
        exe = os.path.join(workdir, key)
        _, compile_seconds, compile_rss = run_measured(
            [args.kilnc, os.path.join(ROOT, model), "-o", exe])
        flops, _ = summary_step(exe, batches[0])
        kiln_rss, torch_rss = [], []
        for batch in batches:
            kiln = {t: [] for t in thread_counts}
            torch = []
            for _ in range(args.repeats):
                for t in thread_counts:
                    speed, rss = kiln_epoch(exe, args, batch, t, workdir)
                    kiln[t].append(speed)
                    kiln_rss.append(rss)
                speed, rss = torch_epoch(script, args, batch)
                torch.append(speed)
                torch_rss.append(rss)
            reference = statistics.median(torch)
            _, default_threads = summary_step(exe, batch)
            for t in thread_counts:
                speed = statistics.median(kiln[t])
                gflops = speed * flops / 1e9
                peak = peak1 if t == 1 else peak_all
                threads = "%d%s" % (t, " (default)" if t == default_threads
                                    else "")
                speed_rows.append((name, batch, threads, speed, reference,
                                   speed / reference, gflops,
                                   100 * gflops / peak))
            print("measured %s at batch %d" % (name, batch), file=sys.stderr,
                  flush=True)
        memory_rows.append((name, flops / 1e6, hand_flops / 1e6,
                            compile_seconds, compile_rss, max(kiln_rss),
                            max(torch_rss)))

    samples = ("the first %d training samples" % args.max_train_samples
               if args.max_train_samples else "60000 training samples")
    print("Training speed, one epoch of %s, median of %d alternating runs"
          % (samples, args.repeats))
    print("| model | batch | Kiln threads | Kiln samples/s | PyTorch "
          "samples/s | Kiln / PyTorch | Kiln GFLOP/s | % of FMA peak |")
    print("|---|---|---|---|---|---|---|---|")
    for row in speed_rows:
        print("| %s | %d | %s | %.0f | %.0f | %.2fx | %.1f | %.0f %% |" % row)
    print()
    print("| model | MFLOP per training sample (kilnc's count / by hand) | "
          "kilnc s | kilnc peak MiB | Kiln training peak MiB | PyTorch "
          "training peak MiB |")
    print("|---|---|---|---|---|---|")
    for row in memory_rows:
        print("| %s | %.3f / %.3f | %.2f | %.0f | %.0f | %.0f |" % row)
    print()
    print("machine: %d cores; FMA peak %.1f GFLOP/s on one core, %.1f on %d "
          "(the peak for the row's thread count); OpenBLAS sgemm 1024^3 on "
          "one thread %.1f GFLOP/s" % (cores, peak1, peak_all, cores, sgemm))
    print("PyTorch %s, one thread, BLAS %s" % (torch_version(),
                                                blas_in_use()))


if __name__ == "__main__":
    sys.exit(main())
