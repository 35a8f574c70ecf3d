"""Checks that SpatialDropout1D drops whole channels.

The model is test/kilnc/Inputs/spatial_dropout1d.json: x/255 →
SpatialDropout1D(0.5) → Flatten → Dense(10, softmax). For one sample, the
kernel gradient is outer(h, dz) with h = x/255 · mask / (1 - rate) and
dz = softmax - onehot, so dividing it by outer(x/255, dz) recovers the
mask: it must be one value per channel (0 or 1/(1 - rate)) shared by all
28 steps, with both values present. Different steps of the rng must draw
different masks.

usage: check_spatial_dropout.py LIBMODEL.so
"""

import sys

import numpy as np

from kiln_abi import CompiledModel, glorot_params, load_fashion_slice


def channel_mask(model, params, x, y, state):
    _, _, grads = model.train_step(params, x, y, state)
    h = x.reshape(-1).astype(np.float64) / 255.0
    # The gradient of the dense output is the bias gradient.
    dz = grads[1].astype(np.float64)
    base = np.outer(h, dz).reshape(28, 28, 10)
    got = grads[0].astype(np.float64).reshape(28, 28, 10)
    masks = []
    for c in range(28):
        live = np.abs(base[:, c, :]) > 1e-6
        if not live.any():
            masks.append(None)
            continue
        ratio = got[:, c, :][live] / base[:, c, :][live]
        if np.ptp(ratio) > 1e-3:
            print("FAIL: channel %d is not dropped as a whole (%s)" %
                  (c, np.unique(np.round(ratio, 4))))
            return None
        masks.append(round(float(ratio[0]), 3))
    return masks


def main():
    model = CompiledModel(sys.argv[1])
    params = glorot_params(model, seed=1)
    x, y = load_fashion_slice(1, offset=7)
    first = channel_mask(model, params, x, y, (99, 1))
    second = channel_mask(model, params, x, y, (99, 2))
    if first is None or second is None:
        return 1
    values = sorted({m for m in first + second if m is not None})
    print("per-channel mask values:", values)
    if values != [0.0, 2.0]:
        print("FAIL: expected channels dropped (0) and kept (2)")
        return 1
    if first == second:
        print("FAIL: the masks do not change with the step")
        return 1
    print("spatial dropout: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
