"""Checks the moving averages of BatchNormalization layers in an exported
weight archive (`export --format npz`): every `<layer>/moving_mean` and
`<layer>/moving_variance` in AFTER must be finite, the variances positive,
and each must differ from its initial value (Keras's defaults, zeros and
ones: training updated the state) by at least --min-change (max abs
difference).

usage: check_moving_stats.py AFTER.npz [--min-change X]
"""

import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("after")
    ap.add_argument("--min-change", type=float, default=1e-3)
    args = ap.parse_args()
    after = np.load(args.after)
    names = sorted(n for n in after.files
                   if n.endswith("/moving_mean") or
                   n.endswith("/moving_variance"))
    failures = 0 if names else 1
    for name in names:
        new = after[name]
        old = 0.0 if name.endswith("/moving_mean") else 1.0
        change = float(np.abs(new - old).max())
        ok = bool(np.all(np.isfinite(new))) and change >= args.min_change
        if name.endswith("/moving_variance"):
            ok = ok and bool(np.all(new > 0))
        failures += not ok
        print("%-4s %-24s min %+.4f max %+.4f changed by up to %.4f" %
              ("ok" if ok else "FAIL", name, new.min(), new.max(), change))
    print("moving stats check: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
