"""Checks the initial weights a compiled model draws against Keras's
definitions of its initializers (test/kilnc/Inputs/initializers.json), and
prints what the descriptor says about each parameter's initializer.

The weights are those exported after one epoch at learning rate 0, which
leaves them as initialized. Tolerances are several standard errors of each
statistic for the tensor's size, so a wrong variance (say, a missing
truncation correction, 12 %) fails."""

import argparse
import sys

import numpy as np

from kiln_abi import CompiledModel

CORRECTION = 0.87962566103423978  # stddev of a unit normal cut at +-2


def expectations():
    """name -> (kind, parameters) from Keras's formulas."""
    he = np.sqrt(2.0 / 784)
    return {
        "he/kernel": ("truncated", 0.0, he, 2 * he / CORRECTION),
        "he/bias": ("constant", 0.1),
        "vs/kernel": ("uniform", -np.sqrt(3 * 3.0 / 300), np.sqrt(3 * 3.0 / 300)),
        "vs/bias": ("uniform", -0.2, 0.4),
        "tn/kernel": ("truncated", 0.01, 0.02 * CORRECTION, 2 * 0.02),
        "tn/bias": ("normal", -0.5, 0.1),
        "out/kernel": ("uniform", -np.sqrt(3.0 / 300), np.sqrt(3.0 / 300)),
        "out/bias": ("constant", 0.0),
    }


def check(name, values, spec):
    """Returns a list of failure messages."""
    n = values.size
    mean, std = float(values.mean()), float(values.std())
    low, high = float(values.min()), float(values.max())
    failures = []

    def expect(ok, what):
        if not ok:
            failures.append("%s: %s (mean %g std %g min %g max %g)" %
                            (name, what, mean, std, low, high))

    kind = spec[0]
    if kind == "constant":
        expect(np.all(values == np.float32(spec[1])), "not all %g" % spec[1])
    elif kind == "uniform":
        a, b = spec[1], spec[2]
        sd = (b - a) / np.sqrt(12)
        expect(low >= a and high < b, "outside [%g, %g)" % (a, b))
        expect(low < a + 0.05 * (b - a) and high > b - 0.05 * (b - a),
               "does not fill [%g, %g)" % (a, b))
        expect(abs(mean - (a + b) / 2) < 5 * sd / np.sqrt(n), "mean")
        expect(abs(std - sd) < 6 * sd / np.sqrt(n) + 1e-3 * sd, "stddev")
    elif kind == "normal":
        mu, sd = spec[1], spec[2]
        expect(abs(mean - mu) < 5 * sd / np.sqrt(n), "mean")
        expect(abs(std - sd) < 6 * sd / np.sqrt(2 * n) + 1e-3 * sd, "stddev")
    elif kind == "truncated":
        mu, sd, bound = spec[1], spec[2], spec[3]
        expect(low >= mu - bound * (1 + 1e-6) and
               high <= mu + bound * (1 + 1e-6), "beyond 2 stddev")
        expect(low < mu - 0.95 * bound and high > mu + 0.95 * bound,
               "does not reach 2 stddev")
        expect(abs(mean - mu) < 5 * sd / np.sqrt(n), "mean")
        expect(abs(std - sd) < 6 * sd / np.sqrt(2 * n) + 1e-3 * sd, "stddev")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("weights")
    parser.add_argument("library")
    args = parser.parse_args()

    model = CompiledModel(args.library)
    for i in range(model.desc.num_params):
        p = model.desc.params[i]
        a = p.init_args
        print("desc %s kind %d scale %g mode %d distribution %d minval %g "
              "maxval %g mean %g stddev %g value %g gain %g" %
              (p.name.decode(), p.initializer, a.scale, a.mode,
               a.distribution, a.minval, a.maxval, a.mean, a.stddev,
               a.value, a.gain))

    weights = np.load(args.weights)
    failures = []
    for name, spec in expectations().items():
        values = weights[name].astype(np.float64)
        found = check(name, values, spec)
        print("param %s %s: %s" % (name, spec[0], "FAIL" if found else "ok"))
        failures += found
    for failure in failures:
        print("FAIL " + failure)
    print("init stats: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
