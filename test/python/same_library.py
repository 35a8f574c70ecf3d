"""Checks that two compilations of one model are the same model: equal
descriptors (name, fingerprint, parameters, shapes, loss, metrics) and
bitwise equal train_step, evaluate and predict on a batch of Fashion-MNIST
images, e.g. a model compiled from its JSON file and from the kiln IR that
`kilnc --emit=kiln` wrote for it.

usage: same_library.py A.so B.so [--batch N]
"""

import argparse
import sys

import numpy as np

from kiln_abi import CompiledModel, glorot_params, load_fashion_slice, \
    targets_for


def flatten(value):
    """The numbers of a result (a float, an array or nested lists and tuples
    of them) as one float32 array."""
    if isinstance(value, (list, tuple)):
        parts = [flatten(v) for v in value]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return np.asarray(value, np.float32).ravel()


def describe(model):
    d = model.desc
    return dict(name=d.name, fingerprint=d.fingerprint, params=model.params,
                inputs=model.inputs, outputs=model.outputs, loss=model.loss,
                metrics=model.metrics, uses_rng=d.uses_rng,
                epochs=d.epochs, batch_size=d.batch_size,
                num_layers=d.num_layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    a, b = CompiledModel(args.a), CompiledModel(args.b)
    failures = 0
    da, db = describe(a), describe(b)
    for key in da:
        ok = da[key] == db[key]
        failures += not ok
        print("%-4s descriptor %s%s" % ("ok" if ok else "FAIL", key,
                                        "" if ok else ": %r != %r" %
                                        (da[key], db[key])))
    if failures:
        return 1

    params = glorot_params(a, seed=2)
    images, labels = load_fashion_slice(args.batch, offset=100)
    x = images.reshape((args.batch,) + a.input_shape)
    y = targets_for(a, labels)
    step_a = a.train_step(params, x, y, (7, 3))
    step_b = b.train_step(params, x, y, (7, 3))
    results = [("train_step loss", step_a[0], step_b[0]),
               ("train_step metrics", step_a[1], step_b[1])]
    results += [("gradient " + name, ga, gb) for (name, _, _), ga, gb
                in zip(a.params, step_a[2], step_b[2])]
    results.append(("evaluate", a.evaluate(params, x, y),
                    b.evaluate(params, x, y)))
    results.append(("predict", a.predict(params, x), b.predict(params, x)))
    for what, got_a, got_b in results:
        fa, fb = flatten(got_a), flatten(got_b)
        # Bitwise: NaNs must match too.
        ok = fa.shape == fb.shape and fa.tobytes() == fb.tobytes()
        failures += not ok
        print("%-4s %s bitwise equal" % ("ok" if ok else "FAIL", what))
    print("same library: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
