#!/usr/bin/env bash
# Builds kilnc and runs the Kiln-vs-PyTorch benchmark. Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target kilnc
exec /usr/bin/python3 bench/bench_mlp.py "$@"
