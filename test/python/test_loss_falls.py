#!/usr/bin/env python3
"""Compares the test loss of two --metrics-json files: the model before
training (train --epochs 0) and after. Passes when after <= FACTOR * before
(and, with MAX, after <= MAX), printing both for FileCheck.

usage: test_loss_falls.py BEFORE.jsonl AFTER.jsonl FACTOR [MAX]
"""
import json
import sys


def test_loss(path):
    records = [json.loads(line) for line in open(path)]
    return [r["test_loss"] for r in records if "test_loss" in r][-1]


before, after = test_loss(sys.argv[1]), test_loss(sys.argv[2])
print("test loss %.4f -> %.4f" % (before, after))
if not after <= before * float(sys.argv[3]):
    sys.exit("FAIL: the test loss fell only from %g to %g" % (before, after))
if len(sys.argv) > 4 and not after <= float(sys.argv[4]):
    sys.exit("FAIL: test loss %g above %s" % (after, sys.argv[4]))
print("test loss falls")
