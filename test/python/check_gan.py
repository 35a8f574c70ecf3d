"""Checks a GAN training run: METRICS.jsonl has one record per epoch with
finite losses and accuracies in [0, 1]; SAMPLES holds one PNG grid per epoch
(8 x 8 tiles of 28 pixels, 1-pixel separators); GENERATED.npy holds images
in the generator's tanh range [-1, 1], not all alike.

usage: check_gan.py METRICS.jsonl SAMPLES_DIR GENERATED.npy EPOCHS
"""

import json
import math
import os
import sys

import numpy as np
from PIL import Image


def main():
    metrics, samples, generated, epochs = sys.argv[1:5]
    epochs = int(epochs)
    records = [json.loads(line) for line in open(metrics)]
    if [r["epoch"] for r in records] != list(range(1, epochs + 1)):
        sys.exit("FAIL epochs: %s" % [r["epoch"] for r in records])
    for r in records:
        for key in ("d_loss", "g_loss", "seconds", "samples_per_second"):
            if not math.isfinite(r[key]) or r[key] <= 0:
                sys.exit("FAIL %s = %s" % (key, r[key]))
        for key in ("real_accuracy", "fake_accuracy"):
            if not 0 <= r[key] <= 1:
                sys.exit("FAIL %s = %s" % (key, r[key]))
    for epoch in range(1, epochs + 1):
        path = os.path.join(samples, "epoch_%03d.png" % epoch)
        image = Image.open(path)
        if image.size != (8 * 28 + 7, 8 * 28 + 7) or image.mode != "L":
            sys.exit("FAIL %s: %s %s" % (path, image.size, image.mode))
    images = np.load(generated)
    if images.shape != (16, 28, 28):
        sys.exit("FAIL generated shape %s" % (images.shape,))
    if images.min() < -1 or images.max() > 1 or images.std() < 0.05:
        sys.exit("FAIL generated range %g..%g, std %g" %
                 (images.min(), images.max(), images.std()))
    print("gan run ok: d_loss %.3f, g_loss %.3f after %d epochs" %
          (records[-1]["d_loss"], records[-1]["g_loss"], epochs))


if __name__ == "__main__":
    main()
