#!/usr/bin/env python3
"""Breaks the weights of a model in the schema's JSON form, for the error
tests of test/kilnc/export-kmodel.test: edit_weights.py IN OUT ACTION, where
ACTION is shape (the first weight's shape changes), short (an element goes
missing), name (the first weight names no parameter), duplicate (the first
weight appears twice) or unnamed (the first weight loses its name)."""
import json
import sys

source, target, action = sys.argv[1:4]
with open(source) as f:
    model = json.load(f)
weights = model["weights"]
first = weights[0]
if action == "shape":
    first["shape"] = list(reversed(first["shape"])) + [1]
elif action == "short":
    first["data"] = first["data"][:-1]
elif action == "name":
    first["name"] = "no_such_layer/kernel"
elif action == "duplicate":
    weights.append(dict(first))
elif action == "unnamed":
    del first["name"]
else:
    sys.exit("unknown action " + action)
with open(target, "w") as f:
    json.dump(model, f)
