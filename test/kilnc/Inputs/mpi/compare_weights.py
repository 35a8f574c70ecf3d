#!/usr/bin/env python3
"""Compares two exported checkpoints (`./model export --format npz`).

Usage: compare_weights.py A.npz B.npz ATOL [--differ]

Prints the largest absolute difference per parameter. Exits 1 unless every
parameter agrees within ATOL, or with --differ unless some parameter differs
by more than ATOL (the check that a wrong reference is caught).
"""

import sys

import numpy as np


def main():
    a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
    atol = float(sys.argv[3])
    differ = "--differ" in sys.argv[4:]
    if sorted(a.files) != sorted(b.files):
        sys.exit("different parameters: %s vs %s" % (a.files, b.files))
    worst = 0.0
    for name in sorted(a.files):
        d = float(np.max(np.abs(a[name].astype(np.float64) - b[name])))
        worst = max(worst, d)
        print("%s: max abs difference %.3g" % (name, d))
    if differ:
        ok = worst > atol
        print("differ beyond %g: %s" % (atol, "yes" if ok else "NO"))
    else:
        ok = worst <= atol
        print("within %g: %s" % (atol, "yes" if ok else "NO"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
