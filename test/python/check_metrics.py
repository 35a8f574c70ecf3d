"""Checks a --metrics-json file of a training run: the exact keys DESIGN.md
fixes, a loss that falls every epoch, and a minimum test accuracy.

usage: check_metrics.py FILE --epochs N [--min-test-accuracy A] [--validation]
"""

import argparse
import json
import math
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--min-test-accuracy", type=float, default=0.0)
    ap.add_argument("--validation", action="store_true")
    args = ap.parse_args()

    with open(args.file) as f:
        records = [json.loads(line) for line in f if line.strip()]
    epochs, final = records[:-1], records[-1]
    problems = []
    if len(epochs) != args.epochs:
        problems.append("expected %d epoch records, got %d" %
                        (args.epochs, len(epochs)))
    keys = ["epoch", "loss", "accuracy", "seconds", "samples_per_second"]
    if args.validation:
        keys += ["val_loss", "val_accuracy"]
    for i, r in enumerate(epochs):
        if sorted(r) != sorted(keys):
            problems.append("epoch record %d has keys %s" % (i, sorted(r)))
        if r.get("epoch") != i + 1:
            problems.append("epoch record %d is numbered %s" % (i, r.get("epoch")))
        if not all(isinstance(r.get(k), (int, float)) and math.isfinite(r[k])
                   for k in keys if k in r):
            problems.append("epoch record %d has a non-finite value" % i)
    losses = [r.get("loss", math.inf) for r in epochs]
    for a, b in zip(losses, losses[1:]):
        if not b < a:
            problems.append("loss did not fall: %s" % losses)
            break
    if sorted(final) != ["test_accuracy", "test_loss"]:
        problems.append("final record has keys %s" % sorted(final))
    elif final["test_accuracy"] < args.min_test_accuracy:
        problems.append("test accuracy %.4f < %.4f" %
                        (final["test_accuracy"], args.min_test_accuracy))
    print("losses:", " ".join("%.4f" % l for l in losses))
    print("test:", final)
    for p in problems:
        print("FAIL:", p)
    print("metrics check: %d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
