"""Whether a conditional GAN draws the class it is asked for: a Kiln
classifier trained on Fashion-MNIST labels the images that `./gan generate
--class K` draws for each class K, and the share it labels K is the
generator's class accuracy (chance is 1 / num_classes; the classifier's
own test accuracy is the ceiling).

The generator's tanh images are fed to the classifier as pixels
(x * 127.5 + 127.5). Without --classifier, the classifier is compiled and
trained first, as bench/gan_frechet.py does (--space softmax trains
examples/lenet_cnn.json; the default, bench/frechet_features_cnn.kiln.json).

usage: gan_class_accuracy.py --gan EXE --gan-checkpoint FILE
                             [--classifier EXE --checkpoint FILE]
                             [--per-class 1000] [--workdir DIR]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import gan_frechet

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
           "Shirt", "Sneaker", "Bag", "Ankle boot"]


def predicted_classes(exe, checkpoint, images, workdir):
    """The classifier's argmax for float32 images in [-1, 1]."""
    path = os.path.join(workdir, "images.npy")
    np.save(path, images.reshape(len(images), 28, 28, 1).astype(np.float32))
    out = os.path.join(workdir, "predicted.npz")
    subprocess.run([exe, "predict", "--checkpoint", checkpoint, "--input",
                    path, "--normalize", gan_frechet.TANH_TO_PIXELS,
                    "--output", out, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    outputs = np.load(out)
    probabilities = outputs["class"] if "class" in outputs else \
        outputs[list(outputs.keys())[0]]
    return probabilities.argmax(axis=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gan", required=True, help="a compiled conditional GAN")
    ap.add_argument("--gan-checkpoint", required=True)
    ap.add_argument("--classifier", help="a compiled classifier executable")
    ap.add_argument("--checkpoint", help="its checkpoint")
    ap.add_argument("--per-class", type=int, default=1000)
    ap.add_argument("--num-classes", type=int, default=10)
    ap.add_argument("--kilnc",
                    default=os.path.join(gan_frechet.ROOT, "build/bin/kilnc"))
    ap.add_argument("--space", choices=("features", "softmax"),
                    default="features")
    ap.add_argument("--classifier-model")
    ap.add_argument("--classifier-epochs", type=int, default=3)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--workdir")
    args = ap.parse_args()
    args.output = None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="kiln-classes-")
    os.makedirs(args.workdir, exist_ok=True)
    exe, checkpoint = gan_frechet.classifier_from_args(ap, args)

    test = gan_frechet.idx(
        os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    labels = gan_frechet.idx(
        os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))
    real = predicted_classes(exe, checkpoint,
                             test.astype(np.float32) / 127.5 - 1.0,
                             args.workdir)
    print("classifier on the test images: accuracy %.4f" %
          (real == labels).mean())

    print("| class | asked for | labelled so |")
    print("|---|---|---|")
    hits = 0
    for k in range(args.num_classes):
        generated = os.path.join(args.workdir, "class-%d.npy" % k)
        subprocess.run([args.gan, "generate", "--checkpoint",
                        args.gan_checkpoint, "--count", str(args.per_class),
                        "--class", str(k), "--output", generated],
                       check=True, stdout=subprocess.DEVNULL)
        predicted = predicted_classes(exe, checkpoint, np.load(generated),
                                      args.workdir)
        share = (predicted == k).mean()
        hits += (predicted == k).sum()
        name = CLASSES[k] if args.num_classes == len(CLASSES) else str(k)
        print("| %d %s | %d | %.3f |" % (k, name, args.per_class, share))
    print("generated images labelled as the class asked for: %.4f "
          "(chance %.2f)" % (hits / (args.per_class * args.num_classes),
                             1.0 / args.num_classes))


if __name__ == "__main__":
    sys.exit(main())
