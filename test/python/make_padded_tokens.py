#!/usr/bin/env python3
"""Writes variable-length token sequences for the padded-sequence example
(examples/padded_tokens_lstm.json) into DIR: tokens.npy (float32 N x 20:
tokens 1..8, each sequence 3..20 long and padded with 0 after its end)
and labels.npy (int32 N: (last token - 1) // 2, one of 4 classes), and a
test set of N / 4 more (test-tokens.npy, test-labels.npy). With
Embedding(mask_zero) the LSTM's last output is its state after the last
real token, however much padding follows.

usage: make_padded_tokens.py DIR N
"""
import os
import sys

import numpy as np

out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
steps = 20


def write(prefix, count):
    lengths = rng.integers(3, steps + 1, count)
    tokens = rng.integers(1, 9, (count, steps))
    tokens[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    labels = (tokens[np.arange(count), lengths - 1] - 1) // 2
    np.save(os.path.join(out, prefix + "tokens.npy"),
            tokens.astype(np.float32))
    np.save(os.path.join(out, prefix + "labels.npy"),
            labels.astype(np.int32))


write("", n)
write("test-", n // 4)
