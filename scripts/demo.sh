#!/usr/bin/env bash
# The README's first command: installs what is missing, builds Kiln, compiles
# the seed model (examples/mnist_mlp.json, the Keras MNIST program) and
# trains it on Fashion-MNIST, ending with the test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh --target kilnc
build/bin/kilnc examples/mnist_mlp.json -o build/mnist_mlp
build/mnist_mlp summary
build/mnist_mlp train --data /usr/share/datasets/fashion-mnist "$@"
