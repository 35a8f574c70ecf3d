#!/usr/bin/env python3
"""Checks a --metrics-json file of a model with several outputs: in every
record (epochs, validation, test) the reported loss is the weighted sum of
the outputs' losses, `loss = Σ weight · <output>_loss`, to float precision.
The per-output losses are computed separately by the compiled step, so a
wrong weight or a dropped term shows here.

usage: check_loss_weights.py METRICS.jsonl OUTPUT=WEIGHT...
"""
import json
import sys

weights = dict((k, float(v)) for k, v in
               (arg.split("=") for arg in sys.argv[2:]))
failures = 0
for line in open(sys.argv[1]):
    record = json.loads(line)
    for prefix in ("", "val_", "test_"):
        if prefix + "loss" not in record:
            continue
        total = sum(w * record["%s%s_loss" % (prefix, name)]
                    for name, w in weights.items())
        got = record[prefix + "loss"]
        ok = abs(got - total) <= 1e-5 * max(1.0, abs(total))
        failures += not ok
        print("%s %sloss %.6f = %.6f" % ("ok" if ok else "FAIL", prefix, got,
                                         total))
print("loss weights: %d failures" % failures)
sys.exit(1 if failures else 0)
