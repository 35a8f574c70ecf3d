"""Fréchet distances of generated Fashion-MNIST images in the feature space
of a classifier Kiln trained (`./classifier frechet`, docs/cli.md), against
the test set, with the two baselines that frame them: uniform noise, and
the test set's first half against its second half.

Generated images are .npy files of float32 [N, 28, 28, 1] in [-1, 1] (a
tanh generator's output, as bench/torch_dcgan.py --samples writes them);
they are fed to the classifier as pixels (x * 127.5 + 127.5), and compared
with the first N test images. Without --classifier, a LeNet-style CNN is
compiled and trained for --classifier-epochs epochs first: with --space
features (the default) bench/frechet_features_cnn.kiln.json, whose
128-unit hidden layer is a second output "features" (loss weight 0) and
the feature space; with --space softmax examples/lenet_cnn.json, whose 10
class probabilities are.

usage: gan_frechet.py [--classifier EXE --checkpoint FILE] [--output NAME]
                      [--space features|softmax] [--classifier-epochs 3]
                      [--workdir DIR] GENERATED.npy...
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TANH_TO_PIXELS = "scale=127.5,offset=127.5"


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def feature_data_flags(args):
    """The --input/--target files of the two-output feature model: images,
    class labels, and zeros as the (weight-0) targets of "features"."""
    flags = []
    for prefix, input_flag, target_flag in (("train", "--input", "--target"),
                                            ("t10k", "--test-input",
                                             "--test-target")):
        x = idx(os.path.join(args.data, "%s-images-idx3-ubyte.gz" % prefix))
        y = idx(os.path.join(args.data, "%s-labels-idx1-ubyte.gz" % prefix))
        paths = [os.path.join(args.workdir, "%s-%s.npy" % (prefix, name))
                 for name in ("x", "y", "zeros")]
        np.save(paths[0], x.reshape(-1, 28, 28, 1))
        np.save(paths[1], y.astype(np.int32))
        np.save(paths[2], np.zeros((len(x), 128), np.float32))
        flags += [input_flag, "image=" + paths[0], target_flag,
                  "class=" + paths[1], target_flag, "features=" + paths[2]]
    return flags


def build_classifier(args):
    exe = os.path.join(args.workdir, "classifier")
    checkpoint = os.path.join(args.workdir, "classifier.ckpt")
    features = args.space == "features" and not args.classifier_model
    model = args.classifier_model or os.path.join(
        ROOT, "bench/frechet_features_cnn.kiln.json"
        if features else "examples/lenet_cnn.json")
    subprocess.run([args.kilnc, model, "-o", exe], check=True)
    data = feature_data_flags(args) if features else ["--data", args.data]
    out = subprocess.run([exe, "train"] + data +
                         ["--epochs", str(args.classifier_epochs), "--seed",
                          "1", "--checkpoint", checkpoint, "--quiet"],
                         check=True, capture_output=True, text=True)
    accuracy = [l for l in out.stdout.splitlines() if "accuracy" in l][-1]
    print("classifier: %s, %d epoch(s), %s" %
          (os.path.relpath(model, ROOT), args.classifier_epochs, accuracy))
    if features and not args.output:
        args.output = "features"
    return exe, checkpoint


def classifier_from_args(ap, args):
    """The classifier executable and checkpoint --classifier/--checkpoint
    name, else one compiled and trained by build_classifier."""
    if args.classifier:
        if not args.checkpoint:
            ap.error("--classifier needs --checkpoint")
        return args.classifier, args.checkpoint
    return build_classifier(args)


def frechet(args, exe, checkpoint, flags):
    metrics = os.path.join(args.workdir, "frechet.json")
    command = [exe, "frechet", "--checkpoint", checkpoint, "--metrics-json",
               metrics, "--quiet"] + flags
    if args.output:
        command += ["--output", args.output]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with open(metrics) as f:
        return json.loads(f.readline())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("generated", nargs="*")
    ap.add_argument("--classifier", help="a compiled classifier executable")
    ap.add_argument("--checkpoint", help="its checkpoint")
    ap.add_argument("--output", help="the classifier output of the features")
    ap.add_argument("--kilnc", default=os.path.join(ROOT, "build/bin/kilnc"))
    ap.add_argument("--space", choices=("features", "softmax"),
                    default="features",
                    help="the classifier to train without --classifier")
    ap.add_argument("--classifier-model",
                    help="train this model instead (one output, --data)")
    ap.add_argument("--classifier-epochs", type=int, default=3)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--count", type=int, default=10000,
                    help="samples of the noise baseline (default 10000)")
    ap.add_argument("--workdir")
    args = ap.parse_args()
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="kiln-frechet-")
    os.makedirs(args.workdir, exist_ok=True)

    exe, checkpoint = classifier_from_args(ap, args)

    test_images = os.path.join(args.data, "t10k-images-idx3-ubyte.gz")
    test = idx(test_images)
    half = len(test) // 2
    first = os.path.join(args.workdir, "test-first-half.npy")
    second = os.path.join(args.workdir, "test-second-half.npy")
    np.save(first, test[:half])
    np.save(second, test[half:])
    noise = os.path.join(args.workdir, "noise.npy")
    rng = np.random.RandomState(0)
    np.save(noise, rng.uniform(-1, 1, (args.count, 28, 28, 1))
            .astype(np.float32))

    rows = []
    for name, path in [("uniform noise in [-1, 1]", noise)] + \
            [(os.path.basename(p), p) for p in args.generated]:
        record = frechet(args, exe, checkpoint,
                         ["--input", path, "--normalize", TANH_TO_PIXELS,
                          "--test-images", test_images, "--max-samples",
                          str(len(np.load(path, mmap_mode="r")))])
        rows.append((name, record))
    rows.insert(1, ("test set: first half against second half",
                    frechet(args, exe, checkpoint,
                            ["--input", first, "--reference", second])))

    print("| samples | against | n | features | Fréchet distance |")
    print("|---|---|---|---|---|")
    for name, record in rows:
        against = ("second half" if name.startswith("test set")
                   else "test set (first n)")
        print("| %s | %s | %d | %d | %.5g |" %
              (name, against, record["samples"], record["features"],
               record["frechet_distance"]))


if __name__ == "__main__":
    sys.exit(main())
