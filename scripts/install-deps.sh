#!/usr/bin/env bash
# Installs the Debian packages Kiln needs that are not installed yet.
# Usage: scripts/install-deps.sh [--with-bench]
set -euo pipefail

packages=(
  cmake ninja-build ccache
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  flatbuffers-compiler libflatbuffers-dev zlib1g-dev libgtest-dev
  dataset-fashion-mnist
  python3-numpy python3-torch
  # Data-parallel training (docs/distributed.md) and its tests: Open MPI,
  # and iproute2 for the test that puts ranks in network namespaces.
  openmpi-bin libopenmpi-dev iproute2
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "kiln: all dependencies are installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "kiln: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
