"""Compares two --metrics-json files, ignoring timing: bitwise by default,
or to a relative tolerance.

usage: same_metrics.py A B [--tolerance X]
"""

import argparse
import json
import sys

# Timing, and what a data-parallel run adds about its communication.
TIMING = {"seconds", "samples_per_second", "ranks", "allreduce_calls",
          "allreduce_bytes", "allreduce_seconds", "allreduce_wait_seconds"}


def load(path):
    with open(path) as f:
        return [{k: v for k, v in json.loads(line).items() if k not in TIMING}
                for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tolerance", type=float, default=0.0)
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    problems = 0
    if [sorted(r) for r in a] != [sorted(r) for r in b]:
        print("FAIL: different records")
        return 1
    for ra, rb in zip(a, b):
        for key in ra:
            x, y = ra[key], rb[key]
            bound = args.tolerance * max(abs(x), abs(y))
            if abs(x - y) > bound:
                problems += 1
                print("FAIL: %s %r != %r" % (key, x, y))
    print("compared %d records: %d differences" % (len(a), problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
