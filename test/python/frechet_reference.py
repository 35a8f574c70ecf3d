#!/usr/bin/env python3
"""NumPy reference of `./model frechet` (numpy only: eigh, no scipy).

  frechet_reference.py A.npy B.npy [--check METRICS.json] [--rtol R]
      The squared Fréchet distance between the Gaussians fitted to the rows
      of A and B (features as `./model predict --output F.npy` writes them,
      flattened per sample), in float64:
      |mu_a - mu_b|^2 + tr(Sa) + tr(Sb) - 2 tr((Sa^1/2 Sb Sa^1/2)^1/2).
      With --check, compares it with the frechet_distance of the metrics
      JSON that `./model frechet --metrics-json` wrote; exits 1 when the
      relative error exceeds R (default 1e-4).

  frechet_reference.py --farther FAR.json NEAR.json --factor F
      Checks that the first distance is more than F times the second."""
import argparse
import json
import sys

import numpy as np


def sqrt_psd(m):
    values, vectors = np.linalg.eigh(m)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet(a, b):
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa = np.atleast_2d(np.cov(a, rowvar=False))
    sb = np.atleast_2d(np.cov(b, rowvar=False))
    root = sqrt_psd(sa)
    product = root @ sb @ root
    product = (product + product.T) / 2
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(product), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa) + np.trace(sb)
                 - 2 * cross)


def load(path):
    if ".npz:" in path:
        archive, member = path.split(".npz:")
        return np.load(archive + ".npz")[member]
    return np.load(path)


def distance(path):
    with open(path) as f:
        return json.loads(f.readline())["frechet_distance"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs=2)
    ap.add_argument("--check")
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--farther", action="store_true")
    ap.add_argument("--factor", type=float, default=10.0)
    args = ap.parse_args()
    if args.farther:
        far, near = distance(args.files[0]), distance(args.files[1])
        print("far %.6g, near %.6g, ratio %.1f" % (far, near, far / near))
        if not far > args.factor * near:
            print("error: not farther by a factor of %g" % args.factor)
            return 1
        print("farther by more than %g" % args.factor)
        return 0
    reference = frechet(load(args.files[0]), load(args.files[1]))
    print("reference frechet_distance: %.17g" % reference)
    if args.check:
        kiln = distance(args.check)
        error = abs(kiln - reference) / abs(reference)
        print("kiln %.17g, relative error %.3g" % (kiln, error))
        if not error <= args.rtol:
            print("error: relative error above %g" % args.rtol)
            return 1
        print("matches to %g" % args.rtol)
    return 0


if __name__ == "__main__":
    sys.exit(main())
