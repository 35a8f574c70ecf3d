"""Finite-difference check of a compiled train step's gradients.

For every parameter tensor and several random unit directions v, the
directional derivative g·v from the compiled @train_step must match the
central difference (L(θ + εv) - L(θ - εv)) / 2ε of the compiled @loss
(`evaluate`). Models with random layers (dropout) are checked on the
training loss itself: train_step with one fixed rng draws the same masks
every time, so its loss is a deterministic function of the parameters.
`--train-loss` checks on the training loss too, for models whose training
mode differs from inference without randomness (BatchNormalization, which
normalizes with the batch's statistics in training and with the moving
averages in evaluate); it then requires evaluate to differ, as a check
that the option is needed.
Directional derivatives aggregate many coordinates, so f32
round-off stays well below the tolerance while a wrong rule for any op
(or a wrong transpose, scale or sign) shows up at once.

`--differs-from OTHER.so --changed NAMES` requires the gradients of the
named parameters to differ from those of another compilation of the model
(e.g. without a gradient penalty) by far more than the tolerance, so that
a term the check is about cannot vanish unnoticed, and the others to agree
with it.

usage: gradcheck.py LIBMODEL.so [--batch N] [--directions K] [--train-loss]
                   [--fourth-order] [--input-scale S]
                   [--differs-from OTHER.so --changed NAME,...]
"""

import argparse
import sys

import numpy as np

from kiln_abi import CompiledModel, glorot_params, load_fashion_slice, \
    targets_for
from padded import padded_batch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--directions", type=int, default=4)
    ap.add_argument("--epsilon", type=float, default=1e-2)
    ap.add_argument("--tolerance", type=float, default=2e-3)
    ap.add_argument("--train-loss", action="store_true",
                    help="use train_step's loss as the objective")
    ap.add_argument("--padded", type=int, metavar="VOCAB", default=None,
                    help="padded sequences instead of images (padded.py): "
                    "tokens in [1, VOCAB) padded with 0, or with VOCAB 0 "
                    "features padded with 0.0")
    ap.add_argument("--fourth-order", action="store_true",
                    help="five-point differences (error O(eps^4)), for "
                    "losses curved too much for the central difference")
    ap.add_argument("--input-scale", type=float, default=1.0,
                    help="multiply the images by S (models without a "
                    "Rescaling layer)")
    ap.add_argument("--differs-from", metavar="OTHER.so", default=None,
                    help="the same model compiled otherwise: its gradients "
                    "must differ from these by more than 100x the tolerance "
                    "for the parameters --changed names, and agree for the "
                    "others")
    ap.add_argument("--changed", default="",
                    help="comma-separated parameter names for --differs-from")
    args = ap.parse_args()

    model = CompiledModel(args.library)
    params = glorot_params(model, seed=1)
    if args.padded is not None:
        x, y, _ = padded_batch(model, args.batch, seed=3,
                               vocab=args.padded or None, empty=False)
    else:
        x, labels = load_fashion_slice(args.batch)
        x = x.reshape((args.batch,) + model.input_shape) * args.input_scale
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
    elif args.train_loss:
        eval_loss, _ = model.evaluate(params, x, y)
        print("loss %.7f (evaluate: %.7f)" % (loss, eval_loss))
        if abs(loss - eval_loss) <= 1e-6 * max(1.0, abs(loss)):
            print("FAIL: --train-loss given but train_step and evaluate "
                  "agree on the loss")
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

    failures = 0
    if args.differs_from:
        other = CompiledModel(args.differs_from)
        _, _, other_grads = other.train_step(params, x, y, state)
        changed = set(args.changed.split(",")) - {""}
        unknown = changed - {name for name, _, _ in model.params}
        if unknown:
            print("FAIL: --changed names unknown parameters %s" %
                  sorted(unknown))
            return 1
        for (name, _, _), g, h in zip(model.params, grads, other_grads):
            change = float(np.linalg.norm(g - h) /
                           max(np.linalg.norm(g), 1e-12))
            if name in changed:
                ok = change > 100 * args.tolerance
            else:
                ok = change <= args.tolerance
            failures += not ok
            print("%-4s %-16s %s: differs from %s by %.2e (relative)" %
                  ("ok" if ok else "FAIL", name,
                   "changed" if name in changed else "same",
                   args.differs_from.split("/")[-1], change))

    rng = np.random.default_rng(7)
    for index, (name, shape, _) in enumerate(model.params):
        for _ in range(args.directions):
            v = rng.standard_normal(shape).astype(np.float32)
            v /= np.linalg.norm(v)
            def at(step):
                moved = [p.copy() for p in params]
                moved[index] += step * args.epsilon * v
                return objective(moved)
            numeric = (at(1) - at(-1)) / (2 * args.epsilon)
            if args.fourth_order:
                # Richardson: cancels the eps^2 term of the central
                # difference (BatchNormalization makes the loss invariant
                # to the scale of the kernel before it, and strongly
                # curved across it).
                numeric = (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / \
                    (12 * args.epsilon)
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
