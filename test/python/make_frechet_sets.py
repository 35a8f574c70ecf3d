#!/usr/bin/env python3
"""Writes the sets of frechet.test: the first 2*N Fashion-MNIST test images
split into halves a.npy and b.npy (uint8, N x 28 x 28), the same halves as
float32 divided by 256 (a256.npy, b256.npy: exact, so that --normalize
scale=256 restores the pixels bit for bit), noise.npy, N images of
uniform random pixels in [0, 255] (float32), and for training the
two-output model of Inputs/frechet_two_outputs.kiln.json the labels of
the first half (a-labels.npy) and zeros as its hidden output's targets
(a-zeros16.npy).

usage: make_frechet_sets.py FASHION_MNIST_DIR OUT_DIR N"""
import gzip
import os
import sys

import numpy as np

source, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gzip.open(os.path.join(source, "t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
a, b = images[:n], images[n:2 * n]
np.save(os.path.join(out, "a.npy"), a)
np.save(os.path.join(out, "b.npy"), b)
np.save(os.path.join(out, "a256.npy"), a.astype(np.float32) / 256)
np.save(os.path.join(out, "b256.npy"), b.astype(np.float32) / 256)
noise = np.random.RandomState(0).uniform(0, 255, (n, 28, 28))
np.save(os.path.join(out, "noise.npy"), noise.astype(np.float32))
with gzip.open(os.path.join(source, "t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
np.save(os.path.join(out, "a-labels.npy"), labels[:n].astype(np.int32))
np.save(os.path.join(out, "a-zeros16.npy"), np.zeros((n, 16), np.float32))
