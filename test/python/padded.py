"""Batches of padded sequences for the Keras mask tests.

Each sample is masked by one of several patterns, so that every rule of a
masked recurrence is exercised: padding after the data (the usual case),
padding before it (the state must stay zero until the first kept step),
holes inside the sequence (state carried over, then updated again), no
padding at all, and (unless disabled) one sample masked entirely (its
state stays zero).
A masked timestep holds `mask_value` in every feature (Masking), or the
token 0 (Embedding with mask_zero).
"""

import numpy as np


def keep_pattern(rng, batch, steps, empty=True):
    """[batch, steps] of 0/1: which timesteps are kept (with `empty`, sample
    5 keeps none; otherwise every sample keeps at least one)."""
    keep = np.ones((batch, steps), np.float32)
    for i in range(batch):
        kind = i % 4
        length = int(rng.integers(1, steps + 1))
        if kind == 0:
            keep[i, length:] = 0
        elif kind == 1:
            keep[i, :steps - length] = 0
        elif kind == 2:
            keep[i] = rng.random(steps) < 0.6
            keep[i, rng.integers(steps)] = 1
    if batch > 5 and empty:
        keep[5] = 0
    return keep


def padded_batch(model, batch, seed, mask_value=0.0, vocab=None,
                 empty=True):
    """Inputs and sparse labels for `model` (a kiln_abi.CompiledModel):
    with `vocab`, token indices [batch, steps] in [1, vocab) padded with
    0; otherwise normal features [batch, steps, features] whose masked
    timesteps are `mask_value` throughout. `empty` False keeps at least
    one timestep of every sample (a masked mean of none is 0/0)."""
    rng = np.random.default_rng(seed)
    shape = model.input_shape
    keep = keep_pattern(rng, batch, shape[0], empty)
    if vocab is not None:
        x = rng.integers(1, vocab, (batch,) + shape).astype(np.float32)
        x = x * keep
    else:
        x = rng.standard_normal((batch,) + shape).astype(np.float32)
        x = np.where(keep[..., None] > 0, x, np.float32(mask_value))
    classes = model.output_shape[-1]
    y = rng.integers(0, classes, batch).astype(np.int32)
    return x.astype(np.float32), y, keep
