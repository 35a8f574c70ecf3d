"""Writes NumPy data for the two-input, two-output test model
(test/Frontend/Inputs/multi_io_keras3.json): Fashion-MNIST images as
`image`, four features per sample derived from the label as `extra`, the
class as `label`'s targets and two values learnable from the features as
`score`'s.

usage: make_multi_io.py OUTDIR COUNT [OFFSET]
"""

import sys

import numpy as np

from kiln_abi import load_fashion_slice


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    offset = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    images, labels = load_fashion_slice(count, offset)
    rng = np.random.default_rng(offset + 1)
    extra = rng.standard_normal((count, 4)).astype(np.float32)
    extra[:, 0] += labels / 3.0
    score = np.stack([extra[:, 0] - extra[:, 1], extra[:, 2] * 0.5],
                     axis=1).astype(np.float32)
    np.save(out + "/image.npy", images.astype(np.uint8))
    np.save(out + "/extra.npy", extra)
    np.save(out + "/label.npy", labels.astype(np.int32))
    np.save(out + "/score.npy", score)


if __name__ == "__main__":
    main()
