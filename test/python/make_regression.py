#!/usr/bin/env python3
"""Writes NumPy data for the dense-target end-to-end tests into DIR:
reg-x.npy (float32 N x 8) with reg-y.npy (float32 N x 2, a smooth function
of x plus noise) for regression, and bin-x.npy / bin-y.npy (float32 N x 1
of 0/1, the side of a hyperplane) for a binary classifier.

usage: make_regression.py DIR N
"""
import os
import sys

import numpy as np

out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
x = rng.standard_normal((n, 8)).astype(np.float32)
w = rng.standard_normal((8, 2)).astype(np.float32)
y = 2 * np.tanh(x @ w / 2) + 0.5 + 0.05 * rng.standard_normal((n, 2))
np.save(os.path.join(out, "reg-x.npy"), x)
np.save(os.path.join(out, "reg-y.npy"), y.astype(np.float32))
v = rng.standard_normal(8).astype(np.float32)
np.save(os.path.join(out, "bin-x.npy"), x)
np.save(os.path.join(out, "bin-y.npy"),
        (x @ v > 0.2).astype(np.float32)[:, None])
