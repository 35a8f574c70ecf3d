"""Kiln against PyTorch eager on the DCGAN of examples/dcgan.json in the
same run: seconds per epoch over the Fashion-MNIST training images (60000
unless --max-samples), batch 64, one discriminator step per generator
step; each side trained from scratch, alternating when --repeats > 1.
The PyTorch side is bench/torch_dcgan.py (the same architecture, loss and
optimizers, with OPENBLAS_NUM_THREADS=1); the Kiln side compiles
examples/dcgan.json with kilnc and runs `./dcgan train ... --metrics-json`,
reading the per-epoch "seconds". Without examples/dcgan.json the Kiln row
is skipped with a message.

usage: bench_gan.py [--kilnc build/bin/kilnc] [--epochs 1] [--max-samples N]
                    [--repeats 1] [--threads N] [--kiln-threads N] [--samples DIR]

`./dcgan generate --checkpoint F --count 10000 --output images.npy` writes
the Kiln generator's images in the layout gan_frechet.py measures.
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

BATCH = 64
TRAIN_IMAGES = 60000


def kiln_run(exe, args, workdir, run):
    metrics = os.path.join(workdir, "metrics-%d.jsonl" % run)
    command = [exe, "train", "--data", args.data, "--epochs",
               str(args.epochs), "--batch-size", str(BATCH),
               "--metrics-json", metrics, "--quiet"]
    if args.max_samples:
        command += ["--max-samples", str(args.max_samples)]
    if args.kiln_threads:
        command += ["--threads", str(args.kiln_threads)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with open(metrics) as f:
        records = [json.loads(l) for l in f if l.strip()]
    return [r["seconds"] for r in records if "epoch" in r]


def torch_run(args, run):
    env = torch_env()
    command = [PYTHON, os.path.join(HERE, "torch_dcgan.py"), "--data",
               args.data, "--epochs", str(args.epochs), "--batch-size",
               str(BATCH)]
    if args.max_samples:
        command += ["--max-samples", str(args.max_samples)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.samples:
        command += ["--samples",
                    os.path.join(args.samples, "torch-%d.npy" % run)]
    out = subprocess.run(command, check=True, capture_output=True, text=True,
                         env=env)
    records = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    return [r["seconds"] for r in records if "epoch" in r]


def torch_threads(args):
    if args.threads:
        return args.threads
    out = subprocess.run([PYTHON, "-c",
                          "import torch; print(torch.get_num_threads())"],
                         check=True, capture_output=True, text=True)
    return int(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--model", default=os.path.join(ROOT,
                                                    "examples/dcgan.json"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-samples", type=int, default=0,
                    help="train on the first N images only (0: all)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0,
                    help="PyTorch's threads (0: its default)")
    ap.add_argument("--kiln-threads", type=int, default=0,
                    help="`./dcgan train --threads` (0: its default, "
                    "every core)")
    ap.add_argument("--samples",
                    help="directory for the PyTorch generator's samples "
                    "(torch-R.npy, 10000 images; see gan_frechet.py)")
    args = ap.parse_args()
    images = args.max_samples or TRAIN_IMAGES

    workdir = tempfile.mkdtemp(prefix="kiln-bench-gan-")
    exe = None
    compile_seconds = None
    if os.path.exists(args.model):
        exe = os.path.join(workdir, "dcgan")
        start = time.perf_counter()
        subprocess.run([args.kilnc, args.model, "-o", exe], check=True)
        compile_seconds = time.perf_counter() - start
    else:
        print("Kiln row skipped: %s does not exist (the DCGAN example comes "
              "with the GAN frontend)" % os.path.relpath(args.model, ROOT),
              file=sys.stderr)
    if args.samples:
        os.makedirs(args.samples, exist_ok=True)

    kiln, torch = [], []
    for run in range(args.repeats):
        if exe:
            kiln += kiln_run(exe, args, workdir, run)
        torch += torch_run(args, run)

    print("DCGAN, Fashion-MNIST %d images/epoch, batch %d, %d epoch(s), "
          "%d run(s)" % (images, BATCH, args.epochs, args.repeats))
    print("| | s/epoch (median) | images/s | runs |")
    print("|---|---|---|---|")
    rows = [("PyTorch", torch)]
    if exe:
        rows.insert(0, ("Kiln", kiln))
    for name, seconds in rows:
        median = statistics.median(seconds)
        print("| %s | %.1f | %.0f | %s |" %
              (name, median, images / median,
               ", ".join("%.1f" % s for s in seconds)))
    if exe:
        print("Kiln speed-up: %.2fx; kilnc compile time %.1f s" %
              (statistics.median(torch) / statistics.median(kiln),
               compile_seconds))
    else:
        print("Kiln: skipped (no %s)" % os.path.relpath(args.model, ROOT))
    print("PyTorch %s with BLAS %s, OPENBLAS_NUM_THREADS=1, %d thread(s); "
          "Kiln %s" % (torch_version(), blas_in_use(), torch_threads(args),
                       "%d thread(s)" % args.kiln_threads
                       if args.kiln_threads else "its default threads"))


if __name__ == "__main__":
    sys.exit(main())
