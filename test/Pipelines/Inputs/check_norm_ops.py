"""Checks the results of norm_ops_driver against float64 numpy: Keras's
batch normalization (biased variance over every axis but the channels),
its gradient, the moments and the inference form. The reference gradient
formula is itself checked against central differences first.

usage: check_norm_ops.py OUT.bin"""

import sys

import numpy as np

EPS = 1e-3


def normalize(x):
    rows = x.reshape(-1, x.shape[-1])
    mean = rows.mean(0)
    var = ((rows - mean) ** 2).mean(0)
    return (x - mean) / np.sqrt(var + EPS)


def normalize_grad(dy, x):
    rows, drows = x.reshape(-1, x.shape[-1]), dy.reshape(-1, x.shape[-1])
    mean = rows.mean(0)
    rstd = 1 / np.sqrt(((rows - mean) ** 2).mean(0) + EPS)
    xhat = (rows - mean) * rstd
    dx = rstd * (drows - drows.mean(0) - xhat * (drows * xhat).mean(0))
    return dx.reshape(x.shape)


def main():
    data = open(sys.argv[1], "rb").read()
    m = int(np.frombuffer(data[:8], np.int64)[0])
    values = np.frombuffer(data[8:], np.float32).astype(np.float64)
    sizes = [m * 12, m * 12, m * 12, m * 12, 4, 4, m * 4, 4, 4, m * 4]
    parts = np.split(values, np.cumsum(sizes)[:-1])
    x, y, dy, dx, mean, var, x2, mean2, var2, y2 = parts
    x, y, dy, dx = (a.reshape(m, 3, 4) for a in (x, y, dy, dx))
    x2, y2 = x2.reshape(m, 4), y2.reshape(m, 4)

    failures = 0

    def check(what, got, want, tolerance=2e-5):
        nonlocal failures
        error = np.abs(got - want).max() / max(np.abs(want).max(), 1.0)
        ok = error <= tolerance
        failures += not ok
        print("%s %s m=%d error %.2e" % ("PASS" if ok else "MISMATCH", what,
                                          m, error))

    # The reference rule against central differences of sum(dy * y).
    if m > 1:
        rng = np.random.default_rng(0)
        v = rng.standard_normal(x.shape)
        h = 1e-6
        numeric = (np.sum(dy * normalize(x + h * v)) -
                   np.sum(dy * normalize(x - h * v))) / (2 * h)
        analytic = np.sum(normalize_grad(dy, x) * v)
        check("reference-rule", analytic, numeric, 1e-6)

    check("batch_norm", y, normalize(x))
    check("batch_norm_grad", dx, normalize_grad(dy, x))
    rows = x.reshape(-1, 4)
    check("moments-mean", mean, rows.mean(0))
    check("moments-variance", var, ((rows - rows.mean(0)) ** 2).mean(0))
    check("batch_norm_inference", y2, (x2 - mean2) / np.sqrt(var2 + EPS))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
