#!/usr/bin/env python3
"""Checks a --metrics-json file: the training loss falls from the first
epoch to the last by at least the factor given, and prints the first and
last epoch's numbers for FileCheck.

usage: loss_falls.py METRICS.jsonl FACTOR
"""
import json
import sys

records = [json.loads(line) for line in open(sys.argv[1])]
epochs = [r for r in records if "epoch" in r]
first, last = epochs[0], epochs[-1]
print("first", json.dumps(first, sort_keys=True))
print("last", json.dumps(last, sort_keys=True))
if not last["loss"] <= first["loss"] * float(sys.argv[2]):
    print("FAIL: loss %g -> %g" % (first["loss"], last["loss"]))
    sys.exit(1)
print("loss falls")
