"""Checks what the random image layers do to the images, through the
compiled train step.

The probe models are `Input → <augmentation layer> → Flatten → Dense(10,
softmax)` (test/kilnc/Inputs/probe_*.json) and the same without the
augmentation (probe_plain.json). With a batch whose images are zero but for
the one at position k, the Dense kernel's gradient is outer(a_k, dz_k),
a_k the augmented image k: its dominant column recovers a_k up to a scale.
The recovered image must be exactly (to float32 round-off) one of the
transforms the layer may draw, computed here in numpy from the original:

- RandomFlip("horizontal_and_vertical"): x, x flipped left-right, up-down
  or both; all four occur over the draws;
- RandomTranslation with nearest interpolation and constant fill: x
  shifted by whole pixels (dy, dx), zeros shifted in, within the layer's
  ranges, with Keras's directions (a positive height factor moves the
  content down, a negative width factor moves it left).

Then: images at different positions of one batch draw different
transforms (one draw per image), so do different steps; the same
{seed, step} gives bitwise the same gradients; and evaluate and predict
equal the plain model's bitwise (the layer is the identity there).

usage: check_augmentation.py PROBE.so PLAIN.so --kind flip|translation
          [--height LO HI --width LO HI]
"""

import argparse
import sys

import numpy as np

from kiln_abi import CompiledModel, glorot_params

POSITIONS = 6
STEPS = 8


def recovered(model, params, image, position, rng):
    """The augmented image at `position` of a batch of zero images."""
    x = np.zeros((POSITIONS, 28, 28, 1), np.float32)
    x[position] = image
    y = np.arange(POSITIONS, dtype=np.int32) % 10
    _, _, grads = model.train_step(params, x, y, rng)
    kernel = grads[0].astype(np.float64)
    column = kernel[:, np.argmax(np.linalg.norm(kernel, axis=0))]
    return column.reshape(28, 28), grads


def shift(image, dy, dx):
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def candidates(kind, image, bound):
    if kind == "flip":
        return {"none": image, "left-right": image[:, ::-1],
                "up-down": image[::-1, :], "both": image[::-1, ::-1]}
    return {(dy, dx): shift(image, dy, dx)
            for dy in range(-bound, bound + 1)
            for dx in range(-bound, bound + 1)}


def match(got, options):
    """The option `got` is a multiple of (relative residual < 1e-5)."""
    best, best_residual = None, np.inf
    for key, option in options.items():
        scale = np.dot(got.ravel(), option.ravel()) / np.dot(option.ravel(),
                                                             option.ravel())
        residual = np.linalg.norm(got - scale * option) / np.linalg.norm(got)
        if residual < best_residual:
            best, best_residual = key, residual
    return (best if best_residual < 1e-5 else None), best_residual


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("probe")
    ap.add_argument("plain")
    ap.add_argument("--kind", choices=["flip", "translation"], required=True)
    ap.add_argument("--height", type=float, nargs=2, default=[-0.2, 0.2])
    ap.add_argument("--width", type=float, nargs=2, default=[-0.2, 0.2])
    args = ap.parse_args()
    probe, plain = CompiledModel(args.probe), CompiledModel(args.plain)
    params = glorot_params(probe, seed=3)
    # Noise has no symmetry, so no two candidates coincide.
    # Values in (0, 1], so that the softmax does not saturate (dz != 0).
    image = np.random.default_rng(11).uniform(0.01, 1, (28, 28)).astype(
        np.float32)
    bound = int(np.ceil(28 * max(map(abs, args.height + args.width))))
    options = candidates(args.kind, image.astype(np.float64), bound)
    failures = 0
    drawn = {}
    for step in range(1, STEPS + 1):
        for position in range(POSITIONS):
            got, _ = recovered(probe, params, image[..., None], position,
                               (2024, step))
            key, residual = match(got, options)
            if key is None:
                print("FAIL step %d image %d: no %s matches (best residual "
                      "%.1e)" % (step, position, args.kind, residual))
                failures += 1
                continue
            drawn[(step, position)] = key
    outcomes = sorted(set(drawn.values()), key=str)
    print("%d draws, %d distinct outcomes" % (len(drawn), len(outcomes)))
    if args.kind == "flip":
        print("flips drawn: %s" % ", ".join(outcomes))
        if len(outcomes) != 4:
            print("FAIL: expected all four flips")
            failures += 1
    else:
        dys = [k[0] for k in outcomes]
        dxs = [k[1] for k in outcomes]
        print("shifts drawn: dy in [%d, %d], dx in [%d, %d]" %
              (min(dys), max(dys), min(dxs), max(dxs)))
        for name, values, (lo, hi) in (("dy", dys, args.height),
                                       ("dx", dxs, args.width)):
            # Nearest reads round the fractional shift to whole pixels.
            if min(values) < np.floor(28 * lo) or max(values) > np.ceil(28 * hi):
                print("FAIL: %s outside 28 · [%g, %g]" % (name, lo, hi))
                failures += 1
            if max(values) - min(values) < 0.5 * 28 * (hi - lo):
                print("FAIL: %s does not spread over its range" % name)
                failures += 1
    per_step = [len({drawn.get((s, p)) for p in range(POSITIONS)})
                for s in range(1, STEPS + 1)]
    per_image = [len({drawn.get((s, p)) for s in range(1, STEPS + 1)})
                 for p in range(POSITIONS)]
    if min(per_step) < 2 or min(per_image) < 2:
        print("FAIL: images of a batch or steps share their draws (%s, %s)" %
              (per_step, per_image))
        failures += 1
    else:
        print("every batch draws per image, every image changes with the step")

    # The same {seed, step}: bitwise the same step.
    _, first = recovered(probe, params, image[..., None], 0, (2024, 3))
    _, again = recovered(probe, params, image[..., None], 0, (2024, 3))
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        print("FAIL: the same rng gave different gradients")
        failures += 1
    else:
        print("same rng: bitwise equal gradients")

    # Identity in evaluate and predict: the plain model's numbers, bitwise.
    batch = np.random.default_rng(12).uniform(0, 255, (9, 28, 28, 1)).astype(
        np.float32)
    labels = np.arange(9, dtype=np.int32)
    same_eval = probe.evaluate(params, batch, labels) == \
        plain.evaluate(params, batch, labels)
    same_predict = np.array_equal(probe.predict(params, batch),
                                  plain.predict(params, batch))
    if not (same_eval and same_predict):
        print("FAIL: evaluate or predict differ from the model without the "
              "layer")
        failures += 1
    else:
        print("evaluate and predict: the identity")
    print("augmentation check: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
