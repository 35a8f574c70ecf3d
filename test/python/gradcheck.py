"""Finite-difference check of a compiled train step's gradients.

For every parameter tensor and several random unit directions v, the
directional derivative g·v from the compiled @train_step must match the
central difference (L(θ + εv) - L(θ - εv)) / 2ε of the compiled @loss
(`evaluate`). Models with random layers (dropout) are checked on the
training loss itself: train_step with one fixed rng draws the same masks
every time, so its loss is a deterministic function of the parameters.
Directional derivatives aggregate many coordinates, so f32
round-off stays well below the tolerance while a wrong rule for any op
(or a wrong transpose, scale or sign) shows up at once.

usage: gradcheck.py LIBMODEL.so [--batch N] [--directions K]
"""

import argparse
import sys

import numpy as np

from kiln_abi import CompiledModel, glorot_params, load_fashion_slice, \
    targets_for


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--directions", type=int, default=4)
    ap.add_argument("--epsilon", type=float, default=1e-2)
    ap.add_argument("--tolerance", type=float, default=2e-3)
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=1)
    x, labels = load_fashion_slice(args.batch)
    x = x.reshape((args.batch,) + model.input_shape)
    y = targets_for(model, labels)

    state = (1234, 5)
    loss, _, grads = model.train_step(params, x, y, state)
    if model.desc.uses_rng:
        again, _, _ = model.train_step(params, x, y, state)
        other, _, _ = model.train_step(params, x, y, (1234, 6))
        print("loss %.7f (same rng: %.7f, next step: %.7f)" %
              (loss, again, other))
        if again != loss or other == loss:
            print("FAIL: the dropout masks are not a function of the rng")
            return 1

        def objective(p):
            return model.train_step(p, x, y, state)[0]
    else:
        eval_loss, _ = model.evaluate(params, x, y)
        print("loss %.7f (evaluate: %.7f)" % (loss, eval_loss))
        if abs(loss - eval_loss) > 1e-6 * max(1.0, abs(loss)):
            print("FAIL: train_step and evaluate disagree on the loss")
            return 1

        def objective(p):
            return model.evaluate(p, x, y)[0]

    rng = np.random.default_rng(7)
    failures = 0
    for index, (name, shape, _) in enumerate(model.params):
        for _ in range(args.directions):
            v = rng.standard_normal(shape).astype(np.float32)
            v /= np.linalg.norm(v)
            plus = [p.copy() for p in params]
            minus = [p.copy() for p in params]
            plus[index] += args.epsilon * v
            minus[index] -= args.epsilon * v
            lp = objective(plus)
            lm = objective(minus)
            numeric = (lp - lm) / (2 * args.epsilon)
            analytic = float(np.dot(grads[index].ravel().astype(np.float64),
                                    v.ravel().astype(np.float64)))
            error = abs(numeric - analytic)
            bound = args.tolerance * max(abs(numeric), abs(analytic), 1e-2)
            status = "ok" if error <= bound else "FAIL"
            failures += status != "ok"
            print("%-4s %-16s analytic %+.6e numeric %+.6e |diff| %.2e" %
                  (status, name, analytic, numeric, error))
    print("gradcheck: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
