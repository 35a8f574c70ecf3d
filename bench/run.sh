#!/usr/bin/env bash
# Builds kilnc and prints the Kiln-vs-PyTorch table of the reference models
# (bench_table.py; its flags pass through). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Debian's python3-torch calls the system BLAS (libblas.so.3); the reference
# BLAS it pulls in is ~8x slower than OpenBLAS here. Compare against PyTorch
# at its best: OpenBLAS as the libblas.so.3 alternative.
if ! dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed"; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q libopenblas0-pthread
fi
scripts/build.sh --target kilnc
exec /usr/bin/python3 bench/bench_table.py "$@"
