"""Compares the weights exported before and after training: the
parameters of frozen layers (names given with --frozen) must be bitwise
unchanged, every other parameter must have changed.

usage: check_frozen.py BEFORE.npz AFTER.npz --frozen LAYER [LAYER...]"""

import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--frozen", nargs="+", required=True)
    args = ap.parse_args()
    before, after = np.load(args.before), np.load(args.after)
    failures = 0
    for name in sorted(before.files):
        same = np.array_equal(before[name], after[name])
        frozen = name.split("/")[0] in args.frozen
        ok = same == frozen
        failures += not ok
        print("%-4s %-22s %s" % ("ok" if ok else "FAIL", name,
                                 "unchanged" if same else "changed"))
    print("frozen check: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
