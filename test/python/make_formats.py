#!/usr/bin/env python3
"""Writes a Fashion-MNIST slice as .npy and .csv files for the data-format
end-to-end test: train-x.npy (uint8 N x 28 x 28), train-y.npy (int64),
test-x.npy (float32, N x 784), test-y.npy (int32), train.csv (header, label
in the last column, quoted header names) and test.csv."""
import gzip
import os
import sys

import numpy as np


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


source, out, train_n, test_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])
x = idx(os.path.join(source, "train-images-idx3-ubyte.gz"))[:train_n]
y = idx(os.path.join(source, "train-labels-idx1-ubyte.gz"))[:train_n]
tx = idx(os.path.join(source, "t10k-images-idx3-ubyte.gz"))[:test_n]
ty = idx(os.path.join(source, "t10k-labels-idx1-ubyte.gz"))[:test_n]
np.save(os.path.join(out, "train-x.npy"), x)
np.save(os.path.join(out, "train-y.npy"), y.astype(np.int64))
np.save(os.path.join(out, "test-x.npy"), tx.reshape(test_n, -1).astype(np.float32))
np.save(os.path.join(out, "test-y.npy"), ty.astype(np.int32))


def write_csv(path, images, labels):
    with open(path, "w") as f:
        f.write(",".join('"p%d"' % i for i in range(784)) + ",label\n")
        for image, label in zip(images.reshape(len(images), -1), labels):
            f.write(",".join(map(str, image)) + ",%d\n" % label)


write_csv(os.path.join(out, "train.csv"), x, y)
write_csv(os.path.join(out, "test.csv"), tx, ty)
